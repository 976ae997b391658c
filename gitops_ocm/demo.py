"""The whole loop on one machine: a Git server, a hub controller, three spokes.

I/O shell. Creates a work folder with a bare repository seeded from
``examples/repo``, serves it with ``git daemon`` on 127.0.0.1, starts three
embedded Kubernetes API servers (with workload simulation), the controller and
one agent per cluster, each as its own process. The agents create their keys
and send registration requests; the demo then plays the person who reviews
them: ``gitops-ocm accept`` for each cluster in a checkout of main, one commit,
one push (the double opt-in of docs/security.md). It waits until the fleet has
converged, pushes a change, waits again, and prints what happened and where to
look. Everything binds to loopback and stops at the end unless ``keep``.

Every process starts in its own session (so a terminal's Ctrl-C or hang-up,
meant for the demo command, does not reach it) with its output in
``logs/<name>.log``, and its pid goes to ``DIR/pids`` as it starts. With
``keep`` they outlive the demo command; :func:`stop` ends them from that file
(``gitops-ocm demo --stop DIR``), also after a demo that was killed. The example
fleet ships inside the package (``gitops_ocm/example_fleet``, a link to
``examples/repo`` in a checkout), so an installed wheel runs the demo too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gitops_ocm import errors, fleetview
from gitops_ocm.gitstore import reader, refs, remote, servers
from gitops_ocm.hub import trees
from gitops_ocm.model import yamlout
from gitops_ocm.status import registrations
from gitops_ocm.work import rolloutstate

EXAMPLES = Path(__file__).resolve().parent / "example_fleet"
PIDS = "pids"
STOP_GRACE = 10.0
CLUSTERS = ("eu-prod-1", "us-prod-1", "us-dev-1")
CHANGE_FILE = "apps/guestbook.yaml"
Say = Callable[[str], None]


@dataclasses.dataclass
class Demo:
    """The running pieces of a demo."""

    root: Path
    repo: Path
    url: str = ""
    procs: dict[str, subprocess.Popen[bytes]] = dataclasses.field(default_factory=dict)
    kubeconfigs: dict[str, Path] = dataclasses.field(default_factory=dict)


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=gitops-ocm demo", "-c", "user.email=demo@localhost", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise errors.GitopsOcmError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def seed(root: Path) -> Path:
    """Create ``root/fleet.git`` with the example fleet on main; return its path."""
    if not EXAMPLES.is_dir():
        raise errors.GitopsOcmError(f"example fleet not found at {EXAMPLES}")
    repo = root / "fleet.git"
    work = root / "checkout"
    _git(root, "init", "-q", "--bare", "-b", "main", str(repo))
    shutil.copytree(EXAMPLES, work)
    _git(work, "init", "-q", "-b", "main")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "Example fleet")
    _git(work, "push", "-q", str(repo), "main")
    return repo


def _spawn(demo: Demo, name: str, *args: str) -> subprocess.Popen[bytes]:
    """Start ``gitops-ocm ARGS`` as the demo process ``name``."""
    return _start(demo, name, [sys.executable, "-m", "gitops_ocm", *args])


def _start(demo: Demo, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` detached (own session, no stdin, output to its log); record its pid."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(demo.root / "logs" / f"{name}.log", "wb") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    demo.procs[name] = proc
    lines = "".join(f"{p.pid} {n}\n" for n, p in demo.procs.items())
    (demo.root / f".{PIDS}.tmp").write_text(lines)
    os.replace(demo.root / f".{PIDS}.tmp", demo.root / PIDS)
    return proc


def serve(demo: Demo) -> str:
    """Start ``git daemon`` on ``demo.root`` as a demo process; return the fleet's URL."""
    port = servers.free_port()
    proc = _start(demo, "git-daemon", servers.daemon_command(demo.root, port))
    servers.wait_listening(port, proc, 10.0)
    return f"git://{servers.LOOPBACK}:{port}/fleet.git"


def _wait(what: str, check: Callable[[], bool], timeout: float, say: Say, demo: Demo) -> None:
    start = time.monotonic()
    last = -1
    while not check():
        waited = int(time.monotonic() - start)
        if waited >= timeout:
            raise errors.Transient(
                f"timed out after {timeout:.0f}s waiting for {what}; logs in {demo.root / 'logs'}"
            )
        for name, proc in demo.procs.items():
            if proc.poll() is not None:
                raise errors.GitopsOcmError(
                    f"{name} exited with {proc.returncode}; see {demo.root / 'logs' / name}.log"
                )
        if waited != last and waited % 5 == 0 and waited:
            say(f"  ... still waiting for {what} ({waited}s)")
            last = waited
        time.sleep(0.25)


def start_clusters(demo: Demo, say: Say) -> None:
    """Start one embedded API server per cluster and wait for their kubeconfigs."""
    for cluster in CLUSTERS:
        config = demo.root / "kube" / f"{cluster}.kubeconfig"
        demo.kubeconfigs[cluster] = config
        _spawn(demo, f"localkube-{cluster}", "localkube", "--kubeconfig", str(config),
               "--name", cluster, "--simulate-workloads")  # fmt: skip
    _wait("API servers", lambda: all(p.exists() for p in demo.kubeconfigs.values()), 30, say, demo)


def _status(demo: Demo) -> trees.LazyFiles | None:
    store = remote.open_store(str(demo.repo))
    tip = refs.read_tip(store.repo, refs.branch_ref("ocm/status")).id
    if tip is None:
        return None
    lazy = reader.lazy_tree(store.repo, tip)
    return trees.LazyFiles(lazy.blobs, lazy.read)


def converged(demo: Demo, source: str | None = None) -> bool:
    """True when every demo cluster is available and has applied its current works,
    and every staged rollout on ``ocm/hub`` has finished (docs/rollout.md)."""
    store = remote.open_store(str(demo.repo))
    hub_tip = refs.read_tip(store.repo, refs.branch_ref("ocm/hub")).id
    status = _status(demo)
    if hub_tip is None or status is None:
        return False
    if source is not None:
        controller = _yaml(status.get("controller.yaml") or b"{}")
        if (controller.get("status") or {}).get("lastReconciledCommit") != source:
            return False
    hub = reader.lazy_tree(store.repo, hub_tip)
    for path, blob in hub.blobs.items():
        if path.startswith(rolloutstate.FOLDER + "/"):
            state = rolloutstate.RolloutState.from_body(_yaml(reader.read_blob(store.repo, blob)))
            if state is None or state.phase != rolloutstate.SUCCEEDED:
                return False
    for cluster in CLUSTERS:
        detail = fleetview.cluster_detail(status, cluster)
        available = {c["type"]: c["status"] for c in detail["conditions"]}
        if available.get(fleetview.AVAILABLE) != "True":
            return False
        prefix = f"clusters/{cluster}/manifestworks/"
        for path, blob in hub.blobs.items():
            if not path.startswith(prefix):
                continue
            report = status.get(f"clusters/{cluster}/manifestworks/{path[len(prefix) :]}")
            if report is None or blob.encode() not in report:
                return False
            if fleetview.work_state(_yaml(report))["Applied"] != "True":
                return False
    return True


def requested(demo: Demo) -> bool:
    """True when every demo cluster's registration request waits on ``ocm/status``."""
    status = _status(demo)
    if status is None:
        return False
    records = registrations.read_all(status)
    return {r.cluster for r in registrations.pending(records)} >= set(CLUSTERS)


def accept_all(demo: Demo) -> tuple[str, list[str]]:
    """Accept every pending request in the checkout, commit and push; return commit and keys."""
    work = demo.root / "checkout"
    shown: list[str] = []
    for cluster in CLUSTERS:
        done = subprocess.run(
            [sys.executable, "-m", "gitops_ocm", "accept", cluster, str(work),
             "--repo", str(demo.repo)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise errors.GitopsOcmError(f"accept {cluster} failed: {done.stderr.strip()}")
        shown.append(done.stdout.splitlines()[0].rstrip(":") if done.stdout else cluster)
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", f"accept clusters {', '.join(CLUSTERS)}")
    _git(work, "push", "-q", demo.url, "main")
    return _git(work, "rev-parse", "HEAD").strip(), shown


def _yaml(data: bytes) -> dict[str, Any]:
    return yamlout.load_mapping(data)


def push_change(demo: Demo) -> str:
    """Change the guestbook greeting in a checkout and push it; return the new commit."""
    work = demo.root / "checkout"
    path = work / CHANGE_FILE
    text = path.read_text()
    if "Hello from the fleet" not in text:
        raise errors.GitopsOcmError(f"{CHANGE_FILE} no longer has the demo's greeting")
    path.write_text(text.replace("Hello from the fleet", "Hello from gitops-ocm"))
    _git(work, "commit", "-q", "-am", "guestbook: new greeting")
    _git(work, "push", "-q", demo.url, "main")
    return _git(work, "rev-parse", "HEAD").strip()


@contextlib.contextmanager
def running(root: Path, keep: bool) -> Iterator[Demo]:
    """Start the git server; stop every process on the way out, unless ``keep`` and it went well.

    The daemon is a plain detached process, not a context manager's: a generator
    left suspended for ``keep`` is closed when it is collected, and that used to
    stop the daemon as soon as the demo returned.
    """
    (root / "logs").mkdir(parents=True, exist_ok=True)
    (root / "kube").mkdir(exist_ok=True)
    demo = Demo(root, seed(root))
    ok = False
    try:
        demo.url = serve(demo)
        yield demo
        ok = True
    finally:
        if not (keep and ok):
            _stop(demo)


def _stop(demo: Demo) -> None:
    for proc in demo.procs.values():
        proc.terminate()
    for proc in demo.procs.values():
        try:
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    (demo.root / PIDS).unlink(missing_ok=True)


def recorded(root: Path) -> dict[int, str]:
    """The demo processes recorded in ``root/pids``: ``{pid: name}``."""
    try:
        text = (root / PIDS).read_text()
    except OSError as exc:  # absent, or ``root`` is not a folder
        raise errors.NotFound(f"no demo processes recorded in {root} (no {PIDS} file)") from exc
    out: dict[int, str] = {}
    for line in text.splitlines():
        pid, _, name = line.partition(" ")
        if pid.isdigit():
            out[int(pid)] = name
    return out


def alive(pid: int, root: Path) -> bool:
    """Whether ``pid`` still runs and is one of this demo's (its command line names ``root``)."""
    proc = Path("/proc") / str(pid)
    try:
        state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X") and str(root) in cmdline


def stop(root: Path) -> list[str]:
    """Stop the processes a demo recorded in ``root/pids``; return the names of those stopped."""
    root = root.resolve()
    running_now = {pid: name for pid, name in recorded(root).items() if alive(pid, root)}
    for pid in running_now:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while any(alive(pid, root) for pid in running_now) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in running_now:
        if alive(pid, root):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    (root / PIDS).unlink(missing_ok=True)
    return sorted(running_now.values())


def run(root: Path, keep: bool, say: Say) -> Demo:
    """Run the demo and return its state (processes still running only with ``keep``)."""
    started = time.monotonic()
    with running(root, keep) as demo:
        say(f"[1/6] fleet repository seeded from examples/repo, served at {demo.url}")
        start_clusters(demo, say)
        say(f"[2/6] {len(CLUSTERS)} local API servers up: {', '.join(CLUSTERS)}")
        _spawn(demo, "controller", "controller", "--repo", demo.url, "--interval", "1",
               "--cache-dir", str(root / "cache"),
               "--signing-key", str(root / "state" / "controller.key"))  # fmt: skip
        for cluster in CLUSTERS:
            _spawn(demo, f"agent-{cluster}", "agent", "--repo", demo.url, "--cluster", cluster,
                   "--kubeconfig", str(demo.kubeconfigs[cluster]), "--interval", "1",
                   "--state", str(root / "state" / cluster))  # fmt: skip
        say("[3/6] controller and agents started; each agent made its key and asks to join")
        _wait("the registration requests", lambda: requested(demo), 60, say, demo)
        commit, shown = accept_all(demo)
        for line in shown:
            say(f"      gitops-ocm accept: {line}")
        say(f"[4/6] pushed {commit[:12]} accepting the three keys; waiting for the fleet")
        _wait("the fleet to converge", lambda: converged(demo, commit), 90, say, demo)
        say(f"      converged after {time.monotonic() - started:.0f}s")
        commit = push_change(demo)
        say(f"[5/6] pushed {commit[:12]} (guestbook greeting changed); waiting for it to land")
        _wait("the change to reach every cluster", lambda: converged(demo, commit), 90, say, demo)
        say(f"[6/6] change applied everywhere after {time.monotonic() - started:.0f}s in total")
        for line in rollout_lines(demo):
            say(f"      {line}")
        report(demo, say)
    return demo


def rollout_lines(demo: Demo) -> list[str]:
    """One line per staged rollout on ``ocm/hub``: its phase and the steps that gave clusters."""
    store = remote.open_store(str(demo.repo))
    tip = refs.read_tip(store.repo, refs.branch_ref("ocm/hub")).id
    if tip is None:
        return []
    lines = []
    for _path, blob in sorted(reader.lazy_tree(store.repo, tip, rolloutstate.FOLDER).blobs.items()):
        state = rolloutstate.RolloutState.from_body(_yaml(reader.read_blob(store.repo, blob)))
        if state is None:
            continue
        steps = [s for s in state.steps if s.revision == state.revision and s.given]
        order = ", then ".join(" + ".join(s.clusters) for s in steps)
        lines.append(
            f"staged rollout {state.namespace}/{state.name} {state.revision}: "
            f"{state.phase} in {len(steps)} steps ({order}); "
            f"gitops-ocm status --repo {demo.repo} --work {state.name}"
        )
    return lines


def root_signers(demo: Demo) -> Path:
    """Where the demo's "where to look" lines save ``allowed_signers`` for git verify-commit."""
    return demo.root / "allowed_signers"


def report(demo: Demo, say: Say) -> None:
    """Print the fleet table and where to look."""
    status = _status(demo)
    if status is not None:
        say("")
        say(fleetview.controller_summary(status))
        say(fleetview.table(fleetview.cluster_rows(status)))
    say("")
    say("Where to look:")
    say(f"  git --git-dir {demo.repo} log --oneline ocm/hub ocm/status")
    say(f"  git --git-dir {demo.repo} show ocm/status:README.md")
    say(f"  git --git-dir {demo.repo} show ocm/hub:allowed_signers > {root_signers(demo)}")
    say(f"  git --git-dir {demo.repo} -c gpg.format=ssh "
        f"-c gpg.ssh.allowedSignersFile={root_signers(demo)} verify-commit ocm/hub")  # fmt: skip
    config = demo.kubeconfigs[CLUSTERS[0]]
    say(f"  kubectl --kubeconfig {config} get deployments -A")
    say(f"  gitops-ocm status --repo {demo.repo}")
    say(f"  logs: {demo.root / 'logs'}")
