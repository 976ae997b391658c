"""Kubernetes access: the Cluster interface, its two implementations and the local API server.

I/O package. ``cluster`` defines the interface the agent uses and the error classes;
``client`` reaches real clusters through the official ``kubernetes`` client (the only
module that imports it); ``memory`` is the in-process cluster over ``store``, which
``server`` also serves over the Kubernetes REST protocol on loopback (``localkube``).
"""
