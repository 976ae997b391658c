"""Entry point of the ``gitops-ocm`` command: parses arguments and maps errors to exit codes.

I/O shell. Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` (a function
``(args) -> int``) as a default. Exit codes: 0 ok, 1 problems found, 2 usage,
3 runtime failure, 141 output closed early (piped into ``head``: silent, as a
tool killed by SIGPIPE), 130 interrupted. No traceback reaches the user: an
error we raise on purpose is one line ``gitops-ocm: <message>``; an operating
system error (a folder we cannot write, a full disk) is one line too, exit 3;
anything else is a bug, reported in one line with exit 3 unless
``GITOPS_OCM_TRACEBACK=1`` asks for the traceback. Every long option can also be
given as an environment variable (:mod:`envflags`). See docs/cli.md.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from gitops_ocm import __version__, errors
from gitops_ocm.cli import envflags

# Subcommand modules, in the order ``--help`` lists them.
COMMANDS = (
    "validate",
    "render",
    "explain",
    "plan",
    "controller",
    "agent",
    "status",
    "accept",
    "seal",
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


BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool killed by it
INTERRUPTED = 130  # 128 + SIGINT
TRACEBACK = "GITOPS_OCM_TRACEBACK"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (the tests' CLI runner)."""
    try:
        parser = build_parser()
        envflags.apply(parser, os.environ)
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(sys.stderr)
            return 2
        code = int(handler(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler of BrokenPipeError
        return code
    except errors.GitopsOcmError as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    except OSError as exc:
        return _fail(describe_os_error(exc), errors.GitopsOcmError.exit_code)
    except Exception as exc:
        if os.environ.get(TRACEBACK) == "1":
            raise
        detail = f"internal error: {type(exc).__name__}: {exc}".splitlines()[0]
        return _fail(f"{detail} (set {TRACEBACK}=1 to see where)", errors.GitopsOcmError.exit_code)


def describe_os_error(exc: OSError) -> str:
    """One line for an operating system error: what failed, on which path."""
    what = exc.strerror or type(exc).__name__
    where = exc.filename if exc.filename is not None else None
    return f"{what}: {where}" if where is not None else what


def _fail(message: str, code: int) -> int:
    first, *rest = message.splitlines() or [""]
    try:
        print(f"gitops-ocm: {first}", file=sys.stderr)
        for line in rest:
            print(f"  {line}", file=sys.stderr)
        sys.stderr.flush()
    except OSError:  # stderr itself is gone: the exit code is all that is left
        pass
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
