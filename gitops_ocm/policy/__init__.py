"""ConfigurationPolicy evaluation, the pure core of gitops-ocm's governance support.

Pure: no I/O, no clock, no randomness. ``match`` is OCM's merge/compare algorithm,
``objects`` applies it to one object, ``namespaces`` selects namespaces,
``evaluate`` turns a ConfigurationPolicy and a ``live.LiveView`` into an
``Evaluation``, ``prune`` plans pruneObjectBehavior deletions, ``dependencies``
gates templates on other policies, and ``status`` does the status rollups.
"""
