"""/metrics, /healthz and /readyz of the controller and the agent, scraped over HTTP."""

from __future__ import annotations

import threading
import types
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hub.hubkit import new_fleet

from gitops_ocm import telemetry
from gitops_ocm.gitstore import remote
from gitops_ocm.hub import controller
from gitops_ocm.hub import loop as hub_loop


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_endpoints_and_readiness() -> None:
    """Ready only after a successful pass, and not again once it is three intervals old."""
    now = [1000.0]
    found = telemetry.Telemetry("agent", interval=10, clock=lambda: now[0])
    server, port = telemetry.serve(found, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _get(f"{base}/healthz") == (200, "ok\n")
        code, why = _get(f"{base}/readyz")
        assert code == 503 and "no pass has succeeded" in why
        found.record_pass(0.2, "ok", succeeded=True)
        assert _get(f"{base}/readyz")[0] == 200
        now[0] += 3 * 10 + telemetry.SLACK + 1
        assert _get(f"{base}/readyz")[0] == 503
        code, text = _get(f"{base}/metrics")
        assert code == 200
        assert 'gitops_ocm_agent_passes_total{result="ok"} 1.0' in text
        assert "gitops_ocm_agent_pass_duration_seconds_bucket" in text
        assert "gitops_ocm_agent_last_success_timestamp_seconds 1000.0" in text
        assert _get(f"{base}/nothing")[0] == 404
    finally:
        server.shutdown()


def test_controller_loop_records_its_passes(tmp_path: Path) -> None:
    """The controller's loop counts its passes by result and publishes its rollouts gauge."""
    repo = new_fleet(tmp_path)
    ctl = controller.Controller(remote.open_store(str(repo)))
    found = telemetry.Telemetry("controller", interval=0.05)
    stop = threading.Event()
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        if len(lines) >= 1:
            stop.set()

    hub_loop.run(ctl, 0.05, stop, None, log, telemetry=found)
    text = found.exposition().decode()
    assert 'gitops_ocm_controller_passes_total{result="valid"} 1.0' in text
    assert "gitops_ocm_rollouts_in_progress 1.0" in text  # the example's guestbook, first step
    assert "gitops_ocm_controller_clusters_touched_total" in text
    assert found.readiness()[0]


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_bad_metrics_port_is_a_usage_error(port: str, tmp_path: Path) -> None:
    """A port outside 0..65535 is refused with exit 2."""
    from gitops_ocm.cli import main

    repo = new_fleet(tmp_path)
    argv = ["controller", "--repo", str(repo), "--metrics-port", port, "--interval", "1"]
    assert main.main(argv) == 2


def test_agent_loop_records_a_pass() -> None:
    """The agent's pass is counted with its works and failures."""
    from gitops_ocm.agent import loop as agent_loop
    from gitops_ocm.agent import results

    found = telemetry.Telemetry("agent", interval=30)
    agent_loop.record(found, results.PassResult(works=3, took_ms=120.0))
    text = found.exposition().decode()
    assert 'gitops_ocm_agent_passes_total{result="ok"} 1.0' in text
    assert "gitops_ocm_agent_works 3.0" in text and "gitops_ocm_agent_failures 0.0" in text


def test_alert_rules_name_metrics_we_serve(tmp_path: Path) -> None:
    """Every metric deploy/alerts/gitops-ocm.rules.yml names is one the processes export."""
    import re

    import yaml

    from gitops_ocm.agent import loop as agent_loop
    from gitops_ocm.agent import results

    rules = Path(__file__).resolve().parents[1] / "deploy" / "alerts" / "gitops-ocm.rules.yml"
    body = yaml.safe_load(rules.read_text())
    exprs = [r["expr"] for group in body["groups"] for r in group["rules"]]
    named = {n for e in exprs for n in re.findall(r"gitops_ocm_[a-z_]+", e)}
    agent = telemetry.Telemetry("agent", interval=30)
    agent_loop.record(agent, results.PassResult())
    agent.record_git_error("fetch_or_push")
    ctl = telemetry.Telemetry("controller", interval=30)
    running = types.SimpleNamespace(rollouts_in_progress=0)
    hub_loop.record(ctl, running, controller.PassResult("a" * 40, True))  # type: ignore[arg-type]
    ctl.record_git_error("fetch_or_push")
    served = agent.exposition().decode() + ctl.exposition().decode()
    assert named and all(name in served for name in named), named
