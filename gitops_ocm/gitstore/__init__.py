"""Everything that touches Git, through pygit2 (I/O shell).

Only this package imports pygit2. Library errors are translated into the classes
of :mod:`gitops_ocm.errors`, with credentials stripped from every message.
"""
