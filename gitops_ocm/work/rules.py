"""Condition rules: OCM's WellKnownConditions and CEL expressions on an applied object.

Pure. Each rule yields one manifest condition named by ``rule.condition``:

* ``WellKnownConditions`` for ``Complete``: a Job is complete when its
  ``Complete`` or ``Failed`` condition is True, a Pod when its phase is Succeeded
  or Failed (other kinds have no well-known rule and yield nothing).
* ``CEL``: the expressions (ANDed) see the object as ``object``; each must be a
  boolean. ``messageExpression`` sees ``object`` and ``result``.

Reasons are OCM's: ``ConditionRuleEvaluated`` on success,
``ConditionRuleExpressionError`` (status False) when an expression does not
compile, fails or is not boolean. Compiled expressions are cached through the
placement package's CEL compile cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import celpy
import celpy.adapter
from celpy import celtypes

from gitops_ocm.model.body import Body
from gitops_ocm.placement import cel
from gitops_ocm.work import spec

EVALUATED = "ConditionRuleEvaluated"
EXPRESSION_ERROR = "ConditionRuleExpressionError"
_PROGRAMS: dict[str, Any] = {}


def _program(text: str) -> Any:
    if text not in _PROGRAMS:
        ast, error = cel.compile_expression(text)
        if ast is None:
            raise ValueError(error)
        _PROGRAMS[text] = celpy.Environment().program(ast)
    return _PROGRAMS[text]


def _condition(rule: spec.ConditionRule, status: str, reason: str, message: str) -> Body:
    return {"type": rule.condition, "status": status, "reason": reason, "message": message}


def _well_known(rule: spec.ConditionRule, kind: str, obj: Body) -> Body | None:
    if rule.condition != "Complete":
        return None
    status = obj.get("status") or {}
    if kind == "Job":
        done = any(
            c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
            for c in status.get("conditions") or []
            if isinstance(c, dict)
        )
    elif kind == "Pod":
        done = status.get("phase") in ("Succeeded", "Failed")
    else:
        return None
    text = rule.message or (f"{kind} is finished" if done else f"{kind} is not finished")
    return _condition(rule, "True" if done else "False", EVALUATED, text)


def _cel(rule: spec.ConditionRule, obj: Body) -> Body:
    try:
        activation = {"object": celpy.adapter.json_to_cel(obj)}
        result = True
        for text in rule.cel_expressions:
            value = _program(text).evaluate(activation)
            if not isinstance(value, celtypes.BoolType):
                raise ValueError(f"expression {text!r} did not evaluate to a boolean")
            result = result and bool(value)
        message = rule.message
        if rule.message_expression:
            activation["result"] = celtypes.BoolType(result)
            message = str(_program(rule.message_expression).evaluate(activation))
    except Exception as exc:  # celpy raises several unrelated exception types
        first = str(exc).strip().splitlines()
        return _condition(rule, "False", EXPRESSION_ERROR, first[0] if first else repr(exc))
    return _condition(rule, "True" if result else "False", EVALUATED, message)


def evaluate(rules: Sequence[spec.ConditionRule], kind: str, obj: Body | None) -> list[Body]:
    """Return the conditions the rules produce for ``obj`` (none while it is absent)."""
    if obj is None:
        return []
    out: list[Body] = []
    for rule in rules:
        if not rule.condition:
            continue
        if rule.type == "WellKnownConditions":
            produced = _well_known(rule, kind, obj)
            if produced is not None:
                out.append(produced)
        elif rule.type == "CEL":
            out.append(_cel(rule, obj))
    return out
