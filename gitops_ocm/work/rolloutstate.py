"""What a ManifestWorkReplicaSet's rollout remembers between passes, as a file on ``ocm/hub``.

Pure. A rollout is a function of the desired state, the previous hub tree, the
status tree and the time (docs/rollout.md). What it must remember that the
cluster folders do not already say (each cluster's work file says which
template revision it holds) is kept at ``rollouts/<namespace>/<name>.yaml`` on
``ocm/hub``: the revision on main, the revision being given out, the phase and
why, the last revision that succeeded on every cluster (with its template, so
a rollback can give it back), per-placement counts and the last steps. Render
writes it; the status fold, ``status --work`` and ``plan`` read it.

A *revision* is the first 12 hex characters of the SHA-256 of the template's
canonical JSON, so the same template has the same revision in every commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

API_VERSION = "gitops-ocm.io/v1alpha1"
KIND = "Rollout"
FOLDER = "rollouts"

ON_FAILURE = "gitops-ocm.io/on-failure"
ON_FAILURE_VALUES = ("halt", "rollback")
ROLLOUT = "gitops-ocm.io/rollout"
ROLLOUT_VALUES = ("paused", "active")

# Phases.
PROGRESSING = "Progressing"
SUCCEEDED = "Succeeded"
HALTED = "Halted"
ROLLING_BACK = "RollingBack"
ROLLED_BACK = "RolledBack"
PAUSED = "Paused"
PHASES = (PROGRESSING, SUCCEEDED, HALTED, ROLLING_BACK, ROLLED_BACK, PAUSED)

NAMES_KEPT = 20  # cluster names kept per list in the file
STEPS_KEPT = 20  # steps kept in the file, newest last


def revision(template: Any) -> str:
    """Return the revision of a ``manifestWorkTemplate``: 12 hex digits of its canonical hash."""
    text = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def path(namespace: str, name: str) -> str:
    """Return where the state of ManifestWorkReplicaSet ``namespace/name`` lives on ``ocm/hub``."""
    return f"{FOLDER}/{namespace}/{name}.yaml"


def strategy_types(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the rollout type of each placementRef (``All`` when unset)."""
    out: list[str] = []
    for ref in spec.get("placementRefs") or []:
        strategy = ref.get("rolloutStrategy") if isinstance(ref, Mapping) else None
        kind = strategy.get("type") if isinstance(strategy, Mapping) else None
        out.append(str(kind or "All"))
    return tuple(out)


def is_rollout(spec: Mapping[str, Any], annotations: Mapping[str, Any]) -> bool:
    """Whether a ManifestWorkReplicaSet is rolled out in steps (and keeps a state file).

    It is when a placementRef's strategy is not ``All``, or when it asks for a
    rollback on failure or to be paused. Every other one gives each selected
    cluster the template at once, as before. So does a template holding a
    SealedSecret (docs/rollout.md, "Limits"): its work files are sealed again
    per cluster after render, so a file no longer names its revision.
    """
    if _holds_sealed(spec):
        return False
    if any(kind != "All" for kind in strategy_types(spec)):
        return True
    return annotations.get(ON_FAILURE) == "rollback" or annotations.get(ROLLOUT) == "paused"


def _holds_sealed(spec: Mapping[str, Any]) -> bool:
    template = spec.get("manifestWorkTemplate")
    workload = template.get("workload") if isinstance(template, Mapping) else None
    manifests = workload.get("manifests") if isinstance(workload, Mapping) else None
    if not isinstance(manifests, list):
        return False
    return any(isinstance(m, Mapping) and m.get("kind") == "SealedSecret" for m in manifests)


def rolls_back(annotations: Mapping[str, Any]) -> bool:
    """Whether the set asks to give back the last good revision when a rollout fails."""
    return annotations.get(ON_FAILURE) == "rollback"


def paused(annotations: Mapping[str, Any]) -> bool:
    """Whether the set's rollout is held where it is."""
    return annotations.get(ROLLOUT) == "paused"


@dataclasses.dataclass(frozen=True)
class Stable:
    """The last revision that succeeded on every selected cluster, and its template."""

    revision: str
    template: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class PlacementState:
    """One placementRef's part of a rollout: counts and the clusters that failed."""

    name: str
    type: str = "All"
    total: int = 0
    updated: int = 0
    succeeded: int = 0
    in_flight: int = 0
    failed: int = 0
    timed_out: int = 0
    failed_clusters: tuple[str, ...] = ()
    timed_out_clusters: tuple[str, ...] = ()
    recheck_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The placement entry as written in the file."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "total": self.total,
            "updated": self.updated,
            "succeeded": self.succeeded,
            "inFlight": self.in_flight,
            "failed": self.failed,
            "timedOut": self.timed_out,
            "failedClusters": list(self.failed_clusters[:NAMES_KEPT]),
            "timedOutClusters": list(self.timed_out_clusters[:NAMES_KEPT]),
        }
        if self.recheck_at is not None:
            out["recheckAt"] = self.recheck_at
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PlacementState:
        """Read a placement entry (missing or odd fields take their defaults)."""
        return cls(
            name=str(raw.get("name") or ""),
            type=str(raw.get("type") or "All"),
            total=_int(raw.get("total")),
            updated=_int(raw.get("updated")),
            succeeded=_int(raw.get("succeeded")),
            in_flight=_int(raw.get("inFlight")),
            failed=_int(raw.get("failed")),
            timed_out=_int(raw.get("timedOut")),
            failed_clusters=_names(raw.get("failedClusters")),
            timed_out_clusters=_names(raw.get("timedOutClusters")),
            recheck_at=_text(raw.get("recheckAt")),
        )


@dataclasses.dataclass(frozen=True)
class Step:
    """One pass that moved the rollout: clusters given a revision, or a new phase."""

    time: str
    phase: str
    revision: str
    given: int = 0
    clusters: tuple[str, ...] = ()
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The step as written in the file."""
        return {
            "time": self.time,
            "phase": self.phase,
            "revision": self.revision,
            "given": self.given,
            "clusters": list(self.clusters[:NAMES_KEPT]),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Step:
        """Read a step."""
        return cls(
            time=str(raw.get("time") or ""),
            phase=str(raw.get("phase") or ""),
            revision=str(raw.get("revision") or ""),
            given=_int(raw.get("given")),
            clusters=_names(raw.get("clusters")),
            message=str(raw.get("message") or ""),
        )


@dataclasses.dataclass(frozen=True)
class RolloutState:
    """The whole state file of one ManifestWorkReplicaSet's rollout."""

    namespace: str
    name: str
    work_name: str
    revision: str
    target: str
    phase: str
    reason: str
    message: str
    since: str
    started_at: str
    stable: Stable | None = None
    failed_revision: str | None = None
    placements: tuple[PlacementState, ...] = ()
    steps: tuple[Step, ...] = ()

    @property
    def path(self) -> str:
        """Its file on ``ocm/hub``."""
        return path(self.namespace, self.name)

    def status_dict(self, with_template: bool = True) -> dict[str, Any]:
        """The ``status`` object; without the stable template for the status branch."""
        out: dict[str, Any] = {
            "revision": self.revision,
            "target": self.target,
            "phase": self.phase,
            "reason": self.reason,
            "message": self.message,
            "since": self.since,
            "startedAt": self.started_at,
        }
        if self.failed_revision is not None:
            out["failedRevision"] = self.failed_revision
        if self.stable is not None:
            stable: dict[str, Any] = {"revision": self.stable.revision}
            if with_template:
                stable["template"] = self.stable.template
            out["stable"] = stable
        out["placements"] = [p.to_dict() for p in self.placements]
        out["steps"] = [s.to_dict() for s in self.steps[-STEPS_KEPT:]]
        return out

    def to_body(self) -> dict[str, Any]:
        """The file's object."""
        return {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": {"workName": self.work_name},
            "status": self.status_dict(),
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> RolloutState | None:
        """Read a state file's object; None when it is not one (then the rollout starts afresh)."""
        if body.get("kind") != KIND or body.get("apiVersion") != API_VERSION:
            return None
        meta, spec, status = (_mapping(body.get(k)) for k in ("metadata", "spec", "status"))
        stable_raw = _mapping(status.get("stable"))
        stable = None
        if stable_raw.get("revision") and isinstance(stable_raw.get("template"), Mapping):
            stable = Stable(str(stable_raw["revision"]), stable_raw["template"])
        return cls(
            namespace=str(meta.get("namespace") or ""),
            name=str(meta.get("name") or ""),
            work_name=str(spec.get("workName") or ""),
            revision=str(status.get("revision") or ""),
            target=str(status.get("target") or ""),
            phase=str(status.get("phase") or PROGRESSING),
            reason=str(status.get("reason") or ""),
            message=str(status.get("message") or ""),
            since=str(status.get("since") or ""),
            started_at=str(status.get("startedAt") or ""),
            stable=stable,
            failed_revision=_text(status.get("failedRevision")),
            placements=tuple(PlacementState.from_dict(p) for p in _list(status.get("placements"))),
            steps=tuple(Step.from_dict(s) for s in _list(status.get("steps"))),
        )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return ()
    return tuple(str(v) for v in value)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: object) -> str | None:
    return str(value) if value else None
