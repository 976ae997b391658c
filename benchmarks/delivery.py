"""Benchmark of delivery at fleet scale over real transports: git daemon, smart HTTP, file://.

I/O. ``python benchmarks/delivery.py [--clusters 1000] [--transport daemon|http|file|all]
[--interval 60] [--workers 2] [--lease 3600] [--sample K] [--skip-polling]
[--skip-controller] [--scratch DIR]`` (benchmarks/README.md has the figures).

N agents on in-memory clusters (several per worker process, as benchmarks/fleet.py)
read ``ocm/hub`` from ONE bare repository and push their reports to it, through the
agent's own code path (``reconciler.Agent`` and ``gitstore.remote``). The repository
is served by ``git daemon`` (``--enable=receive-pack``) or by ``git http-backend``
behind the smart-HTTP bridge of ``gitops_ocm.gitstore.servers`` (in a process of its
own), both on 127.0.0.1, or read through ``file://`` (no server). For daemon and HTTP
the agents connect through a byte-counting TCP proxy (a process of its own), so
bytes are what crossed the wire in both directions, ref advertisement included.

Server CPU is read from ``/proc/<pid>/stat`` of the server process (git daemon, or
the bridge's Python process): utime + stime + cutime + cstime, so it counts the
server itself and every child it waited for (upload-pack, receive-pack,
pack-objects, http-backend). The proxy's and the agents' CPU are not in it.

Phases, per transport:

* rounds (every agent runs one pass, in order): cold (first apply and first
  report), idle (nothing changed, no lease due), a change of 100 clusters'
  folders, a change of every cluster's work. Each prints bytes and server CPU
  per pass, and for the changes the extra over an idle round;
* polling (unless ``--skip-polling``): every agent polls at ``--interval``,
  staggered over the interval (one loop per worker, not a thread per agent);
  after one interval of idle polling (server CPU per minute of wall time), a
  change of 100 other clusters, then of every cluster, each timed from the
  moment ``ocm/hub`` moved to 50 %, 99 % and 100 % of the touched clusters
  having applied it and pushed their report;
* with ``--sample K``, only K agents run, spread over the fleet, and the other
  clusters' report branches are seeded: the rounds then give what one agent
  costs at N refs and N clusters in the hub tree, without N agents (no polling);
* the hub controller's pass over the repository with N report branches
  (``Controller.reconcile`` twice: cold, then nothing new). ``main`` is absent,
  so the pass is the status fold over the report branches.

The refs advertised per fetch are counted by asking the server for the same
advertisement libgit2 gets (protocol v0: libgit2 1.9 does not speak protocol v2).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import datetime
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fleet

from gitops_ocm.agent import reconciler
from gitops_ocm.gitstore import objects, reader, remote, repository, servers, writer
from gitops_ocm.hub import controller, percluster
from gitops_ocm.localkube import memory
from gitops_ocm.model import yamlout
from gitops_ocm.trust import signers

HUB = "ocm/hub"
WORK = "web-abcde"
TOUCHED = 100
HTTP_SERVER = (
    "import sys\n"
    "from gitops_ocm.gitstore import servers\n"
    "with servers.http_bridge(sys.argv[1]) as url:\n"
    "    print(url, flush=True)\n"
    "    sys.stdin.read()\n"
)


# ---- pure helpers -------------------------------------------------------------------------


def stat_cpu_ticks(stat: str) -> int:
    """utime + stime + cutime + cstime (clock ticks) from one ``/proc/<pid>/stat`` line."""
    fields = stat.rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14))


def pkt_lines(data: bytes) -> Iterator[bytes | None]:
    """The pkt-lines of ``data`` in order (None for a flush ``0000``); stops at a short one."""
    pos = 0
    while pos + 4 <= len(data):
        size = int(data[pos : pos + 4], 16)
        if size == 0:
            yield None
            pos += 4
            continue
        if size < 4 or pos + size > len(data):
            return
        yield data[pos + 4 : pos + size]
        pos += size


def advertised_refs(data: bytes) -> int:
    """Refs in a v0 ref advertisement (``# service=`` header and capabilities-only line skipped)."""
    count = 0
    for line in pkt_lines(data):
        if line is None:
            if count:
                return count
            continue
        if line.startswith(b"# service=") or b"capabilities^{}" in line:
            continue
        count += 1
    return count


def percentile(values: Sequence[float], fraction: float) -> float:
    """The smallest value with at least ``fraction`` of ``values`` at or below it."""
    ordered = sorted(values)
    index = max(0, -(-len(ordered) * fraction // 1) - 1)
    return ordered[int(index)]


def touched_clusters(clusters: Sequence[str], count: int, shift: int) -> list[str]:
    """``count`` clusters spread evenly over the fleet, starting at ``shift``."""
    step = max(1, len(clusters) // count)
    return [clusters[(shift + i * step) % len(clusters)] for i in range(min(count, len(clusters)))]


# ---- the hub tree -------------------------------------------------------------------------


def cluster_files(name: str, version: int, lease: int) -> dict[str, bytes]:
    """One cluster's hub folder: its ManagedCluster and the work at ``version``."""
    cluster = {
        "apiVersion": "cluster.open-cluster-management.io/v1",
        "kind": "ManagedCluster",
        "metadata": {"name": name},
        "spec": {"hubAcceptsClient": True, "leaseDurationSeconds": lease},
    }
    return {
        f"clusters/{name}/cluster.yaml": yamlout.dump(cluster),
        f"clusters/{name}/manifestworks/{WORK}.yaml": yamlout.dump(fleet.work_body(version)),
    }


def hub_tree(versions: dict[str, int], lease: int) -> dict[str, bytes]:
    """The hub files for every cluster at its version (equal works share one blob)."""
    files = {"allowed_signers": signers.render({"hub": [fleet.SIGNER.public_key]}).encode()}
    for name, version in versions.items():
        files |= cluster_files(name, version, lease)
    return files


_CHANNELS: dict[str, percluster.Channels] = {}


def publish(repo: repository.Repository, versions: dict[str, int], lease: int, n: int) -> str:
    """Publish the hub tree as the controller would (signed, with ``Source-Commit``),
    and cut each changed cluster's commit on ``refs/ocm/hub/<cluster>`` from it, as the
    controller does: an agent fetches only its own ref."""
    result = writer.publish_tree(
        repo, HUB, hub_tree(versions, lease), f"hub: change {n}",
        {"Source-Commit": f"{n:040x}"}, author=fleet.AUTHOR,
    )  # fmt: skip
    assert result.commit is not None
    channels = _CHANNELS.get(repo.path)
    if channels is None:
        store = remote.open_store(repo.path)
        channels = _CHANNELS[repo.path] = percluster.Channels(store, fleet.AUTHOR)
    channels.sync(result.commit, f"{n:040x}")
    return result.commit


# ---- measuring the server: CPU from /proc, bytes through a proxy --------------------------


def server_cpu(pid: int | None) -> float:
    """CPU seconds of the server process and its waited-for children (0 without a server)."""
    if pid is None:
        return 0.0
    time.sleep(0.3)  # let the server reap the children of the last connections
    with open(f"/proc/{pid}/stat") as handle:
        return stat_cpu_ticks(handle.read()) / os.sysconf("SC_CLK_TCK")


async def _pump(
    source: asyncio.StreamReader,
    sink: asyncio.StreamWriter,
    count: list[int],
    head: bytearray | None,
) -> None:
    """Copy one direction until end of file (or a reset), adding the bytes to ``count[0]``."""
    try:
        while data := await source.read(1 << 16):
            count[0] += len(data)
            if head is not None and len(head) < 1 << 21:
                head += data
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
    except OSError:
        sink.close()


def proxy_main(listener: socket.socket, upstream: int, control: Connection) -> None:
    """Forward connections to ``upstream``; answer each control request with the records.

    A record is (bytes up, bytes down, refs advertised or -1) per connection; the
    advertisement is parsed on every 20th connection only, to keep the proxy light.
    """
    records: collections.deque[tuple[int, int, int]] = collections.deque()
    seen = [0]

    active: set[asyncio.Task[Any]] = set()  # asyncio keeps only weak references to tasks

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            active.add(task)
            task.add_done_callback(active.discard)
        seen[0] += 1
        head = bytearray() if seen[0] % 20 == 1 else None
        up_reader, up_writer = await asyncio.open_connection(servers.LOOPBACK, upstream)
        up, down = [0], [0]
        await asyncio.gather(
            _pump(reader, up_writer, up, None), _pump(up_reader, writer, down, head)
        )
        writer.close()
        up_writer.close()
        refs = -1 if head is None else advertised_refs(_http_body(bytes(head)))
        records.append((up[0], down[0], refs))

    def answer() -> None:
        while control.recv() is not None:
            taken = []
            while records:
                taken.append(records.popleft())
            control.send(taken)

    async def serve() -> None:
        server = await asyncio.start_server(handle, sock=listener)
        async with server:
            await asyncio.get_running_loop().run_in_executor(None, answer)

    asyncio.run(serve())


def _http_body(data: bytes) -> bytes:
    """The body of an HTTP response (the data itself when it is not HTTP)."""
    if data.startswith(b"HTTP/"):
        return data.split(b"\r\n\r\n", 1)[-1]
    return data


@dataclasses.dataclass
class Server:
    """A served repository: the agents' URL, the server's pid, the proxy's control pipe."""

    url: str
    pid: int | None
    control: Connection | None
    stop: list[Any]

    def records(self) -> list[tuple[int, int, int]]:
        """The proxy's records since the last call."""
        if self.control is None:
            return []
        self.control.send(True)
        return list(self.control.recv())

    def close(self) -> None:
        """Stop the proxy and the server."""
        for step in reversed(self.stop):
            step()


def serve(transport: str, root: Path, context: Any) -> Server:
    """Serve ``root`` over ``transport`` behind the counting proxy (file: no server)."""
    path = root / "hub.git"
    if transport == "file":
        return Server(f"file://{path}", None, None, [])
    if transport == "daemon":
        port = servers.free_port()
        proc = subprocess.Popen(
            _daemon_command(root, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        servers.wait_listening(port, proc, 10)
        scheme = "git"
    else:
        proc = subprocess.Popen(
            [sys.executable, "-c", HTTP_SERVER, str(root)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, cwd=str(Path(__file__).resolve().parent.parent),
        )  # fmt: skip
        assert proc.stdout is not None
        port = int(proc.stdout.readline().decode().rsplit(":", 1)[1])
        scheme = "http"
    listener = socket.socket()
    listener.bind((servers.LOOPBACK, 0))
    listener.listen(256)
    ours, theirs = context.Pipe()
    proxy = context.Process(target=proxy_main, args=(listener, port, theirs), daemon=True)
    proxy.start()
    url = f"{scheme}://{servers.LOOPBACK}:{listener.getsockname()[1]}/hub.git"

    def stop_server() -> None:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.terminate()
        proc.wait(10)

    def stop_proxy() -> None:
        ours.send(None)
        proxy.join(5)
        if proxy.is_alive():
            proxy.terminate()

    return Server(url, proc.pid, ours, [stop_server, stop_proxy])


def _daemon_command(root: Path, port: int) -> list[str]:
    """``git daemon`` run as ``git-daemon`` itself: ``git`` would run it as a child of its
    own, and the CPU of the daemon's children would not reach the pid we read."""
    exec_path = _git(root / "hub.git", "--exec-path").strip()
    return [os.path.join(exec_path, "git-daemon"), *servers.daemon_command(root, port)[2:]]


def probe_refs(server: Server, root: Path) -> int:
    """The refs a v0 fetch is advertised (asked from the server directly, not the proxy)."""
    if server.pid is None:
        return len(_git(root / "hub.git", "for-each-ref", "--format=%(refname)").split())
    if server.url.startswith("http"):
        base = server.url.rsplit("/", 1)[0]
        with urllib.request.urlopen(f"{base}/hub.git/info/refs?service=git-upload-pack") as page:
            return advertised_refs(page.read())
    host, port = server.url.split("/")[2].split(":")
    with socket.create_connection((host, int(port))) as sock:
        request = b"git-upload-pack /hub.git\0host=127.0.0.1\0"
        sock.sendall(b"%04x" % (len(request) + 4) + request)
        data = b""
        while not data.endswith(b"0000"):
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            data += chunk
        sock.sendall(b"0000")
    return advertised_refs(data)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


# ---- the agents ---------------------------------------------------------------------------


def worker(
    conn: Connection,
    url: str,
    names: list[str],
    state: str,
    place: tuple[int, int, int],
    reports: str | None = None,
) -> None:
    """Keep the agents of ``names``; run rounds or a staggered polling loop on request."""
    agents = [
        reconciler.Agent(
            reconciler.Settings(url, n, Path(state) / n, reports_repo=reports),
            memory.MemoryCluster(),
        )
        for n in names
    ]
    while True:
        request = conn.recv()
        if request is None:
            return
        if request[0] == "round":
            conn.send([_pass(agent, request[1]) for agent in agents])
        else:
            _poll(conn, agents, request[1], request[2], place)


def _pass(agent: reconciler.Agent, seconds: float) -> tuple[str, float, str | None, bool, float]:
    """One pass: (cluster, end time, hub commit applied, applied and reported, took ms)."""
    result = agent.run_once(fleet.T0 + datetime.timedelta(seconds=seconds))
    ok = result.pushed and not result.errors and not result.held
    return agent.settings.cluster, time.time(), result.hub_commit, ok, result.took_ms


def _poll(
    conn: Connection, agents: list[reconciler.Agent], interval: float, seconds: float,
    place: tuple[int, int, int],
) -> None:  # fmt: skip
    """Poll every agent every ``interval`` s, staggered over the fleet, until told to stop.

    ``place`` is (this worker's index, the number of workers, the fleet's size).
    Agent k of this worker (fleet index ``index + k * workers``) is due at
    ``start + offset + m * interval``; a late agent runs at once. Every pass is
    sent back as it ends; ``stop`` ends the loop, answered with ``None``.
    """
    start = time.time()
    index, workers, total = place
    offsets = [(index + k * workers) / total * interval for k in range(len(agents))]
    rounds = [0] * len(agents)
    while True:
        k = min(range(len(agents)), key=lambda i: offsets[i] + rounds[i] * interval)
        due = start + offsets[k] + rounds[k] * interval
        if conn.poll(max(0.0, due - time.time())):
            conn.recv()
            conn.send(None)
            return
        conn.send(_pass(agents[k], seconds + time.time() - start))
        rounds[k] += 1


@dataclasses.dataclass
class Fleet:
    """The worker processes and their pipes."""

    conns: list[Connection]
    procs: list[Any]

    def round(
        self, seconds: float
    ) -> tuple[float, list[tuple[str, float, str | None, bool, float]]]:
        """Every agent runs one pass; return the wall time and the passes."""
        started = time.perf_counter()
        for conn in self.conns:
            conn.send(("round", seconds))
        passes = [p for conn in self.conns for p in conn.recv()]
        return time.perf_counter() - started, passes

    def close(self) -> None:
        """Stop the workers."""
        for conn in self.conns:
            conn.send(None)
        for proc in self.procs:
            proc.join()


def start_fleet(
    context: Any,
    url: str,
    clusters: list[str],
    workers: int,
    state: Path,
    reports: str | None = None,
) -> Fleet:
    """Fork the workers, each with every ``workers``-th cluster (``reports``: --reports-repo)."""
    conns, procs = [], []
    for index in range(workers):
        ours, theirs = context.Pipe()
        names = clusters[index::workers]
        args = (theirs, url, names, str(state), (index, workers, len(clusters)), reports)
        proc = context.Process(target=worker, args=args)
        proc.start()
        conns.append(ours)
        procs.append(proc)
    return Fleet(conns, procs)


# ---- the phases ---------------------------------------------------------------------------


@dataclasses.dataclass
class Meter:
    """Server CPU and bytes over a stretch of time."""

    server: Server

    def __enter__(self) -> Meter:
        self.server.records()
        self.cpu = server_cpu(self.server.pid)
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        self.cpu = server_cpu(self.server.pid) - self.cpu
        self.conns = self.server.records()
        self.bytes = sum(up + down for up, down, _ in self.conns)

    def refs(self) -> int:
        """The most refs seen in a sampled advertisement (-1: none sampled)."""
        return max((refs for _, _, refs in self.conns), default=-1)


def report_round(label: str, wall: float, passes: list[Any], meter: Meter, n: int) -> None:
    """Print one round's figures (bytes and CPU per pass; -1 refs: no server)."""
    took = [p[4] for p in passes]
    bad = sum(not p[3] for p in passes)
    served = (
        f"server CPU {meter.cpu * 1000 / n:6.2f} ms/pass  "
        f"bytes {meter.bytes / n / 1024:8.2f} KB/pass ({len(meter.conns)} connections)"
    )
    print(
        f"  {label:<18} wall {wall:7.1f} s  pass p50 {statistics.median(took):6.1f} ms "
        f"p99 {percentile(took, 0.99):7.1f} ms  not reported {bad}  "
        + (served if meter.server.pid is not None else "(no server: no CPU or bytes)")
    )


def report_change(label: str, meter: Meter, idle: Meter, touched: int, n: int) -> None:
    """Print what a change cost beyond an idle round, and how many fetches downloaded more."""
    extra_cpu = meter.cpu - idle.cpu
    extra = meter.bytes - idle.bytes
    floor = max((down for _, down, _ in idle.conns), default=0) + 1024
    heavy = sum(down > floor for _, down, _ in meter.conns)
    print(
        f"  {label:<18} extra over idle: server CPU {extra_cpu:6.2f} s "
        f"({extra_cpu * 1000 / max(1, touched):7.2f} ms per touched cluster), "
        f"bytes {extra / 1024:9.1f} KB "
        f"({extra / max(1, touched) / 1024:7.2f} KB per touched cluster); connections that "
        f"downloaded more than an idle poll + 1 KB: {heavy} (touched {touched}, agents {n})"
    )


def wait_applied(
    fleet_: Fleet, commit: str, touched: set[str], since: float, timeout: float
) -> list[float]:
    """Collect polling passes until every touched cluster applied ``commit``; return delays."""
    delays: dict[str, float] = {}
    deadline = time.time() + timeout
    while len(delays) < len(touched) and time.time() < deadline:
        ready = multiprocessing.connection.wait(fleet_.conns, timeout=1.0)
        for conn in ready:
            name, end, hub_commit, ok, _ = conn.recv()  # type: ignore[union-attr]
            if name in touched and name not in delays and ok and hub_commit == commit:
                delays[name] = end - since
    return list(delays.values())


def report_delays(label: str, delays: list[float], touched: int, publish_s: float) -> None:
    """Print push-to-applied percentiles."""
    if not delays:
        print(f"  {label:<18} none of {touched} clusters applied it in time")
        return
    done = len(delays) / touched
    p = {f: percentile(delays, f) for f in (0.5, 0.99, 1.0)}
    print(
        f"  {label:<18} hub publish {publish_s * 1000:6.0f} ms; push -> applied and reported: "
        f"50 % {p[0.5]:6.1f} s  99 % {p[0.99]:6.1f} s  100 % {p[1.0]:6.1f} s "
        f"({len(delays)}/{touched} = {done:.0%})"
    )


def stop_polling(fleet_: Fleet) -> None:
    """Stop every worker's polling loop, draining the passes still in flight."""
    for conn in fleet_.conns:
        conn.send("stop")
    for conn in fleet_.conns:
        while conn.recv() is not None:
            pass


def polling(
    fleet_: Fleet, server: Server, repo: repository.Repository, state: dict[str, Any]
) -> None:
    """Idle polling for one interval, then a 100-cluster change and a whole-fleet change."""
    interval, clusters, versions, lease = (
        state["interval"],
        state["clusters"],
        state["versions"],
        state["lease"],
    )
    n = len(clusters)
    for conn in fleet_.conns:
        conn.send(("poll", interval, 100.0))
    with Meter(server) as idle:
        passes = _drain_for(fleet_, interval)
    print(
        f"  polling idle       {passes} passes in {idle.seconds:.1f} s "
        f"({passes / idle.seconds * 60:.0f} per minute, target {n * 60 / interval:.0f}); "
        f"server CPU {idle.cpu / idle.seconds * 60:.2f} s per minute of wall time; "
        f"bytes {idle.bytes / idle.seconds * 60 / 1024 / 1024:.1f} MB per minute"
    )
    for label, touched in (
        (f"poll {TOUCHED} changed", touched_clusters(clusters, TOUCHED, 1)),
        ("poll all changed", list(clusters)),
    ):
        state["change"] += 1
        for name in touched:
            versions[name] = state["change"]
        started = time.perf_counter()
        commit = publish(repo, versions, lease, state["change"])
        since, took = time.time(), time.perf_counter() - started
        delays = wait_applied(fleet_, commit, set(touched), since, 4 * interval + n * 0.05)
        report_delays(label, delays, len(touched), took)
    stop_polling(fleet_)


def _drain_for(fleet_: Fleet, seconds: float) -> int:
    """Count polling passes for ``seconds``."""
    count = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        for conn in multiprocessing.connection.wait(fleet_.conns, timeout=deadline - time.time()):
            conn.recv()  # type: ignore[union-attr]
            count += 1
    return count


def verify(repo: repository.Repository, versions: dict[str, int]) -> int:
    """Count clusters whose report shows their current work applied."""
    good = 0
    for name, version in versions.items():
        blob = objects.blob_id(yamlout.dump(fleet.work_body(version))).hex()
        data = reader.read_tree_files(repo, f"ocm/reports/{name}", "manifestworks")
        report = yamlout.load(data[f"{WORK}.yaml"])
        conditions = {c["type"]: c["status"] for c in report["status"]["conditions"]}
        annotations = report["metadata"]["annotations"]
        good += (
            annotations["gitops-ocm.io/prescription"] == blob
            and conditions.get("Applied") == "True"
        )
    return good


def controller_passes(path: Path, n: int) -> None:
    """The hub controller's pass over the repository with ``n`` report branches."""
    store = remote.open_store(str(path))
    hub = controller.Controller(store, author=fleet.AUTHOR)
    for label in ("cold", "nothing new"):
        result = hub.reconcile()
        print(
            f"  controller {label:<8} pass {result.seconds * 1000:8.1f} ms with {n} report branches"
        )


def seed_reports(path: Path, names: Sequence[str]) -> None:
    """Give ``names`` a report branch each (one commit: cluster.yaml and lease.yaml), as if
    their agents had reported, in one ``git fast-import`` run (``--sample``)."""
    stream = bytearray()
    for name in names:
        files = {
            "cluster.yaml": yamlout.dump({"kind": "ManagedCluster", "metadata": {"name": name}}),
            "lease.yaml": yamlout.dump({"kind": "Lease", "metadata": {"namespace": name}}),
        }
        stream += f"commit refs/heads/ocm/reports/{name}\n".encode()
        stream += b"committer agent <agent@localhost> 1700000000 +0000\ndata 6\nreport\n"
        for file, data in files.items():
            stream += f"M 100644 inline {file}\ndata {len(data)}\n".encode() + data + b"\n"
    subprocess.run(["git", "--git-dir", str(path), "fast-import", "--quiet"], input=bytes(stream))
    # A served repository with thousands of refs is kept packed (git maintenance, gc):
    # a loose ref per branch makes every request list a 10,000-entry folder.
    subprocess.run(["git", "--git-dir", str(path), "pack-refs", "--all"], check=True)


def bench(transport: str, args: argparse.Namespace, scratch: Path) -> None:
    """Run every phase over one transport and print its figures."""
    root = scratch / transport
    root.mkdir()
    clusters = [f"cluster-{i:05d}" for i in range(args.clusters)]
    running = touched_clusters(clusters, args.sample, 1) if args.sample else clusters
    n = len(running)
    repo = repository.init(root / "hub.git")
    versions = dict.fromkeys(clusters, 1)
    publish(repo, versions, args.lease, 1)
    reports_path = root / ("reports.git" if args.reports_repo else "hub.git")
    reports_repo = repository.init(reports_path) if args.reports_repo else repo
    seed_reports(reports_path, sorted(set(clusters) - set(running)))
    context = multiprocessing.get_context("fork")
    server = serve(transport, root, context)
    reports_url = server.url.replace("/hub.git", "/reports.git") if args.reports_repo else None
    fleet_ = start_fleet(context, server.url, running, args.workers, root / "agents", reports_url)
    sampled = f" of {len(clusters)} clusters (the others' reports seeded)" if args.sample else ""
    apart = ", reports in their own repository" if args.reports_repo else ""
    print(f"{transport}: {n} agents{sampled}{apart}, {args.workers} worker processes, {server.url}")
    try:
        with Meter(server) as cold:
            wall, passes = fleet_.round(0)
        report_round("cold", wall, passes, cold, n)
        with Meter(server) as idle:
            wall, passes = fleet_.round(10)
        report_round("idle", wall, passes, idle, n)
        print(
            f"  refs advertised per fetch: {probe_refs(server, root)} "
            f"(sampled through the proxy: {idle.refs()})"
        )
        state = {"change": 1, "versions": versions, "clusters": clusters,
                 "interval": args.interval, "lease": args.lease}  # fmt: skip
        for label, touched in ((f"{TOUCHED} changed", touched_clusters(clusters, TOUCHED, 0)),
                               ("all changed", clusters)):  # fmt: skip
            state["change"] += 1
            for name in touched:
                versions[name] = state["change"]
            publish(repo, versions, args.lease, state["change"])
            with Meter(server) as meter:
                wall, passes = fleet_.round(20 + state["change"])
            report_round(label, wall, passes, meter, n)
            if server.pid is not None:
                report_change(label, meter, idle, len(set(touched) & set(running)), n)
        if not args.skip_polling and not args.sample:
            polling(fleet_, server, repo, state)
        good = verify(reports_repo, {name: versions[name] for name in running})
        print(f"  verified: {good}/{n} reports show their current work applied")
    finally:
        fleet_.close()
        server.close()
    if not args.skip_controller and not args.reports_repo:
        controller_passes(root / "hub.git", len(clusters))


def main() -> None:
    """Parse the arguments, run each transport in a scratch folder, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--transport", choices=("daemon", "http", "file", "all"), default="all")
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lease", type=int, default=3600, help="leaseDurationSeconds (s)")
    parser.add_argument("--skip-polling", action="store_true")
    parser.add_argument(
        "--sample", type=int, default=0,
        help="run only this many agents, spread over the fleet; seed the others' report "
        "branches (rounds only: idle-poll and change costs at N refs, without N agents)",
    )  # fmt: skip
    parser.add_argument("--skip-controller", action="store_true")
    parser.add_argument(
        "--reports-repo",
        action="store_true",
        help="agents push their report branches to a second repository (agent --reports-repo); "
        "the controller figure is then not measured",
    )
    parser.add_argument("--scratch", help="folder for the repository and agents (default /dev/shm)")
    args = parser.parse_args()
    base = args.scratch or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
    scratch = Path(tempfile.mkdtemp(prefix="delivery-bench-", dir=base))
    transports = ("daemon", "http") if args.transport == "all" else (args.transport,)
    try:
        for transport in transports:
            bench(transport, args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
