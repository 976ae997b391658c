"""The command line: one ``gitops-ocm`` command with subcommands (I/O shell)."""
