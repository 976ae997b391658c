"""gitops-ocm: a GitOps engine for Kubernetes fleets on Open Cluster Management's model.

The package is split into a pure core (model, validation, placement, render,
status folding, policy evaluation) and an I/O shell (gitstore, kube, hub loop,
agent loop, cli). See docs/architecture.md.
"""

__version__ = "0.1.0"
