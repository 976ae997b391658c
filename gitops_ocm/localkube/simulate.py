"""Workload simulation: Deployments, StatefulSets and DaemonSets report ready, Jobs complete.

``simulated_status`` is pure (the time is a parameter); ``Simulator`` is the I/O
loop that writes it through the status subresource, as a controller would, so
that status feedback in the demo has something real to show. No pods are run.
"""

from __future__ import annotations

import threading
from typing import Any

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import store
from gitops_ocm.model.body import Body

MANAGER = "localkube-simulator"
_WORKLOADS = (("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"))
_KEYS = (*_WORKLOADS, ("batch", "jobs"))


def _condition(kind: str, reason: str, now: str) -> Body:
    return {
        "type": kind,
        "status": "True",
        "reason": reason,
        "lastTransitionTime": now,
        "lastUpdateTime": now,
    }


def _keep_times(old: Body, new: Body) -> Body:
    """Keep condition times from ``old`` when a condition did not change (no spurious writes)."""
    before = {c.get("type"): c for c in old.get("conditions") or []}
    for condition in new.get("conditions") or []:
        previous = before.get(condition["type"])
        if previous and previous.get("status") == condition["status"]:
            for key in ("lastTransitionTime", "lastUpdateTime"):
                if key in previous:
                    condition[key] = previous[key]
    return new


def simulated_status(obj: Body, now: str) -> Body | None:
    """Return the status a healthy controller would report for ``obj`` (None: not a workload)."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    generation = (obj.get("metadata") or {}).get("generation", 1)
    if kind in ("Deployment", "StatefulSet"):
        replicas = int(spec.get("replicas", 1))
        status: Body = {"observedGeneration": generation, "replicas": replicas}
        counts = ["readyReplicas", "availableReplicas", "updatedReplicas"]
        if kind == "StatefulSet":
            counts.append("currentReplicas")
        status |= {k: replicas for k in counts if replicas}
        if kind == "Deployment":
            status["conditions"] = [
                _condition("Available", "MinimumReplicasAvailable", now),
                _condition("Progressing", "NewReplicaSetAvailable", now),
            ]
        return status
    if kind == "DaemonSet":
        names = (
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "numberReady",
            "updatedNumberScheduled",
            "numberAvailable",
        )
        return {"observedGeneration": generation, "numberMisscheduled": 0} | {n: 1 for n in names}
    if kind == "Job":
        completions = int(spec.get("completions", 1))
        return {
            "startTime": now,
            "completionTime": now,
            "succeeded": completions,
            "ready": 0,
            "conditions": [
                _condition("SuccessCriteriaMet", "CompletionsReached", now),
                _condition("Complete", "CompletionsReached", now),
            ],
        }
    return None


def _job_done(obj: Body) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Complete" for c in conditions)


class Simulator:
    """A background thread that keeps workload statuses of a Store healthy."""

    def __init__(self, backing: store.Store, *, interval: float = 0.5) -> None:
        self._store = backing
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="localkube-simulator", daemon=True)

    def start(self) -> Simulator:
        """Start the loop."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the loop and wait for it."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        seen = -1
        while not self._stop.is_set():
            current = self._store.wait_for_change(seen, self._interval)
            if current != seen:
                seen = current
                self.reconcile_once()

    def reconcile_once(self) -> int:
        """Bring every workload's status up to date; return how many were written."""
        written = 0
        for key in _KEYS:
            versions = self._store.registry.versions_of(*key)
            if not versions:
                continue
            items, _ = self._store.list_objects(versions[0], None)
            for obj in items:
                written += self._reconcile(versions[0], obj)
        return written

    def _reconcile(self, res: Any, obj: Body) -> int:
        if obj.get("kind") == "Job" and _job_done(obj):
            return 0
        if obj["metadata"].get("deletionTimestamp"):
            return 0
        wanted = simulated_status(obj, self._store.clock())
        old = obj.get("status") or {}
        if wanted is None or _keep_times(old, wanted) == old:
            return 0
        meta = obj["metadata"]
        body = {**obj, "status": wanted}
        try:
            self._store.replace(
                res,
                meta.get("namespace", ""),
                meta["name"],
                body,
                manager=MANAGER,
                subresource="status",
            )
        except (cluster.Conflict, cluster.NotFound):
            return 0  # changed or gone meanwhile: the next pass sees the new state
        return 1
