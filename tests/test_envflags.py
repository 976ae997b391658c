"""Every long option from a GITOPS_OCM_* environment variable; the command line wins."""

from __future__ import annotations

import argparse

import pytest

from gitops_ocm import errors
from gitops_ocm.cli import envflags, main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    one = sub.add_parser("run")
    one.add_argument("--repo", required=True)
    one.add_argument("--interval", type=float, default=10.0)
    one.add_argument("--once", action="store_true")
    one.add_argument("--output", choices=("text", "json"), default="text")
    one.add_argument("--signing-key")
    return parser


def test_variable_names() -> None:
    """The name is GITOPS_OCM_ and the long option in capitals, '-' as '_'."""
    assert envflags.variable("--signing-key") == "GITOPS_OCM_SIGNING_KEY"
    assert envflags.variable("--repo") == "GITOPS_OCM_REPO"


def test_environment_gives_defaults_and_the_command_line_wins() -> None:
    """Values are typed as on the command line; a required option is satisfied; argv wins."""
    parser = _parser()
    environ = {
        "GITOPS_OCM_REPO": "git://hub/fleet.git",
        "GITOPS_OCM_INTERVAL": "2.5",
        "GITOPS_OCM_ONCE": "true",
        "GITOPS_OCM_SIGNING_KEY": "/var/lib/key",
    }
    envflags.apply(parser, environ)
    args = parser.parse_args(["run"])
    assert (args.repo, args.interval, args.once, args.signing_key) == (
        "git://hub/fleet.git",
        2.5,
        True,
        "/var/lib/key",
    )
    again = parser.parse_args(["run", "--repo", "other", "--interval", "1"])
    assert (again.repo, again.interval) == ("other", 1.0)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("GITOPS_OCM_INTERVAL", "soon", "GITOPS_OCM_INTERVAL"),
        ("GITOPS_OCM_OUTPUT", "yaml", "must be one of text, json"),
        ("GITOPS_OCM_ONCE", "maybe", "must be true or false"),
    ],
)
def test_bad_values_are_usage_errors(name: str, value: str, says: str) -> None:
    """A value the command line would refuse is a usage error naming the variable."""
    with pytest.raises(errors.UsageError, match=says):
        envflags.apply(_parser(), {name: value})


def test_the_real_command_line_reads_them(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """gitops-ocm validate takes --output from GITOPS_OCM_OUTPUT; a bad one exits 2."""
    monkeypatch.setenv("GITOPS_OCM_OUTPUT", "json")
    assert main.main(["validate", "examples/repo"]) == 0
    assert capsys.readouterr().out.lstrip().startswith("{")
    monkeypatch.setenv("GITOPS_OCM_OUTPUT", "yaml")
    assert main.main(["validate", "examples/repo"]) == 2
    assert "GITOPS_OCM_OUTPUT" in capsys.readouterr().err
