"""One pass of the agent: fetch prescriptions, apply, prune, delete, evict, report.

I/O shell around the pure :mod:`gitops_ocm.work` core. A pass reads (the hub
subtree, or its copy on disk when Git is unreachable; the cluster), computes,
then writes (the cluster through :mod:`.applier`, the report through
:mod:`.reporter`). It never raises for an expected failure: each is collected as
a typed failure of :mod:`.results` in the pass's :class:`results.PassResult`,
one manifest's failure is recorded on that manifest, and an unreachable Git only
delays the report. When to run the next pass is :mod:`.loop`'s business.

A work whose file left ``clusters/<cluster>/manifestworks/`` while the cluster
is still accepted is *deleted* (OCM: the ManifestWork was deleted on the hub);
works whose hub copy is gone because the cluster is no longer accepted, the
hub branch is gone, or the AppliedManifestWork belongs to another hub are
*evicted* after the grace period (OCM's AppliedManifestWork eviction).

The agent signs every report commit with its own key (``agent.key`` in the
state folder, :mod:`.identity`), and every report carries its registration
request (:mod:`.joinrequest`). While ``ocm/hub`` is not published yet a new
agent waits and pushes nothing; when it is published without our
``clusters/<cluster>/cluster.yaml`` and we never reported the cluster, the
report is the registration request alone and nothing touches the cluster. A
cluster that reported before keeps reporting, so its eviction stays visible.

A new hub tip is applied only when :func:`.hubtrust.judge` verifies it against
the pinned hub key and the last applied hub commit; a refused tip is not read,
the last verified prescriptions are reconciled instead, and the report's
``HubVerified`` condition says why, with the commit id.

After the works, the replicated policies are evaluated and enforced by
:mod:`gitops_ocm.governance` (docs/governance.md). While the cluster is not
accepted or does not answer, the governance files of the last report are kept
as they were, so the state pruning relies on is never lost.
"""

from __future__ import annotations

import dataclasses
import datetime
import sys
import time
from pathlib import Path

from gitops_ocm import errors
from gitops_ocm.agent import (
    applier,
    clusterstatus,
    crds,
    hubtrust,
    identity,
    joinrequest,
    reporter,
    results,
    unsealing,
)
from gitops_ocm.agent import prescriptions as hub
from gitops_ocm.gitstore import clusterrefs, refs, remote, urls, writer
from gitops_ocm.governance import reports as governance_reports
from gitops_ocm.governance import runner as governance
from gitops_ocm.kube import cluster as kube
from gitops_ocm.model import timefmt, yamlout
from gitops_ocm.model.body import Body
from gitops_ocm.trust import failure, seal
from gitops_ocm.work import eviction, spec, workstatus

WORK_API_VERSION = "work.open-cluster-management.io/v1"
PRESCRIPTION = "gitops-ocm.io/prescription"


@dataclasses.dataclass(frozen=True)
class Settings:
    """What an agent serves and where it keeps its state."""

    repo: str
    cluster: str
    state_dir: Path
    hub_branch: str = "ocm/hub"
    eviction_grace: datetime.timedelta = eviction.DEFAULT_GRACE
    author: writer.Author | None = None
    hub_pin: hubtrust.Pin = hubtrust.NO_PIN  # --hub-key
    reports_repo: str | None = None  # --reports-repo: where the report branch lives (None: repo)


@dataclasses.dataclass
class _Tally:
    """What the pass has done so far (frozen into a :class:`results.PassResult` at the end)."""

    hub_commit: str | None = None
    source_commit: str | None = None
    from_disk: bool = False
    works: int = 0
    written: int = 0
    pruned: int = 0
    deleted: int = 0
    policies: int = 0
    failures: list[results.Failure] = dataclasses.field(default_factory=list)
    git: results.GitUnreachable | None = None
    waiting: results.Waiting | None = None
    report_commit: str | None = None
    report_created: bool = False
    pushed: bool = False
    pinned: str = ""
    verdict: hubtrust.Verified | hubtrust.Refused | None = None

    def result(self, took_ms: float) -> results.PassResult:
        """The pass's result: failures in order, then Git's, then waiting."""
        held = tuple(f for f in (self.git, self.waiting) if f is not None)
        names = {f.name for f in dataclasses.fields(results.PassResult)} - {"failures", "took_ms"}
        same = {name: getattr(self, name) for name in names}
        return results.PassResult(failures=(*self.failures, *held), took_ms=took_ms, **same)


class Agent:
    """One cluster's agent."""

    def __init__(self, settings: Settings, cluster: kube.Cluster) -> None:
        self.settings = settings
        self.cluster = cluster
        self._store: remote.Store | None = None
        self._reports_store: remote.Store | None = None
        self._known = hub.load(settings.state_dir)
        self._crds = False
        self.signer = identity.agent_signer(settings.state_dir)
        self.opener = identity.sealing_key(settings.state_dir)
        self._saved_pin = identity.load_pin(settings.state_dir)
        self._said_fallback = False  # that it reads ocm/hub, its own ref being absent
        author = settings.author or writer.Author(name=f"gitops-ocm agent {settings.cluster}")
        self._author = dataclasses.replace(author, signer=self.signer)

    def store(self) -> remote.Store:
        """The hub repository (opened on first use, and again after a failure)."""
        if self._store is None:
            self._store = remote.open_store(self.settings.repo, self.settings.state_dir / "mirror")
        return self._store

    @property
    def hub_hash(self) -> str:
        """OCM's hubHash for this hub."""
        location = self.settings.repo
        if not urls.is_url(location):
            location = str(Path(location).resolve())
        return applier.hub_hash(urls.redact(location))

    def reports_store(self) -> remote.Store:
        """The repository of the report branch (``--reports-repo``, else the hub repository)."""
        where = self.settings.reports_repo
        if where is None:
            return self.store()
        if self._reports_store is None:
            self._reports_store = remote.open_store(where, self.settings.state_dir / "reports")
        return self._reports_store

    def _reporter(self) -> reporter.Reporter:
        return reporter.Reporter(self.reports_store(), self.settings.cluster, author=self._author)

    def _prescriptions(self, result: _Tally) -> hub.Prescriptions | None:
        try:
            refspecs: tuple[str, ...] = (self._reporter().fetch_refspec,)
            if self.settings.reports_repo is not None:
                self.reports_store().fetch(refspecs, prune=True)
                refspecs = ()
            tip = hub.fetch_tip(
                self.store(), self.settings.cluster, self.settings.hub_branch, refspecs
            )
            self._note_channel(tip)
            fresh = self._verified(tip, result)
        except (
            errors.GitopsOcmError
        ) as exc:  # Git unreachable or repository gone: keep the disk copy
            self._store = self._reports_store = None
            result.git = results.GitUnreachable(str(exc))
            result.from_disk = True
            return self._known
        if fresh is not None and fresh is not self._known:
            hub.save(self.settings.state_dir, fresh)
            self._known = fresh
        return fresh

    def _note_channel(self, tip: refs.Tip) -> None:
        """Say once in the log that the agent reads ``ocm/hub``: its own ref is absent."""
        fallback = tip.name == hub.HUB_REF  # only ever read when the own ref is absent
        if fallback and not self._said_fallback:
            own = clusterrefs.ref_of(self.settings.cluster)
            print(
                f"agent {self.settings.cluster}: {own} is absent (a controller before "
                f"per-cluster refs, or the cluster is not accepted): reading {tip.name}",
                file=sys.stderr,
                flush=True,
            )
        self._said_fallback = fallback

    def _verified(self, tip: refs.Tip, result: _Tally) -> hub.Prescriptions | None:
        """The prescriptions of ``tip`` when it verifies, else the last verified ones."""
        known = self._known
        if tip.id is None:
            return hub.read(self.store(), tip, self.settings.cluster, known)
        pin = identity.pin(self.settings.hub_pin, self._saved_pin)
        if known is not None and known.commit == tip.id and pin.key is not None:
            result.verdict = hubtrust.Verified(tip.id, pin.key)
            return known
        last = None if known is None else known.applied.get(tip.name)
        verdict = self._judge(tip, last, pin)
        result.verdict = verdict
        if isinstance(verdict, hubtrust.Refused):
            result.failures.append(results.HubRefused(verdict.code, verdict.commit, verdict.detail))
            return known
        if verdict.key != self._saved_pin:
            identity.save_pin(self.settings.state_dir, verdict.key)
            self._saved_pin = verdict.key
            result.pinned = verdict.key.fingerprint
        return hub.read(self.store(), tip, self.settings.cluster, known)

    def _judge(
        self, tip: refs.Tip, last: str | None, pin: hubtrust.Pin
    ) -> hubtrust.Verified | hubtrust.Refused:
        """The verdict on a new hub tip (a malformed commit is refused as not verifying)."""
        try:
            facts = hub.tip_facts(self.store(), tip, last, with_signers=pin.key is None)
        except failure.TrustError as exc:
            code, reason = hubtrust.WRONG_KEY
            return hubtrust.Refused(
                code, reason, str(tip.id), f"its signature is unreadable ({exc})"
            )
        return hubtrust.judge(facts, pin)

    def run_once(self, now: datetime.datetime) -> results.PassResult:
        """Run one pass at time ``now``."""
        started = time.monotonic()
        result = _Tally()
        found = self._prescriptions(result)
        if found is not None:
            result.hub_commit, result.source_commit = found.hub_commit, found.source_commit
        previous = self._previous_report(result)
        absent = found is None or not found.branch_present
        if result.git is None and result.verdict is None and not previous and absent:
            reason = f"{self.settings.hub_branch} is not published yet"
            result.waiting = results.Waiting(reason)
        accepted = found is not None and found.accepted
        reported = "cluster.yaml" in previous
        if result.git is None and result.waiting is None and not accepted and not reported:
            self._register(found, result)
            return result.result((time.monotonic() - started) * 1000)
        files, healthy = self._observe_cluster(found, previous, now, result)
        if healthy and found is not None:
            files |= self._reconcile(found, previous, now, result)
        files |= self._govern(found if healthy else None, previous, now, result)
        if healthy and result.failures:  # did the server go away mid-pass?
            gone = _unreachable(self.cluster)
            if gone:
                result.failures.append(results.ApiServerUnavailable(gone))
        if result.git is None and result.waiting is None:
            self._publish(files, found, result)
        return result.result((time.monotonic() - started) * 1000)

    def _previous_report(self, result: _Tally) -> dict[str, bytes]:
        if result.git is not None:
            return {}
        try:
            return self._reporter().previous()
        except errors.GitopsOcmError as exc:
            result.git = results.GitUnreachable(str(exc))
            return {}

    def _observe_cluster(
        self,
        found: hub.Prescriptions | None,
        previous: dict[str, bytes],
        now: datetime.datetime,
        result: _Tally,
    ) -> tuple[dict[str, bytes], bool]:
        observed, error = _observe(self.cluster)
        healthy = not error
        if healthy and not self._crds:
            try:
                crds.ensure(self.cluster)
                self._crds = True
            except errors.GitopsOcmError as exc:
                healthy, error = False, str(exc)
        if error:
            result.failures.append(results.ApiServerUnavailable(error))
        accepted = found is not None and found.accepted
        body = clusterstatus.cluster_report(
            self.settings.cluster,
            accepted=accepted,
            healthy=healthy,
            error=error,
            observed=observed,
            previous=_load(previous.get("cluster.yaml")),
            now=timefmt.format_seconds(now),
            hub=None if result.verdict is None else hubtrust.condition(result.verdict),
        )
        files = {"cluster.yaml": yamlout.dump(body)}
        scores = observed.get("addOnPlacementScores") if healthy else None
        files |= _kept_scores(previous) if scores is None else _score_files(scores)
        if accepted and found is not None:
            seconds = clusterstatus.lease_seconds(found.cluster_spec())
            last = _load(previous.get("lease.yaml"))
            lease, _ = clusterstatus.lease(self.settings.cluster, last, seconds, now)
            files["lease.yaml"] = yamlout.dump(lease)
        return files, healthy

    def _reconcile(
        self,
        found: hub.Prescriptions,
        previous: dict[str, bytes],
        now: datetime.datetime,
        result: _Tally,
    ) -> dict[str, bytes]:
        apply = applier.Applier(self.cluster, self.hub_hash, self.settings.cluster)
        try:
            applied = {o["metadata"]["name"]: o for o in apply.applied_works()}
        except errors.GitopsOcmError as exc:
            result.failures.append(results.InventoryFailure("", str(exc)))
            return {}
        desired = found.works() if found.accepted else {}
        files: dict[str, bytes] = {}
        for name, (body, blob) in desired.items():
            path = f"manifestworks/{name}.yaml"
            existing = applied.pop(apply.amw_name(name), None)
            old = _load(previous.get(path))
            try:
                files[path] = self._apply(apply, name, body, blob, existing, old, now, result)
            except errors.GitopsOcmError as exc:
                result.failures.append(results.WorkFailure(name, None, str(exc)))
                if path in previous:
                    files[path] = previous[path]
        for amw_name, amw in sorted(applied.items()):
            removed = found.accepted and amw_name.startswith(f"{self.hub_hash}-")
            try:
                files |= self._retire(apply, amw, removed, previous, now, result)
            except errors.GitopsOcmError as exc:
                result.failures.append(results.InventoryFailure(amw_name, str(exc)))
        return files

    def _govern(
        self,
        found: hub.Prescriptions | None,
        previous: dict[str, bytes],
        now: datetime.datetime,
        result: _Tally,
    ) -> dict[str, bytes]:
        """Evaluate the replicated policies; keep the last governance files when we cannot."""
        if found is None or not found.accepted:
            return {p: d for p, d in previous.items() if governance_reports.is_governance(p)}
        run = governance.Runner(self.cluster, self.settings.cluster, now)
        outcome = run.run(found.policies(), previous)
        result.policies = outcome.policies
        result.written += outcome.changed
        result.pruned += outcome.pruned
        result.failures.extend(outcome.failures)
        return outcome.files

    def _apply(
        self,
        apply: applier.Applier,
        name: str,
        body: Body,
        blob: str,
        existing: Body | None,
        old: Body,
        now: datetime.datetime,
        result: _Tally,
    ) -> bytes:
        body, refused = unsealing.opened(body, self.opener)
        work = spec.parse_work(name, body)
        amw = apply.ensure_amw(work, blob, existing)
        if (amw.get("status") or {}).get("evictionStartTime"):
            amw = apply.set_status(amw, {"evictionStartTime": None})
        done = apply.apply_work(work, amw, refused)
        result.works += 1
        result.written += done.written
        result.pruned += done.pruned
        result.failures.extend(
            results.WorkFailure(name, o.meta.ordinal, o.error) for o in done.outcomes if o.error
        )
        result.failures.extend(done.prune_failures)
        computed = workstatus.work_status(
            work, done.outcomes, old.get("status"), done.generation, timefmt.format_seconds(now)
        )
        return yamlout.dump(self._work_report(name, done.generation, blob, computed))

    def _work_report(self, name: str, generation: int, blob: str, computed: Body) -> Body:
        return {
            "apiVersion": WORK_API_VERSION,
            "kind": "ManifestWork",
            "metadata": {
                "name": name,
                "namespace": self.settings.cluster,
                "generation": generation,
                "annotations": {PRESCRIPTION: blob},
            },
            "status": computed,
        }

    def _retire(
        self,
        apply: applier.Applier,
        amw: Body,
        removed: bool,
        previous: dict[str, bytes],
        now: datetime.datetime,
        result: _Tally,
    ) -> dict[str, bytes]:
        """Delete a work the hub removed, or evict one whose hub is gone (after the grace)."""
        work = str((amw.get("spec") or {}).get("manifestWorkName") or amw["metadata"]["name"])
        if not removed:
            start = timefmt.parse((amw.get("status") or {}).get("evictionStartTime"))
            decision = eviction.decide(
                start, missing=True, now=now, grace=self.settings.eviction_grace
            )
            if decision.start != start and decision.start is not None:
                amw = apply.set_status(
                    amw, {"evictionStartTime": timefmt.format_seconds(decision.start)}
                )
            if not decision.evict:
                return {}
        deletion = apply.delete_work(amw, work)
        result.failures.extend(deletion.failures)
        remaining = deletion.remaining
        result.deleted += 1 if remaining == 0 else 0
        path = f"manifestworks/{work}.yaml"
        if remaining == 0 or not removed:
            return {}
        old = _load(previous.get(path))
        meta = old.get("metadata") or {}
        computed = workstatus.deleting(
            old.get("status"),
            int(meta.get("generation") or 1),
            timefmt.format_seconds(now),
            remaining,
        )
        blob = str((meta.get("annotations") or {}).get(PRESCRIPTION, ""))
        body = self._work_report(work, int(meta.get("generation") or 1), blob, computed)
        return {path: yamlout.dump(body)}

    def _register(self, found: hub.Prescriptions | None, result: _Tally) -> None:
        """Report only the registration request: the hub has not accepted the cluster."""
        result.failures.append(results.Registering(self.signer.fingerprint))
        self._publish({}, found, result, "registration request")

    def _publish(
        self,
        files: dict[str, bytes],
        found: hub.Prescriptions | None,
        result: _Tally,
        summary: str = "",
    ) -> None:
        sealing = seal.public_of(self.opener)
        files = files | joinrequest.files(self.settings.cluster, self.signer.public_key, sealing)
        trailers = {}
        if found is not None and found.source_commit:
            trailers["Source-Commit"] = found.source_commit
        if found is not None and found.hub_commit:
            trailers["Hub-Commit"] = found.hub_commit
        summary = f"report {self.settings.cluster}: " + (
            summary or f"{result.works} works, {result.policies} policies"
        )
        try:
            published = self._reporter().publish(files, summary, trailers)
        except errors.GitopsOcmError as exc:
            result.git = results.GitUnreachable(str(exc))
            return
        result.report_commit, result.report_created = published.commit, published.created
        result.pushed = published.pushed
        if published.error:
            result.git = results.GitUnreachable(published.error)


def _observe(cluster: kube.Cluster) -> tuple[Body, str]:
    """Read version, nodes, claims and scores; return them and "" or why the API failed."""
    try:
        version = cluster.server_version()
        nodes = cluster.list("v1", "Node")
    except errors.GitopsOcmError as exc:
        return {}, str(exc) or type(exc).__name__
    try:
        claims = cluster.list(crds.CLAIM_API_VERSION, crds.CLAIM_KIND)
    except errors.GitopsOcmError:
        claims = []
    scores: list[Body] | None
    try:
        scores = cluster.list(crds.SCORE_API_VERSION, crds.SCORE_KIND)
    except errors.GitopsOcmError:
        scores = None  # the last reported ones are kept
    observed: Body = {
        "version": {"kubernetes": version},
        "clusterClaims": clusterstatus.cluster_claims(claims, version),
        "capacity": clusterstatus.sum_resources(nodes, "capacity", schedulable_only=False),
        "allocatable": clusterstatus.sum_resources(nodes, "allocatable", schedulable_only=True),
        "addOnPlacementScores": None if scores is None else clusterstatus.addon_scores(scores),
    }
    return observed, ""


def _unreachable(cluster: kube.Cluster) -> str:
    """Why the API server does not answer ("" when it does)."""
    try:
        cluster.server_version()
    except errors.Transient as exc:
        return str(exc) or type(exc).__name__
    return ""


def _score_files(found: dict[str, Body]) -> dict[str, bytes]:
    """The AddOnPlacementScore files of the report."""
    return {path: yamlout.dump(body) for path, body in found.items()}


def _kept_scores(previous: dict[str, bytes]) -> dict[str, bytes]:
    """The last reported AddOnPlacementScore files (the cluster or the list did not answer)."""
    prefix = f"{clusterstatus.SCORES_FOLDER}/"
    return {path: data for path, data in previous.items() if path.startswith(prefix)}


def _load(data: bytes | None) -> Body:
    """A file of the agent's last report; a damaged one counts as absent."""
    return yamlout.load_mapping(data)
