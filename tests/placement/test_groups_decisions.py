"""Decision groups, PlacementDecision pages (<=100, OCM names and labels) and status."""

from __future__ import annotations

import datetime

import fleetkit as fk
import pytest

from gitops_ocm.placement import decisions, groups, history, placementconditions


@pytest.mark.parametrize(
    ("value", "total", "length"),
    [
        ("100%", 10, 10),
        ("25%", 10, 3),
        ("1%", 250, 3),
        (3, 10, 3),
        (0, 10, 10),
        (20, 10, 10),
        ("50%", 0, 0),
        ("33.5%", 10, 4),
    ],
    ids=[
        "all",
        "ceil-percent",
        "percent-of-total",
        "int",
        "zero-means-total",
        "over-total",
        "empty",
        "fraction",
    ],
)
def test_group_length(value, total, length):
    """Group size is computed from the total number of selected clusters."""
    assert groups.group_length(value, total) == (length, None)


def test_group_length_non_percent_string():
    """A non-percentage string is Misconfigured with OCM's message."""
    _length, problem = groups.group_length("3", 10)
    assert str(problem) == ":3 invalid type: string is not a percentage"


def test_predefined_groups_then_rest():
    """Configured groups take matching clusters first (first match wins), the rest to ''."""
    clusters = [fk.cluster(f"c{i}", {"canary": "true"} if i < 3 else {}) for i in range(8)]
    strategy = {
        "groupStrategy": {
            "clustersPerDecisionGroup": "25%",
            "decisionGroups": [
                {
                    "groupName": "canary",
                    "groupClusterSelector": {"labelSelector": {"matchLabels": {"canary": "true"}}},
                },
                {"groupName": "again", "groupClusterSelector": {"labelSelector": {}}},
            ],
        }
    }
    out = fk.run(fk.placement(decisionStrategy=strategy), clusters)
    assert [(g.name, g.clusters) for g in out.groups] == [
        ("canary", ("c0", "c1")),
        ("canary", ("c2",)),
        ("again", ("c3", "c4")),
        ("again", ("c5", "c6")),
        ("again", ("c7",)),
    ]


def test_nothing_selected_gives_one_empty_group():
    """With nothing selected there is one empty group, hence one empty PlacementDecision."""
    out = fk.run(
        fk.placement(
            predicates=[{"requiredClusterSelector": {"labelSelector": {"matchLabels": {"x": "y"}}}}]
        ),
        [fk.cluster("a")],
    )
    assert out.groups == (groups.Group("", ()),)
    assert decisions.paginate("p", out.groups) == (decisions.Page("p-decision-1", 0, "", ()),)


def test_pages_split_at_100_and_number_across_groups():
    """Pages hold at most 100 clusters and are numbered from 1 across groups."""
    grouped = (groups.Group("a", tuple(f"c{i:03}" for i in range(250))), groups.Group("", ("z",)))
    pages = decisions.paginate("web", grouped)
    assert [(p.name, p.group_index, len(p.clusters)) for p in pages] == [
        ("web-decision-1", 0, 100),
        ("web-decision-2", 0, 100),
        ("web-decision-3", 0, 50),
        ("web-decision-4", 1, 1),
    ]
    assert decisions.group_status(pages) == [
        {
            "decisionGroupIndex": 0,
            "decisionGroupName": "a",
            "decisions": ["web-decision-1", "web-decision-2", "web-decision-3"],
            "clusterCount": 250,
        },
        {
            "decisionGroupIndex": 1,
            "decisionGroupName": "",
            "decisions": ["web-decision-4"],
            "clusterCount": 1,
        },
    ]


def test_page_object_labels():
    """A PlacementDecision carries OCM's placement and group labels, clusters sorted."""
    body = decisions.to_object(
        "apps", "web", decisions.Page("web-decision-2", 1, "canary", ("b", "a"))
    )
    assert body["metadata"]["labels"] == {
        history.PLACEMENT_LABEL: "web",
        history.GROUP_INDEX_LABEL: "1",
        history.GROUP_NAME_LABEL: "canary",
    }
    assert body["status"]["decisions"] == [
        {"clusterName": "a", "reason": ""},
        {"clusterName": "b", "reason": ""},
    ]


SATISFIED = [
    ("all-scheduled", 2, 0, "True", "AllDecisionsScheduled", "All cluster decisions scheduled"),
    (
        "none-matched",
        0,
        0,
        "False",
        "NoManagedClusterMatched",
        "No ManagedCluster matches any of the cluster predicate",
    ),
    (
        "some-unscheduled",
        2,
        3,
        "False",
        "NotAllDecisionsScheduled",
        "3 cluster decisions unscheduled",
    ),
]


@pytest.mark.parametrize(
    ("selected", "unscheduled", "state", "reason", "message"),
    [c[1:] for c in SATISFIED],
    ids=[c[0] for c in SATISFIED],
)
def test_satisfied_condition(selected, unscheduled, state, reason, message):
    """PlacementSatisfied follows OCM's first-match table."""
    from gitops_ocm.placement import sets

    cond = placementconditions.satisfied(
        sets.Scope(("global",), ("global",), 1), (), selected, unscheduled
    )
    assert (cond["status"], cond["reason"], cond["message"]) == (state, reason, message)


def test_last_transition_time_kept_when_status_unchanged():
    """lastTransitionTime moves only when a condition's status changes."""
    old = {
        "conditions": [
            {
                "type": "PlacementSatisfied",
                "status": "True",
                "reason": "AllDecisionsScheduled",
                "lastTransitionTime": "2023-01-01T00:00:00Z",
            },
            {
                "type": "PlacementMisconfigured",
                "status": "False",
                "reason": "Succeedconfigured",
                "lastTransitionTime": "2023-01-01T00:00:00Z",
            },
        ]
    }
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    new = [
        placementconditions.misconfigured(None),
        {"type": "PlacementSatisfied", "status": "False", "reason": "X", "message": "m"},
    ]
    merged = placementconditions.merge(new, old, now)
    assert merged[0]["lastTransitionTime"] == "2023-01-01T00:00:00Z"
    assert merged[1]["lastTransitionTime"] == "2024-01-01T00:00:00Z"
