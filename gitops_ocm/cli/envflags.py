"""Each long option can also come from the environment: `--signing-key` from GITOPS_OCM_SIGNING_KEY.

I/O shell (reads a mapping the caller passes, normally ``os.environ``). Operators
configure a container with environment variables, and a value in an environment
variable does not show in ``ps`` the way an argument does. The name is
``GITOPS_OCM_`` and the option's long name in capitals with ``-`` as ``_``. An
option given on the command line wins over the environment. A value from the
environment is parsed as the command line would parse it (its type, its
choices); a switch (``--once``) takes ``true``/``false`` (also ``1``/``0``,
``yes``/``no``). A required option that the environment gives is no longer
required on the command line. ``--help`` and ``--version`` have no variable.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping

from gitops_ocm import errors

PREFIX = "GITOPS_OCM_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")
_SKIP = ("--help", "--version")


def variable(option: str) -> str:
    """The variable of a long option: ``--signing-key`` -> ``GITOPS_OCM_SIGNING_KEY``."""
    return PREFIX + option.removeprefix("--").replace("-", "_").upper()


def apply(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """Set the defaults of ``parser`` and its subcommands from ``environ``."""
    for each in _parsers(parser):
        for action in each._actions:
            option = _long(action)
            if option is None or option in _SKIP:
                continue
            name = variable(option)
            if name not in environ:
                continue
            _set(action, name, environ[name])


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def _long(action: argparse.Action) -> str | None:
    return next((o for o in action.option_strings if o.startswith("--")), None)


def _set(action: argparse.Action, name: str, raw: str) -> None:
    """Make ``raw`` the default of ``action``, checked as the command line would check it."""
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        text = raw.strip().lower()
        if text not in _TRUE + _FALSE:
            raise errors.UsageError(f"{name} must be true or false (got {raw!r})")
        on = text in _TRUE
        action.default = on if isinstance(action, argparse._StoreTrueAction) else not on
        return
    if action.nargs == 0:
        raise errors.UsageError(f"{name}: {_long(action)} takes no value and has no variable")
    value: object = raw
    if action.type is not None and callable(action.type):
        try:
            value = action.type(raw)
        except (TypeError, ValueError, argparse.ArgumentTypeError) as exc:
            raise errors.UsageError(f"{name}: {exc} (got {raw!r})") from None
    if action.choices is not None and value not in action.choices:
        allowed = ", ".join(str(c) for c in action.choices)
        raise errors.UsageError(f"{name} must be one of {allowed} (got {raw!r})")
    if isinstance(action, argparse._AppendAction):
        value = [value]
    action.default = value
    action.required = False
