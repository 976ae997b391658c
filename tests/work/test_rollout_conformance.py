"""Conformance of the rollout algorithm with OCM's sdk-go RolloutHandler, and its invariants.

The table cases are ported from sdk-go's pkg/apis/cluster/v1alpha1/rollout_test.go
(commit 3ea63fbc): each id names the Go test function and the case it comes from.
Inputs and expected outputs are OCM's; the notation is ours. Times are seconds from
the test's fixed "now" (OCM's fakeTime); a cluster is written by its number.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gitops_ocm import errors
from gitops_ocm.work import rollout

NOW = datetime.datetime(2022, 1, 1, tzinfo=datetime.UTC)
S = rollout.Status
STATE = {"waiting": S.TO_APPLY, "applying": S.PROGRESSING, "done": S.SUCCEEDED, "failed": S.FAILED}
TWO = (("group1", 0, "1 2"), ("", 1, "3 4 5 6"))
SIX = (("group1", 0, "1 2 3"), ("", 1, "4 5 6"))
NINE = (("group1", 0, "1 2 3"), ("", 1, "4 5 6"), ("", 2, "7 8 9"))
PAIRS = (("group1", 0, "1 2"), ("", 1, "3 4"), ("", 2, "5 6"))
MIXED = (("done", 1, -60), ("failed", 2, -120), ("applying", 3, -60))
ALL_MIXED = (*MIXED[:2], ("applying", 3, -120), ("failed", 4, -60), ("applying", 5, -60))
MANDATORY = [{"groupName": "group1"}]


def _at(offset: int | None) -> datetime.datetime | None:
    return None if offset is None else NOW + datetime.timedelta(seconds=offset)


def _groups(spec):
    return [
        rollout.DecisionGroup(
            rollout.GroupKey(index, name), frozenset(f"cluster{n}" for n in names.split())
        )
        for name, index, names in spec
    ]


def _works(spec):
    """Write workloads as (state, cluster number[, last transition]), in OCM's list order."""
    return [
        rollout.ClusterStatus(f"cluster{n}", STATE[state], _at(t[0] if t else None))
        for state, n, *t in spec
    ]


def _entries(spec):
    """Write expected entries as (status, cluster number, last transition, recheck)."""
    return [(S[s], f"cluster{n}", _at(ltt), _at(rt)) for s, n, ltt, rt in spec]


def _seen(entries):
    return [(e.status, e.cluster, e.last_transition_time, e.recheck_time) for e in entries]


def _strategy(kind, **params):
    key = {"All": "all", "Progressive": "progressive", "ProgressivePerGroup": "progressivePerGroup"}
    return {"type": kind, key[kind]: params}


TO_APPLY_1_TO_10 = (("applying", 1, -60), *(("waiting", n) for n in range(2, 11)))
P = "TestGetRolloutCluster_Progressive"
G = "TestGetRolloutCluster_ProgressivePerGroup"
A = "TestGetRolloutCluster_All"
ADD = "TestGetRolloutCluster_ClusterAdded"
REM = "TestGetRolloutCluster_ClusterRemoved"

# (id, strategy, groups, works, to roll out, timed out, removed, breach, recheck in s)
CASES = [
    (
        f"{A}/rollout all with timeout 90s without workload created",
        _strategy("All", progressDeadline="90s"),
        TWO,
        (),
        [("TO_APPLY", n, None, None) for n in range(1, 7)],
        [],
        [],
        False,
        None,
    ),
    (
        f"{A}/rollout all with timeout 90s",
        _strategy("All", progressDeadline="90s"),
        TWO,
        ALL_MIXED,
        [("FAILED", 4, -60, 30), ("PROGRESSING", 5, -60, 30), ("TO_APPLY", 6, None, None)],
        [("TIME_OUT", 2, -120, -30), ("TIME_OUT", 3, -120, -30)],
        [],
        False,
        30,
    ),
    (
        f"{P}/progressive rollout with timeout 90s without workload created",
        _strategy("Progressive", progressDeadline="90s", maxConcurrency=2),
        SIX,
        (),
        [("TO_APPLY", 1, None, None), ("TO_APPLY", 2, None, None)],
        [],
        [],
        False,
        None,
    ),
    (
        f"{P}/progressive rollout with timeout 90s and workload clusterRollOutStatus are in "
        "ToApply status",
        _strategy("Progressive", progressDeadline="90s", maxConcurrency=4),
        NINE,
        TO_APPLY_1_TO_10,
        [("PROGRESSING", 1, -60, 30)] + [("TO_APPLY", n, None, None) for n in (2, 3, 4)],
        [],
        ["cluster10"],
        False,
        30,
    ),
    (
        f"{P}/progressive rollout with timeout 90s and MaxConcurrency not set",
        _strategy("Progressive", progressDeadline="90s"),
        NINE,
        TO_APPLY_1_TO_10,
        [("PROGRESSING", 1, -60, 30)] + [("TO_APPLY", n, None, None) for n in range(2, 10)],
        [],
        ["cluster10"],
        False,
        30,
    ),
    (
        f"{P}/progressive rollout with timeout 90s and no maxFailures set",
        _strategy("Progressive", progressDeadline="90s", maxConcurrency=2),
        SIX,
        MIXED,
        [("PROGRESSING", 3, -60, 30)],
        [("TIME_OUT", 2, -120, -30)],
        [],
        True,
        30,
    ),
    (
        f"{P}/progressive rollout with timeout 90s, 100% maxFailures, minSuccessTime 60s",
        _strategy(
            "Progressive",
            progressDeadline="90s",
            maxFailures="100%",
            minSuccessTime="1m",
            maxConcurrency=2,
        ),
        SIX,
        (("done", 1, -30), ("failed", 2, -120), ("applying", 3, -30)),
        [("SUCCEEDED", 1, -30, 30), ("PROGRESSING", 3, -30, 60)],
        [("TIME_OUT", 2, -120, -30)],
        [],
        False,
        30,
    ),
    (
        f"{P}/progressive rollout with mixed timeout and minSuccessTime scenarios",
        _strategy(
            "Progressive",
            progressDeadline="90s",
            maxFailures="100%",
            minSuccessTime="60s",
            maxConcurrency=4,
        ),
        (("group1", 0, "1 2 3 4"),),
        (("done", 1, -30), ("applying", 2, -60), ("applying", 3, -30), ("done", 4, -120)),
        [("SUCCEEDED", 1, -30, 30), ("PROGRESSING", 2, -60, 30), ("PROGRESSING", 3, -30, 60)],
        [],
        [],
        False,
        30,
    ),
    (
        f"{P}/progressive rollout with timeout 90s and maxFailures 1",
        _strategy("Progressive", progressDeadline="90s", maxFailures=1, maxConcurrency=2),
        SIX,
        MIXED,
        [("PROGRESSING", 3, -60, 30), ("TO_APPLY", 4, None, None)],
        [("TIME_OUT", 2, -120, -30)],
        [],
        False,
        30,
    ),
    (
        f"{P}/progressive rollout with timeout 0s, maxFailures 3",
        _strategy("Progressive", progressDeadline="0s", maxFailures=3, maxConcurrency=2),
        SIX,
        (("done", 1, -30), ("applying", 2, -30), ("applying", 3, -30)),
        [("TO_APPLY", 4, None, None), ("TO_APPLY", 5, None, None)],
        [("TIME_OUT", 2, -30, -30), ("TIME_OUT", 3, -30, -30)],
        [],
        False,
        None,
    ),
    (
        f"{P}/progressive rollout with mandatoryDecisionGroup and timeout 90s",
        _strategy(
            "Progressive",
            progressDeadline="90s",
            maxConcurrency=3,
            mandatoryDecisionGroups=MANDATORY,
        ),
        SIX,
        MIXED,
        [("PROGRESSING", 3, -60, 30)],
        [("TIME_OUT", 2, -120, -30)],
        [],
        True,
        30,
    ),
    (
        f"{P}/progressive rollout with timeout None, MaxConcurrency 50%, MaxFailures 100%",
        _strategy("Progressive", progressDeadline="None", maxFailures="100%", maxConcurrency="50%"),
        TWO,
        MIXED,
        [("FAILED", 2, -120, None), ("PROGRESSING", 3, -60, None), ("TO_APPLY", 4, None, None)],
        [],
        [],
        False,
        None,
    ),
    (
        f"{P}/progressive rollout with timeout None, MaxConcurrency 50%, MaxFailures 0%",
        _strategy("Progressive", progressDeadline="None", maxFailures="0%", maxConcurrency="50%"),
        TWO,
        MIXED,
        [("FAILED", 2, -120, None), ("PROGRESSING", 3, -60, None)],
        [],
        [],
        True,
        None,
    ),
    (
        f"{P}/progressive rollout with mandatory decision groups failed",
        _strategy(
            "Progressive",
            progressDeadline="90s",
            maxConcurrency=3,
            mandatoryDecisionGroups=MANDATORY,
        ),
        PAIRS,
        (("failed", 1, -120), ("failed", 2, -60)),
        [("FAILED", 2, -60, 30)],
        [("TIME_OUT", 1, -120, -30)],
        [],
        True,
        30,
    ),
    (
        f"{P}/progressive rollout with mandatory decision groups Succeed",
        _strategy("Progressive", maxConcurrency=3, mandatoryDecisionGroups=MANDATORY),
        PAIRS,
        (("done", 1, -60), ("done", 2, -120)),
        [("TO_APPLY", n, None, None) for n in (3, 4, 5)],
        [],
        [],
        False,
        None,
    ),
    (
        f"{G}/progressivePerGroup rollout with timeout 90s without workload created",
        _strategy("ProgressivePerGroup", progressDeadline="90s"),
        SIX,
        (),
        [("TO_APPLY", n, None, None) for n in (1, 2, 3)],
        [],
        [],
        False,
        None,
    ),
    (
        f"{G}/progressivePerGroup rollout with timeout 90s and all workload "
        "clusterRollOutStatus are in ToApply status",
        _strategy("ProgressivePerGroup", progressDeadline="90s"),
        SIX,
        TO_APPLY_1_TO_10[:6],
        [("PROGRESSING", 1, -60, 30), ("TO_APPLY", 2, None, None), ("TO_APPLY", 3, None, None)],
        [],
        [],
        False,
        30,
    ),
    (
        f"{G}/progressivePerGroup rollout with timeout 90s",
        _strategy("ProgressivePerGroup", progressDeadline="90s"),
        SIX,
        MIXED,
        [("PROGRESSING", 3, -60, 30)],
        [("TIME_OUT", 2, -120, -30)],
        [],
        True,
        30,
    ),
    (
        f"{G}/progressivePerGroup rollout with timeout 90s and first group timeOut, maxFailures 2",
        _strategy("ProgressivePerGroup", progressDeadline="90s", maxFailures=2),
        NINE,
        (("done", 1, -60), ("failed", 2, -120), ("done", 3, -60)),
        [("TO_APPLY", n, None, None) for n in (4, 5, 6)],
        [("TIME_OUT", 2, -120, -30)],
        [],
        False,
        None,
    ),
    (
        f"{G}/progressivePerGroup rollout with timeout 90s and first group timeOut, "
        "second group succeeded",
        _strategy("ProgressivePerGroup", progressDeadline="90s", maxFailures=2),
        NINE,
        (("done", 1, -60), ("failed", 2, -120), *(("done", n, -60) for n in (3, 4, 5, 6))),
        [("TO_APPLY", n, None, None) for n in (7, 8, 9)],
        [("TIME_OUT", 2, -120, -30)],
        [],
        False,
        None,
    ),
    (
        f"{G}/progressivePerGroup rollout with timeout None and first group failing",
        _strategy("ProgressivePerGroup", progressDeadline="None"),
        NINE,
        (("done", 1, -60), ("failed", 2, -120), ("done", 3, -60)),
        [("FAILED", 2, -120, None)],
        [],
        [],
        True,
        None,
    ),
    (
        f"{G}/progressivePerGroup rollout with timeout None, first group 1 cluster is failing "
        "and maxFailures is 2",
        _strategy("ProgressivePerGroup", progressDeadline="None", maxFailures=2),
        NINE,
        (("done", 1, -60), ("failed", 2, -120), ("done", 3, -60)),
        [("FAILED", 2, -120, None)] + [("TO_APPLY", n, None, None) for n in (4, 5, 6)],
        [],
        [],
        False,
        None,
    ),
    (
        f"{G}/progressivePerGroup rollout with timeout None, first group 2 clusters are failing "
        "2 and maxFailures is 30%",
        _strategy("ProgressivePerGroup", progressDeadline="None", maxFailures="30%"),
        NINE,
        (("done", 1, -60), ("failed", 2, -120), ("failed", 3, -120)),
        [("FAILED", 2, -120, None), ("FAILED", 3, -120, None)],
        [],
        [],
        True,
        None,
    ),
    (
        f"{G}/ProgressivePerGroup rollout with mandatoryDecisionGroup failing and timeout 90s",
        _strategy("ProgressivePerGroup", progressDeadline="90s", mandatoryDecisionGroups=MANDATORY),
        SIX,
        (("done", 1, -60), ("failed", 2, -120), ("failed", 3, -120)),
        [],
        [("TIME_OUT", 2, -120, -30), ("TIME_OUT", 3, -120, -30)],
        [],
        True,
        None,
    ),
    (
        f"{G}/progressivePerGroup rollout with mandatoryDecisionGroup failing 1 cluster, "
        "timeout 90s and with maxFailures is 2",
        _strategy(
            "ProgressivePerGroup",
            progressDeadline="90s",
            maxFailures=2,
            mandatoryDecisionGroups=MANDATORY,
        ),
        NINE,
        (("done", 1, -60), ("failed", 2, -120), ("done", 3, -60)),
        [],
        [("TIME_OUT", 2, -120, -30)],
        [],
        True,
        None,
    ),
    (
        f"{G}/ProgressivePerGroup rollout with mandatoryDecisionGroup Succeeded and timeout 90s",
        _strategy("ProgressivePerGroup", progressDeadline="90s", mandatoryDecisionGroups=MANDATORY),
        NINE,
        (("done", 1, -60), ("done", 2, -60), ("done", 3, -60)),
        [("TO_APPLY", n, None, None) for n in (4, 5, 6)],
        [],
        [],
        False,
        None,
    ),
    (
        f"{G}/progressivePerGroup rollout with minSuccessTime and mixed cluster states",
        _strategy(
            "ProgressivePerGroup", progressDeadline="90s", maxFailures="50%", minSuccessTime="1m"
        ),
        (("group1", 0, "1 2 3"), ("group2", 1, "4 5")),
        (("done", 1, -30), ("done", 2, -120), ("applying", 3, -30)),
        [("SUCCEEDED", 1, -30, 30), ("PROGRESSING", 3, -30, 60)],
        [],
        [],
        False,
        30,
    ),
    (
        f"{ADD}/rollout all with timeout 90s and cluster added",
        _strategy("All", progressDeadline="90s"),
        (("group1", 0, "1 2 7"), ("", 1, "3 4 5 6")),
        ALL_MIXED,
        [("FAILED", 4, -60, 30), ("PROGRESSING", 5, -60, 30)]
        + [("TO_APPLY", n, None, None) for n in (6, 7)],
        [("TIME_OUT", 2, -120, -30), ("TIME_OUT", 3, -120, -30)],
        [],
        False,
        30,
    ),
    (
        f"{ADD}/progressive rollout with mandatory decision groups Succeed and clusters added "
        "after rollout",
        _strategy(
            "Progressive",
            progressDeadline="90s",
            maxConcurrency=3,
            mandatoryDecisionGroups=MANDATORY,
        ),
        (("group1", 0, "1 2 7"), ("", 1, "3 4 8"), ("", 2, "5 6 9")),
        (*(("done", n, -60) for n in (1, 2, 3)), ("applying", 4, -60), ("applying", 5, -60)),
        [("PROGRESSING", 4, -60, 30), ("PROGRESSING", 5, -60, 30), ("TO_APPLY", 7, None, None)],
        [],
        [],
        False,
        30,
    ),
    (
        f"{ADD}/progressivePerGroup rollout with timeout 90s and cluster added after rollout start",
        _strategy("ProgressivePerGroup", progressDeadline="90s"),
        SIX,
        (("done", 1, -60), ("done", 2, -60), ("applying", 4, -60), ("applying", 5, -60)),
        [("PROGRESSING", 4, -60, 30), ("PROGRESSING", 5, -60, 30), ("TO_APPLY", 3, None, None)],
        [],
        [],
        False,
        30,
    ),
    (
        f"{REM}/rollout all with timeout 90s and clusters removed",
        _strategy("All", progressDeadline="90s"),
        (("group1", 0, "1"), ("", 1, "3 5")),
        ALL_MIXED,
        [("PROGRESSING", 5, -60, 30)],
        [("TIME_OUT", 3, -120, -30)],
        ["cluster2", "cluster4"],
        False,
        30,
    ),
    (
        f"{REM}/progressive rollout with timeout 90s, MaxFailures 100%, and cluster removed",
        _strategy("Progressive", progressDeadline="90s", maxFailures="100%", maxConcurrency=2),
        (("group1", 0, "2 3"), ("", 1, "4 5 6")),
        MIXED,
        [("PROGRESSING", 3, -60, 30), ("TO_APPLY", 4, None, None)],
        [("TIME_OUT", 2, -120, -30)],
        ["cluster1"],
        False,
        30,
    ),
    (
        f"{REM}/progressive rollout with mandatoryDecisionGroup, timeout 90s and cluster removed "
        "from mandatoryDecisionGroup",
        _strategy(
            "Progressive",
            progressDeadline="90s",
            maxConcurrency=2,
            mandatoryDecisionGroups=MANDATORY,
        ),
        (("group1", 0, "1 3"), ("", 1, "4 5 6")),
        (("done", 1, -60), ("failed", 2, -120), ("done", 3, -60)),
        [("TO_APPLY", 4, None, None), ("TO_APPLY", 5, None, None)],
        [],
        ["cluster2"],
        False,
        None,
    ),
    (
        f"{REM}/progressivePerGroup rollout with timeout 90s and cluster removed after rollout "
        "start",
        _strategy("ProgressivePerGroup", progressDeadline="90s"),
        (("group1", 0, "1 3"), ("", 1, "4 5 6")),
        (("done", 1, -60), ("failed", 2, -60), ("applying", 3, -60)),
        [("PROGRESSING", 3, -60, 30)],
        [],
        ["cluster2"],
        False,
        30,
    ),
    (
        f"{REM}/progressivePerGroup rollout with timeout 90s and cluster removed after rollout "
        "start while the group timeout",
        _strategy("ProgressivePerGroup", progressDeadline="90s", maxFailures=2),
        (("group1", 0, "1 3"), ("", 1, "4 5 6")),
        (("done", 1, -60), ("failed", 2, -60), ("applying", 3, -120)),
        [("TO_APPLY", n, None, None) for n in (4, 5, 6)],
        [("TIME_OUT", 3, -120, -30)],
        ["cluster2"],
        False,
        None,
    ),
    (
        f"{REM}/ProgressivePerGroup rollout with mandatoryDecisionGroup, timeout 90s and cluster "
        "removed from mandatoryDecisionGroup",
        _strategy("ProgressivePerGroup", progressDeadline="90s", mandatoryDecisionGroups=MANDATORY),
        (("group1", 0, "1 3"), ("", 1, "4 5 6"), ("", 2, "7 8 9")),
        (("done", 1, -60), ("failed", 2, -120), ("done", 3, -60)),
        [("TO_APPLY", n, None, None) for n in (4, 5, 6)],
        [],
        ["cluster2"],
        False,
        None,
    ),
]


CASES.append(
    (
        "ours/after a breach an outdated work (ToApply) is not re-applied",
        _strategy("Progressive", maxConcurrency=5),
        SIX,
        (("failed", 1, -60), ("waiting", 2), ("applying", 3, -60)),
        [("FAILED", 1, -60, None), ("PROGRESSING", 3, -60, None)],
        [],
        [],
        True,
        None,
    )
)


@pytest.mark.parametrize(
    ("strategy", "groups", "works", "to_rollout", "timed_out", "removed", "breach", "recheck"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_ocm_case(strategy, groups, works, to_rollout, timed_out, removed, breach, recheck):
    """The result equals sdk-go's expected RolloutResult for the same inputs."""
    parsed = rollout.strategy_from_dict(strategy)
    result = rollout.evaluate(parsed, _groups(groups), _works(works), NOW)
    assert _seen(result.to_rollout) == _entries(to_rollout)
    assert _seen(result.timed_out) == _entries(timed_out)
    assert list(result.removed) == removed
    assert result.max_failure_breach is breach
    assert result.recheck_at == _at(recheck)


D = "TestDetermineRolloutStatus"


@pytest.mark.parametrize(
    ("status", "ltt", "soak", "deadline", "placed", "due"),
    [
        pytest.param("TO_APPLY", None, 0, "1m", "window", None, id=f"{D}/ToApply status"),
        pytest.param("SKIP", None, 0, "1m", None, None, id=f"{D}/Skip status"),
        pytest.param("SUCCEEDED", None, 0, "1m", None, None, id=f"{D}/Succeeded status"),
        pytest.param(
            "SUCCEEDED", None, 60, None, "window", 60, id=f"{D}/Succeeded within the minSuccessTime"
        ),
        pytest.param(
            "SUCCEEDED", -120, 60, None, None, None, id=f"{D}/Succeeded outside the minSuccessTime"
        ),
        pytest.param("TIME_OUT", None, 0, "1m", None, None, id=f"{D}/TimeOut status"),
        pytest.param(
            "PROGRESSING", -30, 0, "1m", "window", 30, id=f"{D}/Progressing within the timeout"
        ),
        pytest.param("FAILED", -60, 0, "1m", "timed_out", 0, id=f"{D}/Failed outside the timeout"),
        pytest.param(
            "SUCCEEDED", None, 120, None, "window", 120, id=f"{D}/Succeeded with nil LTT and soak"
        ),
    ],
)
def test_one_cluster(status, ltt, soak, deadline, placed, due):
    """A single known cluster lands in the window, among the timed out, or nowhere, as in OCM."""
    strategy = rollout.Strategy(
        "Progressive",
        rollout.parse_deadline(deadline),
        datetime.timedelta(seconds=soak),
        max_failures="100%",
    )
    works = [rollout.ClusterStatus("cluster1", S[status], _at(ltt))]
    result = rollout.evaluate(strategy, _groups([("", 0, "1")]), works, NOW)
    where = {"window": result.to_rollout, "timed_out": result.timed_out}
    for name, entries in where.items():
        assert [e.cluster for e in entries] == (["cluster1"] if placed == name else [])
    entry = (result.to_rollout or result.timed_out or [None])[0]
    assert (entry.recheck_time if entry else None) == _at(due)


@pytest.mark.parametrize(
    ("threshold", "total", "default", "expected"),
    [
        pytest.param(50, 100, 100, 50, id="TestCalculateRolloutSize/int"),
        pytest.param("30%", 100, 100, 30, id="TestCalculateRolloutSize/percentage"),
        pytest.param(0, 100, 100, 100, id="TestCalculateRolloutSize/int 0"),
        pytest.param(101, 100, 100, 100, id="TestCalculateRolloutSize/int out of range"),
        pytest.param("200%", 100, 100, 100, id="TestCalculateRolloutSize/percentage out of range"),
        pytest.param("30%", 3, 0, 1, id="ours/30% of 3 rounds up to 1"),
        pytest.param("50%", 5, 0, 3, id="ours/50% of 5 rounds up to 3"),
        pytest.param("0%", 6, 0, 0, id="ours/0% is the default"),
        pytest.param(7, 6, 0, 0, id="ours/a count above the total is the default"),
    ],
)
def test_resolve(threshold, total, default, expected):
    """Counts and percentages resolve as OCM does: ceil, and out of range is the default."""
    assert rollout.resolve(threshold, total, default) == expected


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        pytest.param("2h", 7200, id="TestParseTimeout/hours"),
        pytest.param("30m", 1800, id="TestParseTimeout/minutes"),
        pytest.param("10s", 10, id="TestParseTimeout/seconds"),
        pytest.param("None", None, id="TestParseTimeout/None"),
        pytest.param("", None, id="TestParseTimeout/empty"),
        pytest.param(None, None, id="ours/absent"),
        pytest.param("1h30m", 5400, id="ours/compound like Go's durations"),
    ],
)
def test_parse_deadline(raw, seconds):
    """progressDeadline 'None', empty or absent waits forever; else it is a duration."""
    expected = None if seconds is None else datetime.timedelta(seconds=seconds)
    assert rollout.parse_deadline(raw) == expected


def test_strategy_from_dict_reads_every_field():
    """A placementRef's rolloutStrategy parses into a Strategy, mandatory groups included."""
    raw = {
        "type": "ProgressivePerGroup",
        "progressivePerGroup": {
            "progressDeadline": "10m",
            "minSuccessTime": "30s",
            "maxFailures": "25%",
            "mandatoryDecisionGroups": [{"groupName": "canary"}, {"groupIndex": 2}],
        },
    }
    assert rollout.strategy_from_dict(raw) == rollout.Strategy(
        "ProgressivePerGroup",
        datetime.timedelta(minutes=10),
        datetime.timedelta(seconds=30),
        "25%",
        0,
        (rollout.MandatoryGroup("canary", 0), rollout.MandatoryGroup("", 2)),
    )


def test_strategy_defaults_to_all():
    """No rolloutStrategy is OCM's default: All, no deadline."""
    assert rollout.strategy_from_dict(None) == rollout.Strategy()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "Canary"}, "'type' must be All, Progressive or ProgressivePerGroup"),
        ({"type": "Progressive", "progressive": {"maxConcurrency": "many"}}, "'maxConcurrency'"),
        ({"type": "Progressive", "progressive": {"maxFailures": "x%"}}, "'maxFailures'"),
        ({"type": "All", "all": {"progressDeadline": "soon"}}, "'progressDeadline' must be"),
        ({"type": "Progressive", "progressive": {"minSuccessTime": "1d"}}, "'minSuccessTime'"),
    ],
    ids=["type", "maxConcurrency", "maxFailures", "progressDeadline", "minSuccessTime"],
)
def test_strategy_refuses_bad_values(raw, message):
    """A value validation would have refused raises InvalidInput naming the field."""
    with pytest.raises(errors.InvalidInput, match=message):
        rollout.strategy_from_dict(raw)


def test_mandatory_by_index_and_repeated_name():
    """A mandatory groupName takes every index with that name, one group after the other."""
    groups = _groups([("canary", 0, "1"), ("", 1, "2"), ("canary", 2, "3"), ("", 3, "4")])
    by_name = rollout.Strategy("Progressive", mandatory=(rollout.MandatoryGroup("canary"),))
    result = rollout.evaluate(by_name, groups, [], NOW)
    assert [e.cluster for e in result.to_rollout] == ["cluster1"]
    done = [rollout.ClusterStatus("cluster1", S.SUCCEEDED, NOW)]
    result = rollout.evaluate(by_name, groups, done, NOW)
    assert [e.cluster for e in result.to_rollout] == ["cluster3"]
    by_index = rollout.Strategy("Progressive", mandatory=(rollout.MandatoryGroup(index=3),))
    result = rollout.evaluate(by_index, groups, [], NOW)
    assert [e.cluster for e in result.to_rollout] == ["cluster4"]


# Properties over random fleets: clusters c00..c19 in up to four groups, random statuses.
_NAMES = [f"c{i:02}" for i in range(20)]
_STATUS = st.sampled_from(list(S))
_OFFSET = st.one_of(st.none(), st.integers(-600, 600))


@st.composite
def _fleets(draw):
    """Draw decision groups and statuses for some of their clusters (and a few strangers)."""
    size = draw(st.integers(1, 20))
    cut = sorted(draw(st.sets(st.integers(1, size - 1), max_size=3))) if size > 1 else []
    bounds = [0, *cut, size]
    groups = [
        rollout.DecisionGroup(rollout.GroupKey(i, "g" if i == 0 else ""), frozenset(_NAMES[a:b]))
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    ]
    known = draw(st.lists(st.sampled_from([*_NAMES, "gone"]), unique=True, max_size=20))
    statuses = [rollout.ClusterStatus(c, draw(_STATUS), _at(draw(_OFFSET))) for c in known]
    return groups, statuses


_WINDOW = st.one_of(st.integers(0, 25), st.sampled_from(["10%", "25%", "50%", "100%"]))
_FAILURES = st.one_of(st.integers(0, 5), st.sampled_from(["0%", "20%", "100%"]))
_DEADLINE = st.one_of(st.none(), st.integers(0, 600).map(lambda s: datetime.timedelta(seconds=s)))


@given(_fleets(), _WINDOW, _FAILURES, _DEADLINE)
def test_window_never_exceeds_max_concurrency(fleet, window, failures, deadline):
    """Progressive never puts more clusters in flight than maxConcurrency resolves to."""
    groups, statuses = fleet
    strategy = rollout.Strategy(
        "Progressive", deadline, max_failures=failures, max_concurrency=window
    )
    result = rollout.evaluate(strategy, groups, statuses, NOW)
    total = sum(len(g.clusters) for g in groups)
    assert len(result.to_rollout) <= rollout.resolve(window, total, total)


@given(_fleets(), st.sampled_from(["Progressive", "ProgressivePerGroup"]), _DEADLINE)
def test_mandatory_groups_go_first(fleet, kind, deadline):
    """While a mandatory cluster has not started, no cluster outside the mandatory group starts."""
    groups, statuses = fleet
    strategy = rollout.Strategy(kind, deadline, mandatory=(rollout.MandatoryGroup("g"),))
    result = rollout.evaluate(strategy, groups, statuses, NOW)
    started = {s.cluster for s in statuses if s.status is not S.TO_APPLY}
    if groups[0].clusters - started:
        new = [e for e in result.to_rollout if e.status is S.TO_APPLY]
        assert all(e.cluster in groups[0].clusters for e in new)


@given(_fleets(), _WINDOW, _FAILURES, _DEADLINE)
def test_stopped_rollout_adds_nothing(fleet, window, failures, deadline):
    """Once maxFailures is breached, Progressive starts no cluster that had no status."""
    groups, statuses = fleet
    strategy = rollout.Strategy(
        "Progressive", deadline, max_failures=failures, max_concurrency=window
    )
    result = rollout.evaluate(strategy, groups, statuses, NOW)
    if result.max_failure_breach:
        known = {s.cluster for s in statuses}
        assert {e.cluster for e in result.to_rollout} <= known


@given(_fleets(), st.sampled_from(["All", "Progressive", "ProgressivePerGroup"]), _DEADLINE)
def test_recheck_is_the_earliest_future_time(fleet, kind, deadline):
    """The next evaluation is due at the earliest soak end or deadline still ahead of now."""
    groups, statuses = fleet
    strategy = rollout.Strategy(kind, deadline, datetime.timedelta(seconds=90))
    result = rollout.evaluate(strategy, groups, statuses, NOW)
    ahead = [e.recheck_time for e in result.to_rollout if e.recheck_time and e.recheck_time > NOW]
    assert result.recheck_at == min(ahead, default=None)
    assert result.recheck_at is None or result.recheck_at > NOW


@given(st.integers(1, 12), _WINDOW, st.data())
def test_simulated_rollout_completes_one_window_at_a_time(size, window, data):
    """Driving a Progressive rollout where every cluster succeeds: bounded window, then done."""
    groups = _groups([("", 0, " ".join(str(n) for n in range(size)))])
    strategy = rollout.Strategy("Progressive", max_concurrency=window)
    limit = rollout.resolve(window, size, size)
    state: dict[str, rollout.ClusterStatus] = {}
    for _ in range(3 * size + 3):
        result = rollout.evaluate(strategy, groups, list(state.values()), NOW)
        for entry in result.to_rollout:
            state[entry.cluster] = rollout.ClusterStatus(entry.cluster, S.PROGRESSING, NOW)
        flying = sorted(c for c, s in state.items() if s.status is S.PROGRESSING)
        assert len(flying) <= limit
        for cluster in data.draw(st.lists(st.sampled_from(flying), unique=True, min_size=1)):
            state[cluster] = rollout.ClusterStatus(cluster, S.SUCCEEDED, NOW)
        if len(state) == size and all(s.status is S.SUCCEEDED for s in state.values()):
            break
    assert sorted(state) == sorted(f"cluster{n}" for n in range(size))
    assert all(s.status is S.SUCCEEDED for s in state.values())


def _condition(kind, status, generation=3, at="2022-01-01T00:00:10Z"):
    return {
        "type": kind,
        "status": status,
        "observedGeneration": generation,
        "lastTransitionTime": at,
    }


_TEN, _TWENTY = NOW + datetime.timedelta(seconds=10), NOW + datetime.timedelta(seconds=20)
_LATER = "2022-01-01T00:00:20Z"


@pytest.mark.parametrize(
    ("conditions", "status", "since"),
    [
        pytest.param([], "TO_APPLY", None, id="no conditions"),
        pytest.param([_condition("Applied", "False")], "TO_APPLY", None, id="not applied"),
        pytest.param(
            [_condition("Applied", "True", 2), _condition("Progressing", "False")],
            "TO_APPLY",
            None,
            id="Applied of an older generation",
        ),
        pytest.param([_condition("Applied", "True")], "TO_APPLY", None, id="no Progressing"),
        pytest.param(
            [_condition("Applied", "True"), _condition("Progressing", "True", 2)],
            "TO_APPLY",
            None,
            id="Progressing of an older generation",
        ),
        pytest.param(
            [
                _condition("Applied", "True"),
                _condition("Progressing", "False"),
                _condition("Degraded", "False", 2),
            ],
            "TO_APPLY",
            None,
            id="Degraded of an older generation",
        ),
        pytest.param(
            [
                _condition("Applied", "True"),
                _condition("Progressing", "True"),
                _condition("Degraded", "True", at=_LATER),
            ],
            "FAILED",
            _TWENTY,
            id="progressing and degraded is Failed since Degraded changed",
        ),
        pytest.param(
            [_condition("Applied", "True"), _condition("Progressing", "True")],
            "PROGRESSING",
            _TEN,
            id="progressing",
        ),
        pytest.param(
            [
                _condition("Applied", "True"),
                _condition("Progressing", "False"),
                _condition("Degraded", "True", at=_LATER),
            ],
            "SUCCEEDED",
            _TEN,
            id="done progressing is Succeeded even if degraded",
        ),
        pytest.param(
            [_condition("Applied", "True"), _condition("Progressing", "Unknown")],
            "PROGRESSING",
            _TEN,
            id="Progressing Unknown counts as progressing",
        ),
    ],
)
def test_work_status(conditions, status, since):
    """A work's Applied, Progressing and Degraded conditions give OCM's rollout status."""
    found = rollout.work_status("c1", conditions, 3)
    assert found == rollout.ClusterStatus("c1", S[status], since)


def test_a_failure_offsets_a_cluster_still_to_start() -> None:
    """OCM's corner, kept: one timed-out and one unstarted cluster in group 0, maxFailures 1:
    the walk subtracts the failure from what group 0 still rolls out, so group 1 starts."""
    groups = [
        rollout.DecisionGroup(rollout.GroupKey(0, "g"), frozenset({"c00", "c01"})),
        rollout.DecisionGroup(rollout.GroupKey(1, ""), frozenset({"c02"})),
    ]
    statuses = [rollout.ClusterStatus("c00", S.TIME_OUT)]
    strategy = rollout.Strategy("ProgressivePerGroup", max_failures=1)
    result = rollout.evaluate(strategy, groups, statuses, NOW)
    assert {e.cluster for e in result.to_rollout} == {"c01", "c02"}
    assert not result.max_failure_breach


@given(_fleets(), _FAILURES, _DEADLINE, st.integers(0, 120))
def test_next_group_waits_for_the_fleet_to_settle(fleet, failures, deadline, soak):
    """ProgressivePerGroup starts a later group only when nothing is in flight or soaking.

    Without failures: OCM subtracts a group's failures from what it still has to
    roll out, so a timed-out cluster lets the next group start beside a cluster
    that has not started (the corner is the case below).
    """
    groups, statuses = fleet
    assume(not any(s.status in (S.FAILED, S.TIME_OUT) for s in statuses))
    span = datetime.timedelta(seconds=soak)
    strategy = rollout.Strategy("ProgressivePerGroup", deadline, span, max_failures=failures)
    result = rollout.evaluate(strategy, groups, statuses, NOW)
    started = {s.cluster for s in statuses if s.status is not S.TO_APPLY}
    later = [e for e in result.to_rollout if e.status is S.TO_APPLY and e.group.index > 0]
    for entry in later:
        earlier = [g for g in groups if g.key.index < entry.group.index]
        assert all(g.clusters <= started for g in earlier)
        busy = [e for e in result.to_rollout if e.status in (S.PROGRESSING, S.SUCCEEDED)]
        assert busy == []
