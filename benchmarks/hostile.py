"""What a small but expensive file costs `validate`, `plan` and the pre-receive hook.

Each case is one file added to the example fleet in a pull request. For each we
print the wall time and peak memory (max RSS of the process) of:

- ``validate`` of a folder holding only that file (the per-file budget: 2 s, 300 MB);
- ``validate`` of the whole head commit (``--rev``);
- ``plan --base main~1 --head main`` (what CI posts on the pull request);
- ``hook pre-receive`` run as Git runs it, the push's line on stdin.

Cases over a limit must be refused with their code; cases just under the limits
are the most a file can cost and still be read. Usage (from the repository root):

    ./dev python benchmarks/hostile.py [--only NAME ...] [--pythonpath CHECKOUT]

``--pythonpath`` runs another checkout's package (``python -m gitops_ocm``) in
the same environment, for before/after figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "repo"

WORK = """apiVersion: work.open-cluster-management.io/v1
kind: ManifestWork
metadata:
  name: big
  namespace: eu-prod-1
spec:
  workload:
    manifests:
      - apiVersion: v1
        kind: ConfigMap
        metadata:
          name: big
          namespace: default
        data:
"""


def cases() -> dict[str, str]:
    """The files, by name: over a limit (refused) and just under every limit (read)."""
    under_nodes = WORK + "".join(f"          k{i}: v\n" for i in range(124_000))
    under_aliases = (
        WORK
        + "          a: &a ["
        + ",".join(["x"] * 1_000)
        + "]\n"
        + "".join(f"          k{i}: *a\n" for i in range(240))
    )
    return {
        "tiny-flow-lists (3.9 MB)": "a: [" + ",".join(["[]"] * 1_300_000) + "]\n",
        "tiny-flow-maps (3.9 MB)": "a: [" + ",".join(["{}"] * 1_300_000) + "]\n",
        "million-scalars (4 MB)": "a:\n" + "- 1\n" * 1_000_000,
        "500k-empty-documents (2 MB)": "---\n" * 500_000,
        "million-brackets (2 MB)": "a: " + "[" * 1_000_000 + "]" * 1_000_000,
        "alias-bomb (1 KB)": "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n"
            for i in range(8)
        ),
        "work-under-node-limit (2.5 MB)": under_nodes,
        "work-under-alias-limit (10 KB)": under_aliases,
    }


def measure(command: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    """Run ``command``; return its wall and CPU seconds, peak memory and exit code.

    CPU time (user + system, from the process's rusage) holds better than wall
    time on a machine that is busy with something else.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stderr is not None
    process.stdin.write(stdin)
    process.stdin.close()
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if "Traceback" in error:
        print(error, file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime
    peak = usage.ru_maxrss / 1024
    return f"{seconds:5.2f} s wall {cpu:5.2f} s cpu {peak:6.0f} MB exit {process.returncode}"


def git(*args: str, cwd: Path) -> str:
    """Run git quietly and return its output."""
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def main() -> None:
    """Print one table row per case and command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only cases whose name starts so")
    parser.add_argument("--pythonpath", help="a checkout whose gitops_ocm to run instead")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = args.pythonpath
    command = [sys.executable, "-m", "gitops_ocm"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bare = work / "fleet.git"
        git("init", "-q", "--bare", "-b", "main", str(bare), cwd=work)
        for name, text in cases().items():
            if args.only and not any(name.startswith(prefix) for prefix in args.only):
                continue
            single = work / "single"
            shutil.rmtree(single, ignore_errors=True)
            single.mkdir()
            (single / "hostile.yaml").write_text(text)
            clone = work / "clone"
            shutil.rmtree(clone, ignore_errors=True)
            shutil.copytree(EXAMPLES, clone)
            git("init", "-q", "-b", "main", cwd=clone)
            git("add", "-A", cwd=clone)
            git("-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "base", cwd=clone)
            (clone / "hostile.yaml").write_text(text)
            git("add", "-A", cwd=clone)
            git("-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "head", cwd=clone)
            git("push", "-qf", str(bare), "main", cwd=clone)
            head = git("rev-parse", "HEAD", cwd=clone)
            base = git("rev-parse", "HEAD~1", cwd=clone)
            hook_env = {**env, "GIT_DIR": str(bare)}
            rows = {
                "validate FILE": measure([*command, "validate", str(single)], work, env),
                "validate --rev": measure(
                    [*command, "validate", str(clone), "--rev", "main"], work, env
                ),
                "plan": measure(
                    [*command, "plan", "--base", base, "--head", head, str(clone)], work, env
                ),
                "hook pre-receive": measure(
                    [*command, "hook", "pre-receive"],
                    work,
                    hook_env,
                    f"{base} {head} refs/heads/main\n",
                ),
            }
            for what, figure in rows.items():
                print(f"{name:32} {what:18} {figure}", flush=True)


if __name__ == "__main__":
    main()
