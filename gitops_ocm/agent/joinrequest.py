"""The registration request an agent carries in every report: its ManagedCluster and key.

Pure. ``registration.yaml`` is the ManagedCluster OCM's registration agent
creates on the hub when it joins (``spec.hubAcceptsClient: false``: the hub
decides), with the agent's public key in two annotations: its fingerprint
(``gitops-ocm.io/agent-key``, what a person accepts on main) and its
``ssh-ed25519`` line (``gitops-ocm.io/agent-public-key``, what the controller
verifies the report's signature with). Only the public half ever appears, as
for the agent's sealing key (``gitops-ocm.io/agent-sealing-key``, its
``x25519`` line): the hub seals Secrets to it, and trusts it because the
request carrying it is signed by the key a person accepted (docs/security.md).
"""

from __future__ import annotations

from gitops_ocm.model import yamlout
from gitops_ocm.model.body import Body
from gitops_ocm.trust import keys, seal

FILE = "registration.yaml"
KEY_ANNOTATION = "gitops-ocm.io/agent-key"
PUBLIC_KEY_ANNOTATION = "gitops-ocm.io/agent-public-key"
SEALING_KEY_ANNOTATION = "gitops-ocm.io/agent-sealing-key"


def request(
    cluster: str, public_key: keys.PublicKey, sealing_key: seal.SealingKey | None = None
) -> Body:
    """The ManagedCluster ``cluster`` asks the hub to accept, with ``public_key``."""
    body: Body = {
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
    if sealing_key is not None:
        body["metadata"]["annotations"][SEALING_KEY_ANNOTATION] = sealing_key.to_line()
    return body


def files(
    cluster: str, public_key: keys.PublicKey, sealing_key: seal.SealingKey | None = None
) -> dict[str, bytes]:
    """The report file holding the request."""
    return {FILE: yamlout.dump(request(cluster, public_key, sealing_key))}
