"""The smallest fleet the end-to-end tests share: clusters in the default set, one placement.

``FLEET`` binds the default cluster set into namespace ``apps`` and places on every
cluster there (tolerating unreachable and unavailable clusters, so a slow agent is
not dropped mid-test); :func:`cluster` is one accepted ManagedCluster.
"""

from __future__ import annotations

FLEET = """\
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSetBinding
metadata: {name: default, namespace: apps}
spec: {clusterSet: default}
---
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata: {name: all, namespace: apps}
spec:
  tolerations:
  - {key: cluster.open-cluster-management.io/unreachable, operator: Exists}
  - {key: cluster.open-cluster-management.io/unavailable, operator: Exists}
"""


def cluster(name: str) -> str:
    """One ManagedCluster the hub accepts."""
    return (
        "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
        f"metadata:\n  name: {name}\nspec:\n  hubAcceptsClient: true\n"
    )
