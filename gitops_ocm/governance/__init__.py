"""Governance on the agent: replicated policies evaluated against the cluster and reported.

I/O glue around the pure :mod:`gitops_ocm.policy` core. ``liveview`` adapts the
Cluster interface to the evaluator's ``LiveView``; ``reports`` shapes the report
files (pure); ``runner`` runs one pass over a cluster's replicated policies.
"""
