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
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping

from gitops_ocm import problems
from gitops_ocm.gitstore import reader, refs, remote
from gitops_ocm.status import intake

REPORTS = "ocm/reports"
_KEPT = "status:"  # the key of a cluster's last folded folder standing in for a refused tip

Tips = dict[str, reader.BranchTip]
Files = dict[tuple[str, str], intake.FileFacts]  # (path in the report, blob id) -> checks


class ReportGate:
    """Admits report tips to the fold, once per tip commit, and remembers when it saw each."""

    def __init__(self, store: remote.Store) -> None:
        self.store = store
        self._branch_tips: dict[str, reader.BranchTip] = {}  # commit -> its tip
        self._checked: dict[str, list[problems.Problem]] = {}  # report commit -> its problems
        self._seen: dict[str, int] = {}  # report commit -> when this controller first saw it
        self._good_seen: dict[str, int] = {}  # cluster -> first seen of its last admitted tip
        self._files: dict[str, Files] = {}  # cluster -> its last checked tree's file checks
        self._last: tuple[Mapping[str, str], str | None, Tips, list[problems.Problem]] | None = None

    def admit(
        self, now: datetime.datetime, targets: Mapping[str, str] | None, status: refs.Tip
    ) -> tuple[Tips, list[problems.Problem]]:
        """The tips to fold by cluster, and every report problem (R5xx), sorted.

        ``targets`` are the report branches (below ``ocm/reports/``) and their
        commits, as the pass read them (None: list them now); ``status`` is the
        ``ocm/status`` tip whose folders stand in for refused tips.
        """
        if targets is None:
            targets = reader.branch_targets(self.store.repo, REPORTS)
        last = self._last
        if last is not None and last[0] == targets and last[1] == status.id:
            return dict(last[2]), list(last[3])  # nothing moved: every tip was seen and checked
        tips, found = self._admitted(self._tips(now, targets), status, now)
        self._last = (dict(targets), status.id, dict(tips), list(found))
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
    ) -> tuple[Tips, list[problems.Problem]]:
        """The tips to fold, a refused one replaced by its cluster's last good report."""
        checked, self._checked = self._checked, {}
        found: list[problems.Problem] = []
        out: Tips = {}
        for cluster, tip in tips.items():
            if isinstance(tip, problems.Problem):
                found.append(tip)
                continue
            seen = self._problems_of(cluster, tip, checked)
            found.extend(seen)
            if not problems.has_errors(seen):
                out[cluster] = tip
                self._good_seen[cluster] = self._seen[tip.commit]
                continue
            good = self._last_folded(cluster, status, checked, now)
            if good is not None:
                out[cluster] = good
        for key in [k for k in self._seen if k.startswith(_KEPT) and k not in self._checked]:
            del self._seen[key]
        for cluster in self._good_seen.keys() - tips.keys():
            del self._good_seen[cluster]
        for cluster in self._files.keys() - tips.keys():
            del self._files[cluster]
        return out, sorted(found)

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
