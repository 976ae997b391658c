"""A repository given as a local path or a URL, with fetch and compare-and-swap push.

I/O. A local path is opened and written in place. A URL is served from a bare
mirror under a cache folder: :meth:`Store.fetch` copies the remote's branches
into the mirror (the mirror's refs are a cache of the remote's and follow it),
the writer commits in the mirror, and :meth:`Store.push` sends one branch back
only if the remote's branch still has the value the commit was built on.
A ``file://`` URL is fetched with ``git fetch`` (when ``git`` is installed)
rather than libgit2's local transport, which sends far more than was asked
(:meth:`Store._fetch_with_git`); pushes go through libgit2 for every URL.

Errors are classified once, here: an unreachable remote is
:class:`errors.Transient`, a lost race :class:`errors.RefConflict`, a push a
server hook declined :class:`errors.InvalidInput` (with the hook's messages).
Credentials in the URL are kept in memory for the ``credentials`` callback,
never written to the mirror's config, and masked in every message.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pygit2

from gitops_ocm import errors
from gitops_ocm.gitstore import refs, repository, urls

MIRROR_REFSPEC = "+refs/heads/*:refs/heads/*"
CONNECT_TIMEOUT_MS = 5_000
IO_TIMEOUT_MS = 60_000
_ZERO = "0" * 40


class _AuthFailed(Exception):
    """The remote refused the credentials we had (raised from a callback)."""


class _StaleTip(Exception):
    """The remote's branch is not where our commit was built (raised from a callback)."""


class _Callbacks(pygit2.RemoteCallbacks):
    """Supplies credentials once, and records rejections and the remote's messages."""

    def __init__(self, location: urls.Location, expected: dict[str, str] | None = None) -> None:
        super().__init__()
        self.location = location
        self.expected = expected or {}
        self.asked = 0
        self.rejected: dict[str, str] = {}
        self.messages: list[str] = []

    def credentials(
        self, url: str, username_from_url: str | None, allowed: int
    ) -> pygit2.UserPass | pygit2.KeypairFromAgent:
        """Hand libgit2 the URL's credentials, once (a second request means refused)."""
        self.asked += 1
        if self.asked > 1:
            raise _AuthFailed()
        user = self.location.username or username_from_url or "git"
        if allowed & pygit2.enums.CredentialType.USERPASS_PLAINTEXT and self.location.password:
            return pygit2.UserPass(user, self.location.password)
        if allowed & pygit2.enums.CredentialType.SSH_KEY:
            return pygit2.KeypairFromAgent(user)
        raise _AuthFailed()

    def push_negotiation(self, updates: list[Any]) -> None:
        """Refuse to push unless each remote ref is at the value we built on."""
        for update in updates:
            want = self.expected.get(update.dst_refname)
            if want is not None and str(update.src) != want:  # src: the remote's value
                raise _StaleTip(update.dst_refname)

    def push_update_reference(self, refname: str, message: str | None) -> None:
        """Record a ref the server refused (pygit2 does not raise for these)."""
        if message:
            self.rejected[refname] = message

    def sideband_progress(self, string: str) -> None:
        """Collect what the server printed (hook output)."""
        self.messages.append(string)


class Store:
    """Where a branch lives: ``repo`` to read and write, and fetch/push for URLs."""

    repo: repository.Repository

    def __init__(self, location: str, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.is_local = not urls.is_url(location)
        self.location = (
            urls.parse(location) if not self.is_local else urls.Location(location, None, None)
        )
        self.display = urls.redact(location)
        if self.is_local:
            self.repo = repository.open(location)
        else:
            self.repo = _open_mirror(self.location.url, Path(cache_dir or _default_cache()))

    @property
    def path(self) -> str:
        """The local path of the repository (the mirror for a URL)."""
        return self.repo.path

    @property
    def _secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.location.password,) if s)

    def _error(self, what: str, detail: object) -> str:
        return urls.redact(f"{what} {self.display}: {detail}", self._secrets)

    def fetch(self, refspecs: Sequence[str] = (MIRROR_REFSPEC,), *, prune: bool = False) -> None:
        """Copy the remote's branches into the mirror (a no-op for a local repository).

        The whole mirror (the default refspec) is kept exact: branches deleted on
        the remote are deleted here too. A branch deleted and replaced by one
        below its name (``ocm/reports/c1`` by ``ocm/reports/c1/x``, anyone who can
        push can do that) would otherwise fail every later fetch, as libgit2
        creates the new ref before it prunes the old: on such a failure the
        branches the remote no longer has are deleted first, and the fetch runs
        once more. With ``prune`` the refs the given refspecs name are deleted
        here when the remote no longer has them.
        """
        if self.is_local:
            return
        _set_timeouts()
        whole = MIRROR_REFSPEC in refspecs  # pruned, with any other wildcard given
        try:
            self._fetch(refspecs, whole or prune)
        except errors.Transient as failed:
            if not whole:
                raise
            try:
                self._prune_missing()
            except errors.Transient:
                raise failed from None  # the remote is down: say so, not that listing failed
            self._fetch(refspecs, whole)

    def fetch_from(self, other: Store, refspecs: Sequence[str]) -> None:
        """Copy refs of the repository ``other`` stands for into this one (pruned).

        For a controller whose report branches live in their own repository
        (``--reports-repo``): their commits must be objects of the hub
        repository, whose ``ocm/status`` grafts their trees; the refs land
        where ``refspecs`` say (outside ``refs/heads``, which the mirror's own
        fetch prunes to the hub's branches).
        """
        _set_timeouts()
        where = other.location.url if not other.is_local else os.path.abspath(other.path)
        callbacks = _Callbacks(other.location)
        mode = pygit2.enums.FetchPrune.PRUNE
        try:
            anonymous = self.repo._pygit2.remotes.create_anonymous(where)
            anonymous.fetch(list(refspecs), callbacks=callbacks, prune=mode)
        except _AuthFailed as exc:
            raise errors.InvalidInput(other._error("authentication failed for", exc)) from None
        except (pygit2.GitError, OSError) as exc:
            raise errors.Transient(other._error("cannot fetch from", exc)) from None

    def _advertised(self) -> dict[str, str]:
        """The remote's refs and their ids, as it advertises them."""
        callbacks = _Callbacks(self.location)
        try:
            heads = self.repo._pygit2.remotes["origin"].list_heads(callbacks=callbacks)
        except (pygit2.GitError, OSError, _AuthFailed) as exc:
            raise errors.Transient(self._error("cannot list", exc)) from None
        return {h.name: str(h.oid) for h in heads if h.name}

    def _prune_missing(self) -> None:
        """Delete the mirror's branches the remote does not advertise any more."""
        advertised = self._advertised()
        references = self.repo._pygit2.references
        for name in list(references):
            if name.startswith("refs/heads/") and name not in advertised:
                references.delete(name)

    def _fetch(self, refspecs: Sequence[str], prune: bool) -> None:
        url = self.location.url.lower()
        if url.startswith("file://") and shutil.which("git"):
            self._fetch_with_git(refspecs, prune)
            return
        if url.startswith(_V2_SCHEMES) and _explicit(refspecs) and shutil.which("git"):
            self._fetch_v2(refspecs, prune)
            return
        callbacks = _Callbacks(self.location)
        mode = pygit2.enums.FetchPrune.PRUNE if prune else pygit2.enums.FetchPrune.UNSPECIFIED
        try:
            self.repo._pygit2.remotes["origin"].fetch(
                list(refspecs), callbacks=callbacks, prune=mode
            )
        except _AuthFailed as exc:
            raise errors.InvalidInput(self._error("authentication failed for", exc)) from None
        except (pygit2.GitError, OSError) as exc:
            raise errors.Transient(self._error("cannot fetch from", exc)) from None

    def _fetch_with_git(self, refspecs: Sequence[str], prune: bool) -> None:
        """Fetch from a ``file://`` URL with Git's own fetch, not libgit2's local transport.

        libgit2's local transport packs the objects of *every* ref of the remote
        that the mirror's refs do not reach, not only those of the refs asked
        for: an agent mirroring two refs got every other agent's new report
        commits again each time ``ocm/hub`` moved, so a fleet's pass grew with
        the fleet times the history (benchmarks/README.md, "file://"). ``git
        fetch`` runs upload-pack, which sends what the asked refs need beyond
        what the mirror has. As with libgit2, an asked ref the remote lacks is
        skipped, not an error, and nothing runs when every asked ref is
        already where the remote has it (an idle poll lists the refs only).
        """
        advertised = self._advertised()
        wanted = [s for s in refspecs if "*" in s or _source(s) in advertised]
        if prune:
            self._forget([s for s in refspecs if s not in wanted])
        if all(self._current(s, advertised) for s in wanted):
            return
        done = self._git_fetch(wanted, prune, _plain_git_env())
        if done.returncode != 0:
            raise errors.Transient(self._error("cannot fetch from", self._last_line(done)))

    def _fetch_v2(self, refspecs: Sequence[str], prune: bool) -> None:
        """Fetch named refs with Git's protocol v2, which asks the server for those refs only.

        libgit2 (1.9) speaks protocol v0: the server advertises every ref it has
        on every fetch, 80 bytes a ref, so an agent's idle poll of a repository
        with 10,000 report branches cost 800 KB (benchmarks/README.md,
        "delivery"). ``git fetch`` with protocol v2 sends ``ls-refs`` with a
        ``ref-prefix`` per refspec: the answer names only the refs asked for,
        and an idle poll is one short exchange. Used for a fetch of named refs
        (an agent's: its own prescriptions and report branch) over git:// and
        http(s)://; the password of the URL goes in a header through the
        environment, never on the command line.
        """
        env = _plain_git_env() | {"GIT_TERMINAL_PROMPT": "0"}
        if self.location.password:
            token = f"{self.location.username or 'git'}:{self.location.password}"
            header = "Authorization: Basic " + base64.b64encode(token.encode()).decode()
            env |= {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader"}
            env |= {"GIT_CONFIG_VALUE_0": header}
        done = self._git_fetch(refspecs, prune, env)
        if done.returncode == 0:
            return
        text = done.stderr.decode("utf-8", "replace")
        if "couldn't find remote ref" in text:
            # libgit2 skips an asked ref the remote lacks (and prunes our copy when asked
            # to); git refuses the whole fetch: ask again for the refs that are there.
            present = self._on_remote(refspecs, env)
            if len(present) < len(refspecs):
                if prune:
                    self._forget([s for s in refspecs if s not in present])
                if present:
                    self._fetch_v2(present, prune)
                return
        detail = self._last_line(done)
        if "Authentication failed" in text or "401" in text or "403" in text:
            raise errors.InvalidInput(self._error("authentication failed for", detail))
        raise errors.Transient(self._error("cannot fetch from", detail))

    def _git(
        self, what: str, args: Sequence[str], env: Mapping[str, str]
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git`` on the mirror (protocol v2, no automatic gc); ``what`` names a failure."""
        command = [
            "git", "-c", "protocol.version=2", "-c", "gc.auto=0", "-c", "maintenance.auto=false",
            "--git-dir", self.repo.path, *args,
        ]  # fmt: skip
        try:
            return subprocess.run(
                command, capture_output=True, env=dict(env), timeout=IO_TIMEOUT_MS / 1000
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise errors.Transient(self._error(what, exc)) from None

    def _git_fetch(
        self, refspecs: Sequence[str], prune: bool, env: Mapping[str, str]
    ) -> subprocess.CompletedProcess[bytes]:
        """``git fetch`` of ``refspecs`` from origin into the mirror."""
        options = ["--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules"]
        pruning = ["--prune"] if prune else []
        return self._git(
            "cannot fetch from", ["fetch", *options, *pruning, "origin", *refspecs], env
        )

    def _last_line(self, done: subprocess.CompletedProcess[bytes]) -> str:
        """The last line git wrote on stderr (redacted), or its exit status."""
        text = urls.redact(done.stderr.decode("utf-8", "replace"), self._secrets)
        lines = text.strip().splitlines()
        return lines[-1] if lines else f"git exited with {done.returncode}"

    def _forget(self, refspecs: Sequence[str]) -> None:
        """Delete our copies of refs the remote no longer has (a pruning fetch)."""
        references = self.repo._pygit2.references
        for refspec in refspecs:
            local = refspec.partition(":")[2]
            if local and local in references:
                references.delete(local)

    def _on_remote(self, refspecs: Sequence[str], env: Mapping[str, str]) -> list[str]:
        """The refspecs whose source ref the remote has (one ``ls-remote``, protocol v2)."""
        names = [_source(s) for s in refspecs]
        done = self._git("cannot list", ["ls-remote", "--refs", "origin", *names], env)
        listed = {line.partition("\t")[2] for line in done.stdout.decode().splitlines()}
        return [s for s in refspecs if _source(s) in listed]

    def _current(self, refspec: str, advertised: dict[str, str]) -> bool:
        """Whether the mirror's ref for a one-ref ``refspec`` already holds the remote's value."""
        if "*" in refspec:
            return False
        local = self.repo._pygit2.references.get(refspec.partition(":")[2])
        return local is not None and str(local.target) == advertised[_source(refspec)]

    def remote_tip(self, branch: str) -> str | None:
        """Return the remote's commit for ``branch`` (the local tip for a local repository)."""
        name = refs.branch_ref(branch)
        if self.is_local:
            return refs.read_tip(self.repo, name).id
        return self._advertised().get(name)

    def push(self, branch: str, expected_old: str | None) -> None:
        """Send ``branch`` to the remote if the remote's branch is still ``expected_old``.

        The check is made on the push connection itself (the value the server
        advertises), and the server re-checks it under its ref lock, so this is a
        compare-and-swap across the network. A local repository is already written.
        """
        self.push_refs({refs.branch_ref(branch): expected_old})

    def push_refs(self, expected: Mapping[str, str | None]) -> None:
        """Send each ref (full names) whose remote value is still the one given, in one push.

        A ref the mirror no longer has is deleted on the remote. Each ref is a
        compare-and-swap as in :meth:`push`; the push is not atomic across refs.
        """
        if self.is_local or not expected:
            return
        local = self.repo._pygit2.references
        specs = [f"{n}:{n}" if n in local else f":{n}" for n in sorted(expected)]
        name = ", ".join(sorted(expected)) if len(expected) < 4 else f"{len(expected)} refs"
        callbacks = _Callbacks(self.location, {n: v or _ZERO for n, v in expected.items()})
        _set_timeouts()
        try:
            self.repo._pygit2.remotes["origin"].push(specs, callbacks=callbacks)
        except _StaleTip as exc:
            raise errors.RefConflict(self._error(f"{exc} moved on", "stale")) from None
        except _AuthFailed as exc:
            raise errors.InvalidInput(self._error("authentication failed for", exc)) from None
        except (pygit2.GitError, OSError) as exc:
            raise _push_error(self._error(f"cannot push {name} to", exc), str(exc)) from None
        _check_push(callbacks, self._error(f"push of {name} rejected by", "server"))


_V2_SCHEMES = ("git://", "http://", "https://")


def _explicit(refspecs: Sequence[str]) -> bool:
    """Whether every refspec names one ref (no wildcard): what protocol v2 can ask by prefix."""
    return all("*" not in s for s in refspecs)


def _source(refspec: str) -> str:
    """The remote side of a fetch refspec (``+refs/heads/a:refs/heads/a`` -> ``refs/heads/a``)."""
    return refspec.removeprefix("+").partition(":")[0]


def _plain_git_env() -> dict[str, str]:
    """Our environment without Git's repository variables (a hook's GIT_DIR, quarantine...)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def _push_error(text: str, raw: str) -> errors.GitopsOcmError:
    """Classify a push the client library refused to send."""
    if "non-fastforward" in raw or "fast-forward" in raw:
        return errors.RefConflict(text)
    return errors.Transient(text)


def _check_push(callbacks: _Callbacks, prefix: str) -> None:
    """Raise for refs the server refused: hook declines are invalid input, the rest races."""
    if not callbacks.rejected:
        return
    reasons = "; ".join(f"{ref}: {msg}" for ref, msg in sorted(callbacks.rejected.items()))
    remote = "".join(callbacks.messages).strip()
    text = urls.redact(f"{prefix}: {reasons}" + (f"\n{remote}" if remote else ""))
    if any("declined" in msg for msg in callbacks.rejected.values()):
        raise errors.InvalidInput(text)
    raise errors.RefConflict(text)


def _default_cache() -> Path:
    try:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    except RuntimeError as exc:  # no HOME and no passwd entry
        raise errors.GitopsOcmError("no home directory for the mirror: pass --cache-dir") from exc
    return Path(base) / "gitops-ocm"


def _open_mirror(url: str, cache_dir: Path) -> repository.Repository:
    """Open (creating it if needed) the bare mirror of ``url`` under ``cache_dir``."""
    try:
        return repository._wrap(_mirror(url, cache_dir))
    except (OSError, pygit2.GitError) as exc:
        detail = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise errors.GitopsOcmError(
            f"cannot keep a mirror in {cache_dir}: {detail} "
            "(pass --cache-dir or set XDG_CACHE_HOME)"
        ) from exc


def _mirror(url: str, cache_dir: Path) -> pygit2.Repository:
    path = cache_dir / f"{urls.cache_key(url)}.git"
    if (path / "HEAD").exists():
        repo = pygit2.Repository(str(path))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        repo = pygit2.init_repository(str(path), bare=True)
    if "origin" not in [r.name for r in repo.remotes]:
        repo.remotes.create("origin", url, MIRROR_REFSPEC)
    elif repo.remotes["origin"].url != url:
        repo.remotes.set_url("origin", url)
    return repo


def _set_timeouts() -> None:
    """Bound how long a dead remote can stall us (libgit2's default is to wait forever)."""
    pygit2.settings.server_connect_timeout = CONNECT_TIMEOUT_MS
    pygit2.settings.server_timeout = IO_TIMEOUT_MS


def open_store(location: str, cache_dir: str | os.PathLike[str] | None = None) -> Store:
    """Open ``location`` (a path or URL); a URL is mirrored under ``cache_dir``."""
    return Store(location, cache_dir)
