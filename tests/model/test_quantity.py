"""Kubernetes quantities: one grammar, read exactly or approximately."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitops_ocm.model import quantity


@pytest.mark.parametrize(
    ("text", "exact", "binary"),
    [
        pytest.param("500m", Fraction(1, 2), False, id="milli"),
        pytest.param("16Gi", Fraction(16 * 2**30), True, id="gibi"),
        pytest.param("1e3", Fraction(1000), False, id="exponent"),
        pytest.param("2.5E-1", Fraction(1, 4), False, id="negative-exponent"),
        pytest.param("1.5k", Fraction(1500), False, id="kilo"),
        pytest.param(".5Ki", Fraction(512), True, id="leading-dot"),
        pytest.param("3.", Fraction(3), False, id="trailing-dot"),
        pytest.param("-2", Fraction(-2), False, id="signed"),
        pytest.param("7n", Fraction(7, 10**9), False, id="nano"),
    ],
)
def test_parse_reads_every_suffix(text: str, exact: Fraction, binary: bool) -> None:
    """Exponents, decimal and binary suffixes give the exact value and the suffix kind."""
    parsed = quantity.parse(text)
    assert parsed is not None
    assert parsed.exact() == exact
    assert parsed.binary is binary


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("Gi", id="no-number"),
        pytest.param("1.2.3", id="two-dots"),
        pytest.param("1KB", id="unknown-suffix"),
        pytest.param("1e3Ki", id="exponent-and-suffix"),
        pytest.param("\u0663", id="non-ascii-digit"),
        pytest.param(" 1Gi", id="unstripped"),
    ],
)
def test_parse_rejects_what_kubernetes_rejects(text: str) -> None:
    """Strings outside the quantity grammar parse to None."""
    assert quantity.parse(text) is None
    assert quantity.exact(text) is None


def test_exact_tells_equal_values_apart_from_rounding() -> None:
    """1Gi equals 1024Mi, and 0.1 equals 100m, which floats would not promise."""
    assert quantity.equal("1Gi", "1024Mi")
    assert quantity.equal("0.1", "100m")
    assert not quantity.equal("1G", "1Gi")
    assert not quantity.equal("1Gi", "lots")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("500m", 0.5, id="string"),
        pytest.param(" 2Ki ", 2048.0, id="stripped"),
        pytest.param(4, 4.0, id="int"),
        pytest.param(1.5, 1.5, id="float"),
        pytest.param(True, None, id="bool"),
        pytest.param(None, None, id="none"),
        pytest.param("many", None, id="not-a-quantity"),
    ],
)
def test_approximate_reads_status_values(value: object, expected: float | None) -> None:
    """Status values: numbers as they are, strings stripped and parsed, anything else None."""
    assert quantity.approximate(value) == expected


def test_approximate_is_number_times_scale() -> None:
    """The float is the number times the suffix's scale, as the scheduler always computed."""
    assert quantity.approximate("0.1Gi") == float("0.1") * 2.0**30
    assert quantity.approximate("3m") == 3.0 * 1e-3


@given(
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False),
    st.sampled_from(["", "m", "k", "M", "G", "Ki", "Mi", "Gi"]),
)
def test_readings_agree(number: object, suffix: str) -> None:
    """The approximate reading is the exact one, to float precision."""
    parsed = quantity.parse(f"{number}{suffix}")
    assert parsed is not None
    assert math.isclose(parsed.approximate(), float(parsed.exact()), rel_tol=1e-12)
