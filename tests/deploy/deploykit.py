"""Helpers for the deploy tests: build the Kustomize folders, check objects and RBAC rules.

``build`` runs ``kubectl kustomize`` (I/O); the rest is pure. Objects are checked
against the Kubernetes API's own types as the official ``kubernetes`` client
generates them from the OpenAPI document of Kubernetes (its ``V1...`` models):
unknown fields, wrong types and missing required fields are problems.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import models
from pydantic import ValidationError

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
WRITE = ("get", "list", "create", "update", "patch", "delete")
READ = ("get", "list")
_GENERIC = re.compile(r"^(List|Dict)\[(?:str, )?(.+)\]$")


def kustomizations() -> list[Path]:
    """Every folder under deploy/ that holds a kustomization.yaml, sorted."""
    return sorted(p.parent for p in DEPLOY.rglob("kustomization.yaml"))


def kubectl() -> str:
    """The kubectl on PATH (.ci/run installs one)."""
    found = shutil.which("kubectl")
    assert found, "kubectl is not installed (.ci/run installs Debian's kubernetes-client)"
    return found


def build(folder: Path) -> list[dict[str, Any]]:
    """The objects ``kubectl kustomize FOLDER`` prints."""
    done = subprocess.run(
        [kubectl(), "kustomize", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def model_for(obj: Mapping[str, Any]) -> Any:
    """The client's model of an object's kind: ``apps/v1`` Deployment -> V1Deployment."""
    version = str(obj["apiVersion"]).rsplit("/", 1)[-1]
    return getattr(models, f"{version.capitalize()}{obj['kind']}")


def schema_problems(obj: Mapping[str, Any]) -> list[str]:
    """Unknown fields, wrong types and missing required fields of one object."""
    model = model_for(obj)
    found = list(_unknown_fields(model.__name__, obj, str(obj["kind"])))
    try:
        model.from_dict(dict(obj))
    except ValidationError as exc:
        found.extend(f"{obj['kind']}: {error['loc']}: {error['msg']}" for error in exc.errors())
    return found


def _unknown_fields(type_name: str, value: Any, where: str) -> Iterable[str]:
    """Walk a value along the model's declared types; yield fields the type lacks."""
    generic = _GENERIC.match(type_name)
    if generic and isinstance(value, (list, dict)):
        items = value if isinstance(value, list) else list(value.values())
        for i, item in enumerate(items):
            yield from _unknown_fields(generic.group(2), item, f"{where}[{i}]")
        return
    model = getattr(models, type_name, None)
    if model is None or not isinstance(value, dict):
        return
    by_key = {key: name for name, key in model.attribute_map.items()}
    for key, item in value.items():
        if key not in by_key:
            yield f"{where}.{key}: no such field in {type_name}"
        else:
            yield from _unknown_fields(model.openapi_types[by_key[key]], item, f"{where}.{key}")


def allows(rules: Sequence[Mapping[str, Any]], group: str, resource: str, verb: str) -> bool:
    """Whether one of a ClusterRole's rules grants ``verb`` on ``group``/``resource``."""
    return any(
        group in rule.get("apiGroups", ())
        and resource in rule.get("resources", ())
        and verb in rule.get("verbs", ())
        for rule in rules
    )


def yaml_file(path: Path) -> dict[str, Any]:
    """One YAML document read from a file."""
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def contains(live: Any, wanted: Any) -> bool:
    """Whether ``live`` holds everything ``wanted`` says (the server may add defaults)."""
    if isinstance(wanted, dict):
        return isinstance(live, dict) and all(
            key in live and contains(live[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(live, list)
            and len(live) == len(wanted)
            and all(contains(a, b) for a, b in zip(live, wanted, strict=True))
        )
    return bool(live == wanted)
