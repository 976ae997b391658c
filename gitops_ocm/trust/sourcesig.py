"""Source verification: may a ``main`` commit be published, judged by its SSH signature?

Pure: the shell (:mod:`gitops_ocm.hub.sourcecheck`) reads the allowed-signers file
and the commits and passes them in. ``load`` reads the file people write
(``controller --verify-source FILE``) with ``signers.parse`` and also checks
every ``valid-after``/``valid-before`` value, so a malformed date is refused at
start with ``file:line`` (T609). ``judge`` gives one commit's verdict, as stock
``git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=FILE verify-commit``
would: the signature must verify over the commit's payload, its key must be
listed for some principal in the namespace ``git`` (any principal: the file lists
the people who may change the fleet), and the commit's committer time must lie
inside that line's ``valid-after``/``valid-before`` window (git passes the same
time to ssh-keygen as ``verify-time``; ``signers.keys_for`` does not check it).

A refusal carries a stable code and the condition's reason:

- T651 ``Unsigned``: the commit has no signature;
- T652 ``SignerNotAllowed``: a valid signature by a key the file does not list for
  namespace ``git``, or lists only for another time;
- T653 ``SignatureInvalid``: the signature does not verify (a tampered commit) or
  cannot be read;
- T654 ``TooManyCommits``: ``--verify-mode all`` found more than ``MAX_COMMITS``
  commits to verify;
- T655 ``SignatureUnsupported``: a GPG (OpenPGP) or X.509 signature, which an SSH
  allowed-signers file cannot verify;
- T656 ``SignersUnreadable``: the file could not be read again after it changed.

Times without a trailing ``Z`` are read as UTC (ssh-keygen reads them in the
machine's zone); write ``Z`` for a meaning independent of the machine.
"""

from __future__ import annotations

import dataclasses
import datetime
import re

from gitops_ocm.problems import Problem
from gitops_ocm.trust import commits, failure, signers, sshsig

UNSIGNED = ("T651", "Unsigned")
NOT_ALLOWED = ("T652", "SignerNotAllowed")
BAD_SIGNATURE = ("T653", "SignatureInvalid")
TOO_MANY = ("T654", "TooManyCommits")
UNSUPPORTED = ("T655", "SignatureUnsupported")
UNREADABLE = ("T656", "SignersUnreadable")
CODES = frozenset(
    code for code, _ in (UNSIGNED, NOT_ALLOWED, BAD_SIGNATURE, TOO_MANY, UNSUPPORTED, UNREADABLE)
)
CONDITION_REASON = "SignatureInvalid"  # SourceValid's reason when any of CODES refused the head
MAX_COMMITS = 1000
BRANCH = "main"
_TIME = re.compile(r"(\d{8})(\d{4}(\d{2})?)?[Zz]?")
_FOREIGN = {
    "-----BEGIN PGP SIGNATURE-----": "GPG (OpenPGP)",
    "-----BEGIN PGP MESSAGE-----": "GPG (OpenPGP)",
    "-----BEGIN SIGNED MESSAGE-----": "X.509 (gpgsm)",
}


@dataclasses.dataclass(frozen=True)
class Verified:
    """The commit's signature verifies with a listed key: who signed it."""

    commit: str
    principal: str
    fingerprint: str


@dataclasses.dataclass(frozen=True)
class Refused:
    """The commit may not be published, and why."""

    commit: str
    code: str
    reason: str
    detail: str
    fingerprint: str | None = None

    def problem(self, branch: str = BRANCH) -> Problem:
        """The problem ``controller.yaml`` lists: the code, the commit and why."""
        signed_by = f" signed by {self.fingerprint}" if self.fingerprint else ""
        return Problem(
            branch,
            1,
            1,
            self.code,
            "",
            f"commit {self.commit[:12]} is not verified: {self.detail}",
            f"commit {self.commit}{signed_by}",
        )


Verdict = Verified | Refused


def load(text: str, where: str) -> tuple[signers.Entry, ...]:
    """Return the entries of an allowed-signers file; T609 names a malformed line or date."""
    entries = signers.parse(text, where)
    for entry in entries:
        for option, value in (
            ("valid-after", entry.valid_after),
            ("valid-before", entry.valid_before),
        ):
            if value is not None and parse_time(value) is None:
                raise failure.TrustError(
                    failure.SIGNERS,
                    f"{option} is YYYYMMDD[HHMM[SS]][Z] (got {value[:40]!r})",
                    f"{where}:{entry.line}",
                )
    return entries


def parse_time(text: str) -> int | None:
    """Return the epoch seconds of an allowed-signers time (UTC), or None when malformed."""
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    digits = text.rstrip("Zz").ljust(14, "0")
    try:
        when = datetime.datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=datetime.UTC)
    except ValueError:
        return None
    return int(when.timestamp())


def judge(commit: str, parts: commits.Parts, entries: tuple[signers.Entry, ...]) -> Verdict:
    """Return whether ``commit`` (taken apart into ``parts``) verifies against ``entries``."""
    if parts.signature is None:
        return Refused(commit, *UNSIGNED, "the commit is not signed")
    foreign = _FOREIGN.get(parts.signature.lstrip().split("\n", 1)[0].strip())
    if foreign is not None:
        detail = f"it is signed with {foreign}; only SSH signatures verify against --verify-source"
        return Refused(commit, *UNSUPPORTED, detail)
    try:
        key = sshsig.verify(parts.signature, parts.payload)
    except failure.TrustError as exc:
        return Refused(commit, *BAD_SIGNATURE, f"its signature does not verify ({exc})")
    listed = [e for e in entries if e.key == key and not e.cert_authority and _in_git(e)]
    if not listed:
        detail = "its key is not listed for namespace git in the allowed-signers file"
        return Refused(commit, *NOT_ALLOWED, detail, key.fingerprint)
    when = committer_time(parts.payload)
    valid = [e for e in listed if _valid_at(e, when)]
    if not valid:
        return Refused(commit, *NOT_ALLOWED, _window_detail(listed[0], when), key.fingerprint)
    return Verified(commit, valid[0].principals[0], key.fingerprint)


def unreadable(commit: str, why: str) -> Refused:
    """The verdict on a commit whose object could not be read or taken apart (T611 and the like)."""
    return Refused(commit, *BAD_SIGNATURE, f"its signature cannot be read ({why})")


def parents(payload: bytes) -> tuple[str, ...]:
    """Return the parent ids named in a commit's headers, in order."""
    return tuple(
        line[7:].decode("ascii") for line in _headers(payload) if line.startswith(b"parent ")
    )


def committer_time(payload: bytes) -> int | None:
    """Return the committer time (epoch seconds) of a commit's headers, None if unreadable."""
    for line in _headers(payload):
        if line.startswith(b"committer "):
            fields = line.rsplit(b" ", 2)
            return int(fields[1]) if len(fields) == 3 and fields[1].isdigit() else None
    return None


def _headers(payload: bytes) -> list[bytes]:
    return payload.split(b"\n\n", 1)[0].split(b"\n")


def _in_git(entry: signers.Entry) -> bool:
    return entry.namespaces is None or signers.NAMESPACE in entry.namespaces


def _valid_at(entry: signers.Entry, when: int | None) -> bool:
    """Whether ``when`` lies in the line's window (no window: always; no time: only then)."""
    after = parse_time(entry.valid_after) if entry.valid_after else None
    before = parse_time(entry.valid_before) if entry.valid_before else None
    if after is None and before is None:
        return True
    if when is None:
        return False
    return (after is None or when >= after) and (before is None or when <= before)


def _window_detail(entry: signers.Entry, when: int | None) -> str:
    window = f"valid-after={entry.valid_after or '-'} valid-before={entry.valid_before or '-'}"
    shown = "unknown" if when is None else _stamp(when)
    return f"its key is listed only for {window} (line {entry.line}); the commit time is {shown}"


def _stamp(when: int) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.UTC).strftime("%Y%m%d%H%M%SZ")
