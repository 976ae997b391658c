"""Meaning checks on names: DNS labels and subdomains, and OCM's 63-character labels.

Pure. Codes: M319 a name Kubernetes requires to be a DNS label or subdomain is not
one; M320 a name OCM copies into a label value (``<namespace>.<name>`` for
replicated policies and ManifestWorkReplicaSet works, a Placement's name on its
decisions, a cluster set's name) is longer than 63 characters.
"""

from __future__ import annotations

import re

from gitops_ocm import problems
from gitops_ocm.model.snapshot import Obj
from gitops_ocm.problems import Finding

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

# Kinds whose name must be a DNS label (they become namespaces or label values).
_LABEL_NAMED = {"ManagedCluster", "ManagedClusterSet", "ManagedClusterSetBinding"}
# Kinds whose name OCM puts into a label as-is.
_NAME_IN_LABEL = {"Placement": "cluster.open-cluster-management.io/placement"}
# Kinds whose `<namespace>.<name>` OCM puts into a label.
_QUALIFIED_IN_LABEL = {
    "Policy": "policy.open-cluster-management.io/root-policy",
    "ManifestWorkReplicaSet": "work.open-cluster-management.io/manifestworkreplicaset",
}


def dns_label_problem(name: str) -> str | None:
    """Return why ``name`` is not an RFC 1123 DNS label, or None."""
    if len(name) > 63:
        return "must be at most 63 characters (an RFC 1123 DNS label)"
    if not _LABEL.match(name):
        return (
            "must be an RFC 1123 DNS label: lowercase letters, digits and '-', "
            "alphanumeric at both ends"
        )
    return None


def dns_subdomain_problem(name: str) -> str | None:
    """Return why ``name`` is not an RFC 1123 DNS subdomain, or None."""
    if len(name) > 253:
        return "must be at most 253 characters (an RFC 1123 DNS subdomain)"
    if not _SUBDOMAIN.match(name):
        return "must be an RFC 1123 DNS subdomain: lowercase letters, digits, '-' and '.'"
    return None


def check(obj: Obj) -> list[Finding]:
    """Return name findings for one object of a known kind."""
    found: list[Finding] = []
    name = obj.name
    if name:
        why = dns_label_problem(name) if obj.kind in _LABEL_NAMED else dns_subdomain_problem(name)
        if why:
            found.append(Finding("M319", "/metadata/name", f"name {why}", problems.describe(name)))
    namespace = obj.namespace
    if namespace:
        why = dns_label_problem(namespace)
        if why:
            found.append(
                Finding(
                    "M319", "/metadata/namespace", f"namespace {why}", problems.describe(namespace)
                )
            )
    if not found:
        found.extend(_label_lengths(obj))
    return found


def _label_lengths(obj: Obj) -> list[Finding]:
    label = _NAME_IN_LABEL.get(obj.kind)
    if label and len(obj.name) > 63:
        return [
            Finding(
                "M320",
                "/metadata/name",
                f"OCM writes the name into label {label}, which allows 63 characters",
                f"{len(obj.name)} characters",
            )
        ]
    label = _QUALIFIED_IN_LABEL.get(obj.kind)
    qualified = f"{obj.namespace}.{obj.name}"
    if label and len(qualified) > 63:
        return [
            Finding(
                "M320",
                "/metadata/name",
                f"OCM writes '<namespace>.<name>' into label {label}, which allows 63 characters",
                f"{qualified!r}, {len(qualified)} characters",
            )
        ]
    return []
