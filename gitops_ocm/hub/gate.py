"""The gate every report branch passes before the status fold believes it.

I/O shell around the pure checks of :mod:`gitops_ocm.status.intake`: it lists
``ocm/reports/*``, reads each new tip's tree without trusting it
(``gitstore.reader.untrusted_listing``: bounded, sizes from object headers) and
its files (within the YAML limits), and hands the fold the tips to fold and the
problems to list. A branch no cluster can own is R501 and not read. A refused
tip is quarantined: the cluster's folder the last fold wrote in ``ocm/status``
stands in for it (checked the same way: ``ocm/status`` is no more trusted), so
the cluster keeps its last good state, the same after a restart.

Time is untrusted too: a tip counts as no later than when this controller first
saw its commit, and a folder standing in for a refused tip no later than the
cluster's last admitted tip, so neither a commit nor a lease dated in the
future keeps a cluster available. "First seen" is this process's memory: after
a restart it starts again, one more lease period at most.

Signatures (docs/status.md, "Signed reports and registrations"): when the
pass's ``ocm/hub`` tip carries ``allowed_signers``, each tip is classified by
the key that file accepts for its cluster (:mod:`gitops_ocm.status.signedtips`):
a report signed by that key is checked as above, a registration request is
recorded (:mod:`gitops_ocm.status.registrations`) and folds nothing, anything
else is refused (T621-T624) and quarantined like a damaged report. A deleted
branch of a cluster with an accepted key keeps its last folded folder (T625).
A cluster published on ``ocm/hub`` without a key (registration mode ``open``)
and every cluster of a hub tree without ``allowed_signers`` are checked as
before signatures. With the controller's key at hand (its author signs), an
``ocm/hub`` tip it did not sign is not believed: the keys of the last tip it
did sign stay in force (none, after a restart). The last report folded for
each cluster is kept in its ``registrations/<c>.yaml``, so a restarted
controller still refuses a rewound branch.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from gitops_ocm import errors, problems
from gitops_ocm.gitstore import reader, refs, remote, repository
from gitops_ocm.model import timefmt
from gitops_ocm.status import intake, registrations, signedtips
from gitops_ocm.trust import failure, keys, signers, sshsig

REPORTS = "ocm/reports"
_KEPT = "status:"  # the key of a cluster's last folded folder standing in for a refused tip

Tips = dict[str, reader.BranchTip]
Presented = keys.PublicKey | problems.Problem
Files = dict[tuple[str, str], intake.FileFacts]  # (path in the report, blob id) -> checks
SIGNERS_PATH = "allowed_signers"
HUB_PRINCIPAL = "hub"


@dataclasses.dataclass(frozen=True)
class Trust:
    """What an ``ocm/hub`` tip says about keys: the accepted key of each cluster, and the
    clusters published without one (registration mode ``open``: checked as before)."""

    accepted: Mapping[str, keys.PublicKey]
    unkeyed: frozenset[str]


class ReportGate:
    """Admits report tips to the fold, once per tip commit, and remembers when it saw each."""

    def __init__(self, store: remote.Store, hub_key: keys.PublicKey | None = None) -> None:
        self.store = store
        self.hub_key = hub_key  # the controller's key: an ocm/hub tip it did not sign is not read
        self._branch_tips: dict[str, reader.BranchTip] = {}  # commit -> its tip
        self._checked: dict[str, list[problems.Problem]] = {}  # report commit -> its problems
        self._seen: dict[str, int] = {}  # report commit -> when this controller first saw it
        self._good_seen: dict[str, int] = {}  # cluster -> first seen of its last admitted tip
        self._files: dict[str, Files] = {}  # cluster -> its last checked tree's file checks
        self._last: tuple[Any, ...] | None = None
        self._trust: tuple[str | None, Trust | None] = ("", None)  # hub tip -> its Trust
        self._signatures: dict[str, tuple[signedtips.Signature, Presented]] = {}  # by commit
        self._stored: dict[str, tuple[str, registrations.Record | None]] = {}  # path -> blob, rec
        self.records: dict[str, registrations.Record] = {}  # cluster -> its record, this pass
        self._presented: dict[str, tuple[tuple[str, int] | None, Presented]] = {}  # by cluster

    def admit(
        self,
        now: datetime.datetime,
        targets: Mapping[str, str] | None,
        status: refs.Tip,
        hub: str | None = None,
    ) -> tuple[Tips, list[problems.Problem]]:
        """The tips to fold by cluster, and every report problem (R5xx, T62x), sorted.

        ``targets`` are the report branches (below ``ocm/reports/``) and their
        commits, as the pass read them (None: list them now); ``status`` is the
        ``ocm/status`` tip whose folders stand in for refused tips; ``hub`` the
        ``ocm/hub`` commit whose ``allowed_signers`` says which key each
        cluster signs with. :attr:`records` holds the registration records after.
        """
        if targets is None:
            targets = reader.branch_targets(self.store.repo, REPORTS)
        last = self._last
        if last is not None and last[:3] == (targets, status.id, hub):
            self.records = dict(last[5])
            return dict(last[3]), list(last[4])  # nothing moved: every tip was seen and checked
        self.records = self._stored_records(status)
        tips, found = self._admitted(self._tips(now, targets), status, now, self._trust_of(hub))
        self._last = (dict(targets), status.id, hub, dict(tips), list(found), dict(self.records))
        return tips, found

    def observed(self, commit: str) -> datetime.datetime | None:
        """When this controller first saw a report commit (None: not through this gate)."""
        seen = self._seen.get(commit)
        return None if seen is None else datetime.datetime.fromtimestamp(seen, datetime.UTC)

    def _tips(
        self, now: datetime.datetime, targets: Mapping[str, str]
    ) -> dict[str, reader.BranchTip | problems.Problem]:
        """The report branch tips, reading only commits not seen at the last fold.

        A tip's time is its commit time, or when the controller first saw it if
        that is earlier (a commit dated in the future). A branch no cluster can
        own is an R501 problem instead.
        """
        known, seen = self._branch_tips, self._seen
        self._branch_tips = {}
        self._seen = {key: when for key, when in seen.items() if key.startswith(_KEPT)}
        out: dict[str, reader.BranchTip | problems.Problem] = {}
        for branch, commit in targets.items():
            cluster = intake.cluster_of(branch)
            if cluster is None:
                out[branch] = intake.branch_problem(f"{REPORTS}/{branch}")
                continue
            first = self._seen[commit] = seen.get(commit, int(now.timestamp()))
            found = known.get(commit)
            if found is None:
                found = reader.branch_tip(self.store.repo, commit)
                found = dataclasses.replace(found, time=min(found.time, first))
            out[cluster] = self._branch_tips[commit] = found
        return out

    def _admitted(
        self,
        tips: Mapping[str, reader.BranchTip | problems.Problem],
        status: refs.Tip,
        now: datetime.datetime,
        trust: Trust | None,
    ) -> tuple[Tips, list[problems.Problem]]:
        """The tips to fold, a refused one replaced by its cluster's last good report."""
        checked, self._checked = self._checked, {}
        signatures, self._signatures = self._signatures, {}
        found: list[problems.Problem] = []
        out: Tips = {}
        for cluster, tip in tips.items():
            if isinstance(tip, problems.Problem):
                found.append(tip)
                continue
            verdict = self._verdict(cluster, tip, trust, signatures)
            refused = verdict is not None and verdict.kind is not signedtips.Kind.REPORT
            if refused and verdict is not None and verdict.problem is not None:
                found.append(verdict.problem)
            seen = [] if refused else self._problems_of(cluster, tip, checked)
            found.extend(seen)
            if not refused and not problems.has_errors(seen):
                out[cluster] = tip
                self._good_seen[cluster] = self._seen[tip.commit]
                if verdict is not None and trust is not None:
                    self._reported(cluster, tip.commit, trust.accepted[cluster])
                continue
            good = self._last_folded(cluster, status, checked, now)
            if good is not None:
                out[cluster] = good
        if trust is not None:
            found.extend(self._deleted(tips.keys(), trust, status, checked, now, out))
            self._settle(trust)
        for key in [k for k in self._seen if k.startswith(_KEPT) and k not in self._checked]:
            del self._seen[key]
        for cluster in self._good_seen.keys() - tips.keys():
            del self._good_seen[cluster]
        for cluster in self._files.keys() - tips.keys():
            del self._files[cluster]
        for cluster in self._presented.keys() - tips.keys():
            del self._presented[cluster]
        return out, sorted(found)

    def _verdict(
        self,
        cluster: str,
        tip: reader.BranchTip,
        trust: Trust | None,
        known: Mapping[str, tuple[signedtips.Signature, Presented]],
    ) -> signedtips.Verdict | None:
        """What a tip is by its signature (None: checked as before signatures).

        A verified request is recorded here, whether or not the tip is folded
        (also without ``allowed_signers``, so that a first key can be accepted).
        """
        facts = known.get(tip.commit) or self._signature_facts(cluster, tip)
        self._signatures[tip.commit] = facts
        signature, presented = facts
        accepted = None if trust is None else trust.accepted.get(cluster)
        record = self.records.get(cluster)
        last = None
        if record is not None and accepted is not None:
            same = record.last_report_fingerprint == accepted.fingerprint
            last = record.last_report_commit if same else None
        descends = last is None or reader.descends_from(self.store.repo, tip.commit, last)
        retired = registrations.retired(record, accepted.fingerprint if accepted else None)
        verdict = signedtips.classify(
            cluster, tip.commit, signature, presented, accepted, descends, retired
        )
        if verdict.kind is signedtips.Kind.REQUEST and verdict.key is not None:
            seen = timefmt.format_seconds(
                datetime.datetime.fromtimestamp(self._seen[tip.commit], datetime.UTC)
            )
            self.records[cluster] = registrations.requested(
                record, cluster, verdict.key, tip.commit, seen, self._sealing(cluster)
            )
        if trust is None or (accepted is None and cluster in trust.unkeyed):
            return None  # no allowed_signers, or open and no key on main: checked as before
        return verdict

    def _signature_facts(
        self, cluster: str, tip: reader.BranchTip
    ) -> tuple[signedtips.Signature, Presented]:
        """Who signed a tip and which key its registration.yaml presents (read once per commit)."""
        repo = self.store.repo
        signature = signature_of(repo, tip.commit)
        blob = registration_blob(repo, tip.tree)
        known = self._presented.get(cluster)
        if known is None or known[0] != blob:  # registration.yaml rarely changes: parsed once
            known = self._presented[cluster] = (blob, presented_of(repo, cluster, blob))
        return signature, known[1]

    def _trust_of(self, hub: str | None) -> Trust | None:
        """The keys the ``ocm/hub`` tip accepts (None: it has no allowed_signers), once per tip."""
        if self._trust[0] == hub:
            return self._trust[1]
        trust = None
        repo = self.store.repo
        blob = None if hub is None else reader.blob_at(repo, hub, SIGNERS_PATH)
        if hub is not None and not self._signed_by_us(hub):
            trust = self._trust[1] or Trust({}, frozenset())  # forged: keep what we trusted
        elif hub is not None and blob is not None:
            try:
                entries = signers.parse(reader.read_blob(repo, blob).decode("utf-8", "replace"))
            except failure.TrustError:
                entries = ()  # damaged: no cluster key is trusted
            accepted = {}
            for entry in entries:
                for principal in entry.principals:
                    if principal != HUB_PRINCIPAL and principal not in accepted:
                        accepted[principal] = entry.key
            published = {path.split("/", 1)[1] for path in reader.folder_ids(repo, hub, "clusters")}
            trust = Trust(accepted, frozenset(published - accepted.keys()))
        self._trust = (hub, trust)
        return trust

    def _signed_by_us(self, hub: str) -> bool:
        """Whether the ``ocm/hub`` commit is signed by this controller's key (True: no key)."""
        return self.hub_key is None or signed_by(self.store.repo, hub, self.hub_key)

    def _stored_records(self, status: refs.Tip) -> dict[str, registrations.Record]:
        """The registration records of the ``ocm/status`` tip (read where their blob changed)."""
        repo = self.store.repo
        folder = reader.subtree_id(repo, status.id, registrations.FOLDER)
        known, self._stored = self._stored, {}
        out: dict[str, registrations.Record] = {}
        for name, oid, kind in [] if folder is None else reader.entries(repo, folder):
            cluster = name.removesuffix(".yaml")
            if kind != "blob" or not name.endswith(".yaml"):
                continue
            found = known.get(name)
            if found is None or found[0] != oid:
                found = (oid, registrations.from_yaml(cluster, reader.read_blob(repo, oid)))
            self._stored[name] = found
            if found[1] is not None:
                out[cluster] = found[1]
        return out

    def _reported(self, cluster: str, commit: str, key: keys.PublicKey) -> None:
        """Remember the report folded for ``cluster`` (a later tip must descend from it)."""
        seen = datetime.datetime.fromtimestamp(self._seen[commit], datetime.UTC)
        self.records[cluster] = registrations.reported(
            self.records.get(cluster),
            cluster,
            key,
            commit,
            timefmt.format_seconds(seen),
            self._sealing(cluster),
        )

    def _sealing(self, cluster: str) -> str:
        """The sealing key line of the cluster's ``registration.yaml`` just judged ("": none)."""
        known = self._presented.get(cluster)
        blob = known[0] if known is not None else None
        if blob is None or blob[1] > intake.MAX_FILE_BYTES:
            return ""
        return signedtips.sealing_line(reader.read_blob(self.store.repo, blob[0]))

    def _deleted(
        self,
        branches: AbstractSet[str],
        trust: Trust,
        status: refs.Tip,
        checked: Mapping[str, list[problems.Problem]],
        now: datetime.datetime,
        out: Tips,
    ) -> list[problems.Problem]:
        """T625 for each accepted cluster whose branch is gone; its last folder stands in."""
        found = []
        for cluster in sorted(trust.accepted.keys() - branches):
            good = self._last_folded(cluster, status, checked, now)
            if good is not None:
                out[cluster] = good
                found.append(signedtips.deleted(cluster, trust.accepted[cluster].fingerprint))
        return found

    def _settle(self, trust: Trust) -> None:
        """Each record's states for the keys the hub tip accepts."""
        for cluster, record in self.records.items():
            accepted = trust.accepted.get(cluster)
            fingerprint = None if accepted is None else accepted.fingerprint
            self.records[cluster] = registrations.settled(record, fingerprint)

    def _problems_of(
        self, cluster: str, tip: reader.BranchTip, checked: Mapping[str, list[problems.Problem]]
    ) -> list[problems.Problem]:
        """What :meth:`_check` finds in a tip, once per tip commit."""
        seen = checked.get(tip.commit)
        if seen is None:
            first = datetime.datetime.fromtimestamp(self._seen[tip.commit], datetime.UTC)
            seen = self._check(cluster, tip.tree, first)
        self._checked[tip.commit] = seen
        return seen

    def _check(
        self, cluster: str, tree: str, observed: datetime.datetime
    ) -> list[problems.Problem]:
        """Everything :mod:`intake` finds in a report tree (files read only if it lists well)."""
        repo = self.store.repo
        listing, truncated = reader.untrusted_listing(repo, tree, intake.MAX_ENTRIES)
        entries = [intake.Entry(path, kind, size) for path, kind, _, size in listing]
        found = intake.check_listing(cluster, entries, truncated)
        if problems.has_errors(found):
            return found
        known, files = self._files.get(cluster, {}), {}
        for path, kind, oid, _ in listing:
            if kind == "blob":
                facts = known.get((path, oid))
                if facts is None:  # a new tip reads only the files that changed
                    facts = intake.read_file(cluster, path, reader.read_blob(repo, oid))
                files[(path, oid)] = facts
                found.extend(facts.problems)
                found.extend(intake.future_times(cluster, path, facts, observed))
        self._files[cluster] = files
        return found

    def _last_folded(
        self,
        cluster: str,
        status: refs.Tip,
        checked: Mapping[str, list[problems.Problem]],
        now: datetime.datetime,
    ) -> reader.BranchTip | None:
        """The cluster's folder in ``ocm/status``, as its last good report (None: there is none).

        It is checked like a report (``ocm/status`` is no more trusted), and its
        times count from when the cluster's last admitted tip was first seen
        (or, after a restart, from when this controller first stood it in), so
        a refused report cannot make an old lease count again.
        """
        if status.id is None:
            return None
        tree = reader.folder_ids(self.store.repo, status.id, "clusters").get(f"clusters/{cluster}")
        if tree is None:
            return None
        key = f"{_KEPT}{tree}"
        first = self._seen.setdefault(key, self._good_seen.get(cluster, int(now.timestamp())))
        tip = reader.BranchTip(key, tree, first)
        if problems.has_errors(self._problems_of(cluster, tip, checked)):
            return None
        return tip


def signature_of(repo: repository.Repository, commit: str) -> signedtips.Signature:
    """Who signed a commit someone pushed, or why no key can be named (bounded reads)."""
    try:
        parts = reader.signed_parts(repo, commit)
        if parts.signature is None:
            return signedtips.Signature(None)
        return signedtips.Signature(sshsig.verify(parts.signature, parts.payload))
    except failure.TrustError as exc:
        return signedtips.Signature(None, f"{exc.code} {exc.detail}")
    except errors.NotFound as exc:
        return signedtips.Signature(None, str(exc))


def signed_by(repo: repository.Repository, commit: str, key: keys.PublicKey) -> bool:
    """Whether ``commit`` carries a signature by ``key`` that verifies."""
    return signature_of(repo, commit).signer == key


def registration_blob(repo: repository.Repository, tree: str) -> tuple[str, int] | None:
    """The id and size of a report tree's ``registration.yaml`` (None: it has none)."""
    listing, _ = reader.untrusted_listing(repo, tree, intake.MAX_ENTRIES, depth=1)
    return next(
        ((oid, size) for path, kind, oid, size in listing
         if path == signedtips.PATH and kind == "blob"),
        None,
    )  # fmt: skip


def presented_of(
    repo: repository.Repository, cluster: str, blob: tuple[str, int] | None
) -> Presented:
    """The key a ``registration.yaml`` blob presents, or T623 (an oversized file reads empty)."""
    data = None
    if blob is not None:
        oid, size = blob
        data = b"" if size > intake.MAX_FILE_BYTES else reader.read_blob(repo, oid)
    return signedtips.presented_key(cluster, data)
