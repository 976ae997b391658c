"""Kubernetes resource quantities ("500m", "16Gi", "1e3"): one grammar, two readings.

Pure. A ``resource.Quantity`` is a decimal number followed by an optional
decimal exponent (``e3``), binary suffix (``Ki`` .. ``Ei``) or decimal suffix
(``n`` .. ``E``), digits ASCII as in Kubernetes. Every part of gitops-ocm that
reads one means the same thing, so :func:`parse` is the one parser; what
differs is what is done with the value:

- :meth:`Quantity.exact` is a :class:`~fractions.Fraction`: policy comparison
  (``1Gi`` equals ``1024Mi``, and ``0.1`` equals ``100m``, which floats would
  round apart) and the agent's node sums.
- :meth:`Quantity.approximate` is a float computed as the scheduler always did
  (the number times the suffix's scale), like OCM's
  ``Quantity.AsApproximateFloat64``: the ResourceAllocatable prioritizers and
  CEL's ``quantity()`` compare quantities this way.

Callers decide about surrounding whitespace: node and cluster status values
are stripped, policy values are compared as written.
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_SCALE = {
    **{suffix: 10.0**power for suffix, power in _DECIMAL.items()},
    **{suffix: 2.0**power for suffix, power in _BINARY.items()},
}
_GRAMMAR = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<exponent>[eE][+-]?[0-9]+)|(?P<suffix>[KMGTPE]i|[numkMGTPE])?)$"
)


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A parsed quantity: its number as written and its exponent or suffix."""

    number: str
    exponent: str  # "e3", "E-2", or "" when there is none
    suffix: str  # "Ki", "m", ..., or "" when there is none

    @property
    def binary(self) -> bool:
        """Whether the suffix is a binary one (``Ki`` .. ``Ei``)."""
        return self.suffix in _BINARY

    def exact(self) -> Fraction:
        """The exact value."""
        number = Fraction(self.number)
        if self.exponent:
            return number * Fraction(10) ** int(self.exponent[1:])
        if self.suffix in _BINARY:
            return number * (1 << _BINARY[self.suffix])
        scale: Fraction = Fraction(10) ** _DECIMAL[self.suffix]
        return number * scale

    def approximate(self) -> float:
        """The value as a float: the number times the suffix's scale."""
        if self.exponent:
            return float(self.number + self.exponent)
        return float(self.number) * _SCALE[self.suffix]


def parse(text: str) -> Quantity | None:
    """Return the quantity ``text`` spells, or None when it is not one."""
    match = _GRAMMAR.match(text)
    if match is None:
        return None
    return Quantity(match["number"], match["exponent"] or "", match["suffix"] or "")


def exact(text: str) -> Fraction | None:
    """Return the exact value of a quantity string, or None when it is not one."""
    parsed = parse(text)
    return None if parsed is None else parsed.exact()


def equal(left: str, right: str) -> bool:
    """Return True when both strings are quantities with the same value."""
    a, b = exact(left), exact(right)
    return a is not None and b is not None and a == b


def approximate(value: object) -> float | None:
    """Return a status value as a float (None unless a number or quantity string).

    YAML numbers are taken as they are; strings are stripped, then parsed.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    parsed = parse(value.strip())
    return None if parsed is None else parsed.approximate()
