"""Meaning checks on ManagedClusters: the rules of OCM's ManagedCluster admission webhook.

Pure. OCM's registration webhook refuses a ManagedCluster whose name is not a
namespace name (M319, names.py) or whose ``spec.managedClusterClientConfigs``
holds a URL that is not HTTPS. Code:

* M330 a client config URL is empty, does not parse, or is not ``https``.

The webhook's other rules ask the API server who the user is (permission to
set ``hubAcceptsClient`` or the cluster-set label, a terminating namespace);
a Git commit has no such user, so they are not checked (docs/problem-codes.md).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from gitops_ocm import problems
from gitops_ocm.model.snapshot import Obj
from gitops_ocm.problems import Finding


def check(obj: Obj) -> list[Finding]:
    """Return the webhook findings of one ManagedCluster."""
    found = []
    configs = obj.spec.get("managedClusterClientConfigs")
    for i, config in enumerate(configs if isinstance(configs, list) else []):
        url = config.get("url") if isinstance(config, dict) else None
        if isinstance(url, str) and not is_https_url(url):
            found.append(
                Finding(
                    "M330",
                    f"/spec/managedClusterClientConfigs/{i}/url",
                    "a client config URL must be a valid https URL",
                    problems.describe(url),
                )
            )
    return found


def is_https_url(url: str) -> bool:
    """Return whether ``url`` is non-empty, parses, and has the scheme https (any case)."""
    if not url or any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        _port: Any = parts.port  # raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme.lower() == "https"
