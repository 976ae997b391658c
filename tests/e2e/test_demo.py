"""The demo as a user runs it, and `gitops-ocm status` on the fleet it leaves behind."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from gitops_ocm import demo
from gitops_ocm.cli.main import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Run the demo once; return its bare repository and what it printed."""
    root = tmp_path_factory.mktemp("demo") / "run"
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["demo", "--dir", str(root)])
    assert code == 0, out.getvalue()
    return root / "fleet.git", out.getvalue()


def test_demo_converges_and_lands_a_change(demo_repo: tuple[Path, str]) -> None:
    """The demo converges, pushes a change that reaches every cluster, and says where to look."""
    repo, printed = demo_repo
    assert "[6/6] change applied everywhere" in printed
    assert "kubectl --kubeconfig" in printed and "show ocm/status:README.md" in printed
    readme = subprocess.run(
        ["git", "--git-dir", str(repo), "show", "ocm/status:README.md"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "## Problems" in readme and "## Clusters" in readme
    assert "[eu-prod-1](clusters/eu-prod-1/cluster.yaml) | `AVAILABLE`" in readme


def test_demo_stops_everything(demo_repo: tuple[Path, str]) -> None:
    """No controller, agent or API server of the demo is left running."""
    repo, _ = demo_repo
    running = subprocess.run(["pgrep", "-af", str(repo.parent)], capture_output=True, text=True)
    assert running.stdout.strip() == ""


def test_status_table(demo_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    """`status` lists every reported cluster with availability, works and policies."""
    repo, _ = demo_repo
    assert main(["status", "--repo", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("source ")
    assert "eu-prod-1  True" in out and "us-dev-1" in out


def test_status_cluster_detail_json(
    demo_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --cluster` shows conditions, claims and the works of one cluster."""
    repo, _ = demo_repo
    assert main(["status", "--repo", str(repo), "--cluster", "us-dev-1", "-o", "json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["works"]["sandbox"]["Applied"] == "True"
    assert "kubeversion.open-cluster-management.io" in detail["clusterClaims"]


def test_status_work_across_clusters(
    demo_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --work` shows one ManifestWorkReplicaSet: how it rolls out, its works by cluster."""
    repo, _ = demo_repo
    assert main(["status", "--repo", str(repo), "--work", "guestbook", "-o", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["manifestWorkReplicaSet"].endswith("/guestbook")
    rows = found["works"]
    assert {r["CLUSTER"] for r in rows} == {"eu-prod-1", "us-prod-1", "us-dev-1"}
    assert all(r["Available"] == "True" for r in rows)


def test_status_placement_and_policy(
    demo_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --placement` and `--policy` show the folded rollups."""
    repo, _ = demo_repo
    assert main(["status", "--repo", str(repo), "--placement", "platform/nonprod-all"]) == 0
    assert "us-dev-1" in capsys.readouterr().out
    assert main(["status", "--repo", str(repo), "--policy",
                 "policies/policy-baseline-namespaces", "-o", "json"]) == 0  # fmt: skip
    status = json.loads(capsys.readouterr().out)["status"]
    assert {s["clustername"] for s in status["status"]} >= {"eu-prod-1", "us-prod-1", "us-dev-1"}


@pytest.mark.parametrize(
    "argv",
    [["status", "--placement", "no-slash"], ["status", "--policy", "/x"]],
    ids=["placement", "policy"],
)
def test_status_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed NAMESPACE/NAME is a usage error (exit 2)."""
    assert main(argv) == 2
    assert "NAMESPACE/NAME" in capsys.readouterr().err


def test_demo_keep_leaves_the_loop_running_until_stop(tmp_path: Path) -> None:
    """`demo --keep` returns with every process alive and converging; `--stop DIR` ends them."""
    root = tmp_path / "kept"
    done = subprocess.run(
        [sys.executable, "-m", "gitops_ocm", "demo", "--dir", str(root), "--keep"],
        capture_output=True, text=True, timeout=150,
    )  # fmt: skip
    pids = demo.recorded(root)
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"Stop with: gitops-ocm demo --stop {root}" in done.stdout
        assert len(pids) == 8 and all(demo.alive(pid, root) for pid in pids)
        assert all(str(pid) in done.stdout for pid in pids)
        url = done.stdout.split("served at ", 1)[1].split()[0]
        kept = demo.Demo(root, root / "fleet.git", url)
        guestbook = root / "checkout" / demo.CHANGE_FILE
        guestbook.write_text(guestbook.read_text().replace("Hello from gitops-ocm", "Hello again"))
        commit = _push(root / "checkout", url)
        deadline = time.monotonic() + 60
        while not demo.converged(kept, commit):  # the loop still runs after the command returned
            assert time.monotonic() < deadline, "the kept fleet did not converge"
            time.sleep(0.5)
    finally:
        stopped = subprocess.run(
            [sys.executable, "-m", "gitops_ocm", "demo", "--stop", str(root)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped 8 demo processes")
    assert not any(demo.alive(pid, root) for pid in pids)
    assert not (root / demo.PIDS).exists()


def _push(checkout: Path, url: str) -> str:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    subprocess.run([*git, "commit", "-qam", "again"], cwd=checkout, check=True)
    subprocess.run([*git, "push", "-q", url, "main"], cwd=checkout, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True, text=True
    )
    return head.stdout.strip()


def test_demo_stop_without_a_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--stop` on a folder where no demo recorded pids is a usage error in one line."""
    assert main(["demo", "--stop", str(tmp_path)]) == 2
    assert "no demo processes recorded" in capsys.readouterr().err


CHECKOUT = Path(__file__).resolve().parents[2]


def _build_wheel(source: Path) -> Path:
    """Copy what a wheel is built from into ``source`` and build it there."""
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy(CHECKOUT / name, source / name)
    for name in ("gitops_ocm", "schemas", "examples"):
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(CHECKOUT / name, source / name, symlinks=True, ignore=skip)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", ".", "-w", "dist"], cwd=source, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    (wheel,) = (source / "dist").glob("gitops_ocm-*.whl")
    return wheel


def _venv_with(wheel: Path, venv: Path) -> Path:
    """A fresh venv holding ``wheel``; its dependencies come from this venv through a .pth."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=120)
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([str(python), "-c", ask], capture_output=True, text=True, check=True)
    # A path line adds this venv's site-packages without running its .pth files, so the
    # editable gitops_ocm of the checkout stays out of the new venv.
    Path(site.stdout.strip(), "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_demo_from_an_installed_wheel(tmp_path: Path) -> None:
    """A wheel carries the example fleet and schemas: its `gitops-ocm demo` converges elsewhere."""
    wheel = _build_wheel(tmp_path / "src")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gitops_ocm/example_fleet/apps/guestbook.yaml" in names
    assert "gitops_ocm/schemas/placement.json" in names
    python = _venv_with(wheel, tmp_path / "venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import gitops_ocm; print(gitops_ocm.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, check=True)  # fmt: skip
    assert where.stdout.startswith(str(tmp_path / "venv"))
    script = python.parent / "gitops-ocm"
    done = subprocess.run([str(script), "demo", "--dir", str(tmp_path / "d")],
                          cwd=elsewhere, capture_output=True, text=True, timeout=150)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[6/6] change applied everywhere" in done.stdout
