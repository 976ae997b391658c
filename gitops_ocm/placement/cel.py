"""CEL cluster selectors (``celSelector.celExpressions``) on cel-python.

Pure. Each expression is compiled once (cached by its text). The variable
``managedCluster`` is the cluster as an unstructured map (metadata, spec,
status). Beyond CEL's standard functions we provide what OCM's environment
offers and placements commonly use: ``managedCluster.scores("<name>")`` (the
cluster's AddOnPlacementScore, empty when expired), ``parseJSON``, Kubernetes
semver (``semver``, ``isSemver``, ``isGreaterThan``, ``isLessThan``,
``compareTo``, ``major``, ``minor``, ``patch``), quantities (``quantity``,
``isQuantity``, ``asApproximateFloat``) and the common string extensions.
Gaps are listed in docs/placement.md. A compile error makes the placement
Misconfigured; an evaluation error or a non-boolean result is "no match".
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import celpy
import celpy.adapter
from celpy import celtypes

from gitops_ocm.model import quantity
from gitops_ocm.placement import inventory


@functools.cache
def _env() -> Any:
    """The CEL environment, built on first use (its grammar is slow to build)."""
    return celpy.Environment()


_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


class SemVer(celtypes.StringType):
    """A semantic version value; compared by (major, minor, patch, release before pre-release)."""

    parts: tuple[int, int, int, int, str]


class Quantity(celtypes.StringType):
    """A Kubernetes quantity value, compared by its float value."""

    number: float


@functools.lru_cache(maxsize=4096)
def compile_expression(text: str) -> tuple[Any, str | None]:
    """Return (compiled AST, None) or (None, compile error message)."""
    try:
        return _env().compile(text), None
    except Exception as exc:  # celpy raises several unrelated exception types
        first = str(exc).strip().splitlines()
        return None, f"compile CEL expression {text!r} failed: {first[0] if first else exc}"


class Evaluator:
    """Evaluates CEL expressions against clusters, with a ``scores`` table and ``now``."""

    def __init__(self, clusters: Mapping[str, inventory.ClusterInfo], now: datetime.datetime):
        self._clusters = clusters
        self._now = now
        self._programs: dict[str, Any] = {}
        self._activations: dict[str, Any] = {}
        self._functions = _functions() | {"scores": self._scores}

    def replacing(self, cluster: inventory.ClusterInfo) -> Evaluator:
        """Return an evaluator that sees ``cluster`` instead of its earlier version."""
        fresh = Evaluator({**self._clusters, cluster.name: cluster}, self._now)
        fresh._activations = {k: v for k, v in self._activations.items() if k != cluster.name}
        return fresh

    def at(self, now: datetime.datetime) -> Evaluator:
        """Return an evaluator of the same clusters at another time (cluster values kept)."""
        if now == self._now:
            return self
        fresh = Evaluator(self._clusters, now)
        fresh._activations = self._activations
        return fresh

    def matches(self, text: str, cluster: inventory.ClusterInfo) -> bool:
        """Return True only when the expression evaluates to boolean true."""
        program = self._program(text)
        if program is None:
            return False
        activation = self._activations.get(cluster.name)
        if activation is None:
            activation = {"managedCluster": celpy.adapter.json_to_cel(_plain(cluster.body))}
            self._activations[cluster.name] = activation
        try:
            result = program.evaluate(activation)
        except Exception:  # evaluation errors mean "does not match", as in OCM
            return False
        return isinstance(result, celtypes.BoolType) and bool(result)

    def _program(self, text: str) -> Any:
        if text not in self._programs:
            ast, _error = compile_expression(text)
            self._programs[text] = None if ast is None else _env().program(ast, self._functions)
        return self._programs[text]

    def _scores(self, managed: Any, name: Any) -> celtypes.ListType:
        cluster_name = str(managed.get(celtypes.StringType("metadata"), {}).get("name", ""))
        cluster = self._clusters.get(cluster_name)
        score = cluster.scores.get(str(name)) if cluster else None
        if score is None or (score.valid_until is not None and self._now > score.valid_until):
            return celtypes.ListType([])
        items = [
            {"name": key, "value": value, "quantity": value}
            for key, value in sorted(score.scores.items())
        ]
        return celtypes.ListType([celpy.adapter.json_to_cel(item) for item in items])


def _plain(value: Any) -> Any:
    """Make YAML values JSON-like (timestamps become strings) for json_to_cel."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _semver(text: Any) -> SemVer:
    match = _SEMVER.match(str(text))
    if match is None:
        raise ValueError(f"invalid semver {text!r}")
    major, minor, patch, pre = match.groups()
    value = SemVer(str(text))
    value.parts = (int(major), int(minor), int(patch), 0 if pre else 1, pre or "")
    return value


def _quantity(text: Any) -> Quantity:
    number = quantity.approximate(str(text))
    if number is None:
        raise ValueError(f"invalid quantity {text!r}")
    value = Quantity(str(text))
    value.number = number
    return value


def _key(value: Any) -> Any:
    if isinstance(value, SemVer):
        return value.parts
    if isinstance(value, Quantity):
        return value.number
    raise TypeError(f"not comparable: {value!r}")


def _compare(a: Any, b: Any) -> celtypes.IntType:
    left, right = _key(a), _key(b)
    return celtypes.IntType((left > right) - (left < right))


def _valid(parse: Callable[[Any], Any]) -> Callable[[Any], celtypes.BoolType]:
    def check(text: Any) -> celtypes.BoolType:
        try:
            parse(text)
        except ValueError:
            return celtypes.BoolType(False)
        return celtypes.BoolType(True)

    return check


def _functions() -> dict[str, Callable[..., Any]]:
    return {
        "parseJSON": lambda s: celpy.adapter.json_to_cel(json.loads(str(s))),
        "semver": _semver,
        "isSemver": _valid(_semver),
        "quantity": _quantity,
        "isQuantity": _valid(_quantity),
        "asApproximateFloat": lambda q: celtypes.DoubleType(_key(q)),
        "compareTo": _compare,
        "isGreaterThan": lambda a, b: celtypes.BoolType(_key(a) > _key(b)),
        "isLessThan": lambda a, b: celtypes.BoolType(_key(a) < _key(b)),
        "major": lambda v: celtypes.IntType(v.parts[0]),
        "minor": lambda v: celtypes.IntType(v.parts[1]),
        "patch": lambda v: celtypes.IntType(v.parts[2]),
        "lowerAscii": lambda s: celtypes.StringType(str(s).lower()),
        "upperAscii": lambda s: celtypes.StringType(str(s).upper()),
        "trim": lambda s: celtypes.StringType(str(s).strip()),
        "split": lambda s, sep: celtypes.ListType(
            [celtypes.StringType(p) for p in str(s).split(str(sep))]
        ),
        "substring": _substring,
        "indexOf": lambda s, sub: celtypes.IntType(str(s).find(str(sub))),
        "replace": lambda s, old, new: celtypes.StringType(str(s).replace(str(old), str(new))),
        "join": lambda items, sep="": celtypes.StringType(str(sep).join(str(i) for i in items)),
    }


def _substring(text: Any, start: Any, end: Any = None) -> celtypes.StringType:
    value = str(text)
    stop = len(value) if end is None else int(end)
    if not 0 <= int(start) <= stop <= len(value):
        raise ValueError("substring index out of range")
    return celtypes.StringType(value[int(start) : stop])
