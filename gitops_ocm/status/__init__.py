"""Status folding: report branches and the hub tree into the ``ocm/status`` tree.

Pure package (no Git, no clock): :func:`fold.fold` is the entry point; the
controller reads the branches, calls it, and grafts the result.
"""
