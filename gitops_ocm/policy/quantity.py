"""Exact Kubernetes resource quantities ("500m", "1Gi", "1e3"), for comparing policy values.

Pure. OCM compares a template string that parses as a ``resource.Quantity`` with the
live value semantically (``1Gi`` equals ``1024Mi``). Floats would make ``0.1`` and
``100m`` unequal by rounding, so this parser returns exact fractions.
"""

from __future__ import annotations

import re
from fractions import Fraction

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<exponent>[eE][+-]?[0-9]+)|(?P<suffix>[KMGTPE]i|[numkMGTPE])?)$"
)


def parse(text: str) -> Fraction | None:
    """Return the exact value of a quantity string, or None when it is not one."""
    match = _QUANTITY.match(text)
    if match is None:
        return None
    number = Fraction(str(match["number"]))
    if match["exponent"]:
        return number * Fraction(10) ** int(str(match["exponent"])[1:])
    suffix = str(match["suffix"] or "")
    if suffix in _BINARY:
        return number * Fraction(1024) ** _BINARY[suffix]
    scale: Fraction = Fraction(10) ** _DECIMAL[suffix]
    return number * scale


def equal(left: str, right: str) -> bool:
    """Return True when both strings are quantities with the same value."""
    a, b = parse(left), parse(right)
    return a is not None and b is not None and a == b
