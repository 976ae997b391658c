"""Meaning check: policy templates (``{{hub ... hub}}`` and ``{{ ... }}``), which we do not resolve.

Pure. OCM's policy framework resolves hub templates when it replicates a
Policy and managed-cluster templates on each cluster; ``object-templates-raw``
is a Go template itself. gitops-ocm resolves neither, so such a value would be
enforced as literal text. It is refused instead. Code:

* M332 a string (or a key) inside a Policy's ``policy-templates`` holds a
  template, or a ConfigurationPolicy uses ``object-templates-raw``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gitops_ocm import problems
from gitops_ocm.model.snapshot import Obj
from gitops_ocm.problems import Finding

_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def check(obj: Obj) -> list[Finding]:
    """Return M332 for every template in a Policy's templates."""
    found = []
    for t, template in enumerate(obj.spec.get("policy-templates") or []):
        definition = template.get("objectDefinition") if isinstance(template, dict) else None
        at = f"/spec/policy-templates/{t}/objectDefinition"
        spec = definition.get("spec") if isinstance(definition, dict) else None
        if isinstance(spec, dict) and "object-templates-raw" in spec:
            found.append(
                Finding(
                    "M332",
                    f"{at}/spec/object-templates-raw",
                    "object-templates-raw is a Go template; templates are not supported, "
                    "write object-templates",
                )
            )
        for pointer, text in _templated(definition, at):
            if not pointer.endswith("/spec/object-templates-raw"):
                found.append(
                    Finding(
                        "M332",
                        pointer,
                        "policy templates ({{hub ... hub}}, {{ ... }}) are not supported; "
                        "the text would be enforced literally",
                        problems.describe(text),
                    )
                )
    return found


def _templated(node: Any, at: str) -> Iterator[tuple[str, str]]:
    """Yield (pointer, text) of every string or key below ``node`` that holds a template."""
    if isinstance(node, str):
        if _TEMPLATE.search(node):
            yield at, node
    elif isinstance(node, dict):
        for key, value in node.items():
            where = f"{at}/{problems.escape_pointer_token(str(key))}"
            if isinstance(key, str) and _TEMPLATE.search(key):
                yield where, key
            yield from _templated(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _templated(value, f"{at}/{i}")
