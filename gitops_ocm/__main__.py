"""``python -m gitops_ocm``: the same as the ``gitops-ocm`` command."""

from gitops_ocm.cli.main import entry

entry()
