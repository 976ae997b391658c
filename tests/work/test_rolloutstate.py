"""The rollout state file: revisions, which sets roll out, and the file's round trip."""

from __future__ import annotations

from gitops_ocm.work import rolloutstate


def test_revision_ignores_key_order() -> None:
    """Two spellings of one template have one revision; another template has another."""
    a = {"workload": {"manifests": [{"kind": "ConfigMap", "apiVersion": "v1"}]}}
    b = {"workload": {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap"}]}}
    assert rolloutstate.revision(a) == rolloutstate.revision(b)
    assert len(rolloutstate.revision(a)) == 12
    assert rolloutstate.revision(a) != rolloutstate.revision({"workload": {"manifests": []}})


def test_is_rollout_by_strategy_or_annotation() -> None:
    """A set rolls out in steps when a strategy is not All, or it asks for rollback or a pause."""
    all_ = {"placementRefs": [{"name": "p"}, {"name": "q", "rolloutStrategy": {"type": "All"}}]}
    progressive = {"placementRefs": [{"name": "p", "rolloutStrategy": {"type": "Progressive"}}]}
    assert not rolloutstate.is_rollout(all_, {})
    assert rolloutstate.is_rollout(progressive, {})
    assert rolloutstate.is_rollout(all_, {rolloutstate.ON_FAILURE: "rollback"})
    assert rolloutstate.is_rollout(all_, {rolloutstate.ROLLOUT: "paused"})
    assert not rolloutstate.is_rollout(all_, {rolloutstate.ON_FAILURE: "halt"})


def test_state_round_trip() -> None:
    """A state written as a body reads back equal, lists capped at the kept lengths."""
    names = tuple(f"c{i:02d}" for i in range(30))
    state = rolloutstate.RolloutState(
        namespace="apps",
        name="web",
        work_name="web-abcde",
        revision="aaaaaaaaaaaa",
        target="aaaaaaaaaaaa",
        phase=rolloutstate.HALTED,
        reason="MaxFailuresExceeded",
        message="2 failed",
        since="2026-12-08T02:00:00Z",
        started_at="2026-12-08T01:00:00Z",
        stable=rolloutstate.Stable("bbbbbbbbbbbb", {"workload": {"manifests": []}}),
        placements=(rolloutstate.PlacementState("p", "Progressive", 30, 3, failed=2),),
        steps=(rolloutstate.Step("2026-12-08T01:00:00Z", "Progressing", "a" * 12, 30, names),),
    )
    again = rolloutstate.RolloutState.from_body(state.to_body())
    assert again is not None
    assert again.steps[0].clusters == names[: rolloutstate.NAMES_KEPT]
    assert again == state.__class__(**{**state.__dict__, "steps": again.steps})
    assert "template" not in state.status_dict(with_template=False)["stable"]


def test_foreign_body_is_not_a_state() -> None:
    """A file of another kind is no state: the rollout starts afresh."""
    assert rolloutstate.RolloutState.from_body({"kind": "ConfigMap"}) is None


def test_a_sealed_template_rolls_out_at_once() -> None:
    """A template with a SealedSecret is given to every cluster at once (re-sealed per cluster)."""
    spec = {
        "placementRefs": [{"name": "p", "rolloutStrategy": {"type": "Progressive"}}],
        "manifestWorkTemplate": {"workload": {"manifests": [{"kind": "SealedSecret"}]}},
    }
    assert not rolloutstate.is_rollout(spec, {})
