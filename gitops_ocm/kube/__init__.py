"""Kubernetes access: the Cluster interface the agent uses, and its client for real clusters.

I/O package. ``cluster`` defines the interface and the error classes; ``client``
reaches real clusters through the official ``kubernetes`` client (the only module
that imports it). The local API server and the in-memory cluster, the other
implementation of the interface, live in :mod:`gitops_ocm.localkube`.
"""
