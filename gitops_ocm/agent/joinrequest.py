"""The registration request an agent carries in every report: its ManagedCluster and key.

Pure. ``registration.yaml`` is the ManagedCluster OCM's registration agent
creates on the hub when it joins (``spec.hubAcceptsClient: false``: the hub
decides), with the agent's public key in two annotations: its fingerprint
(``gitops-ocm.io/agent-key``, what a person accepts on main) and its
``ssh-ed25519`` line (``gitops-ocm.io/agent-public-key``, what the controller
verifies the report's signature with). Only the public half ever appears.
"""

from __future__ import annotations

from gitops_ocm.model import yamlout
from gitops_ocm.model.body import Body
from gitops_ocm.trust import keys

FILE = "registration.yaml"
KEY_ANNOTATION = "gitops-ocm.io/agent-key"
PUBLIC_KEY_ANNOTATION = "gitops-ocm.io/agent-public-key"


def request(cluster: str, public_key: keys.PublicKey) -> Body:
    """The ManagedCluster ``cluster`` asks the hub to accept, with ``public_key``."""
    return {
        "apiVersion": "cluster.open-cluster-management.io/v1",
        "kind": "ManagedCluster",
        "metadata": {
            "name": cluster,
            "annotations": {
                KEY_ANNOTATION: public_key.fingerprint,
                PUBLIC_KEY_ANNOTATION: keys.PublicKey(public_key.blob).to_line(),
            },
        },
        "spec": {"hubAcceptsClient": False},
    }


def files(cluster: str, public_key: keys.PublicKey) -> dict[str, bytes]:
    """The report file holding the request."""
    return {FILE: yamlout.dump(request(cluster, public_key))}
