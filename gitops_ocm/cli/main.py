"""Entry point of the ``gitops-ocm`` command: parses arguments and maps errors to exit codes.

I/O shell. Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` (a function
``(args) -> int``) as a default. Exit codes: 0 ok, 1 problems found, 2 usage,
3 runtime failure. No traceback reaches the user for an error we raise on purpose.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gitops_ocm import __version__, errors

# Subcommand modules, in the order ``--help`` lists them.
COMMANDS = (
    "validate",
    "render",
    "explain",
    "plan",
    "controller",
    "agent",
    "status",
    "hook",
    "localkube",
    "demo",
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise errors.UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """Build the full parser from every available subcommand module."""
    parser = _Parser(prog="gitops-ocm", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--version", action="version", version=f"gitops-ocm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"gitops_ocm.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"gitops_ocm.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (the tests' CLI runner)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(sys.stderr)
            return 2
        return int(handler(args))
    except errors.GitopsOcmError as exc:
        print(f"gitops-ocm: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
