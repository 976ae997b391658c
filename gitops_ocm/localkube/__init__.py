"""localkube: the embedded Kubernetes API server, and the in-memory cluster over its store.

I/O package, importable only by the CLI, the demo and the tests (an import-linter
contract). ``store`` holds one cluster's state; ``server`` serves it over the
Kubernetes REST protocol on loopback; ``memory`` is the Cluster interface of
:mod:`gitops_ocm.kube.cluster` over the same store, in-process (the test double).
"""
