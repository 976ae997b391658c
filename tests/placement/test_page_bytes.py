"""The fast PlacementDecision writer gives the generic writer's bytes, and reads back the same."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gitops_ocm.model import yamlout
from gitops_ocm.placement import decisions, history

_NAMES = st.one_of(
    st.from_regex(r"[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["true", "null", "123", "1e3", "0x1f", "yes", "no", "~", "-", "on"]),
    st.text(min_size=1, max_size=12),
)


@given(
    st.lists(_NAMES, max_size=30, unique=True),
    st.integers(min_value=0, max_value=3),
    st.sampled_from(["", "canary", "true", "group 1"]),
)
def test_page_bytes_equal_generic_dump(clusters: list[str], index: int, group: str) -> None:
    page = decisions.Page("p-decision-1", index, group, tuple(clusters))
    expected = yamlout.dump(decisions.to_object("ns", "p", page))
    assert decisions.page_bytes("ns", "p", page) == expected
    body = decisions.to_object("ns", "p", page)
    assert decisions.page_entry("ns", "p", page) == history.entry_of(body)
