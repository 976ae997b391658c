"""Commit messages carry trailers that git itself parses."""

from __future__ import annotations

import subprocess

import pytest

from gitops_ocm import errors
from gitops_ocm.gitstore import message


def test_layout_summary_body_trailers() -> None:
    """Summary, blank line, body, blank line, one trailer per line."""
    text = message.format_message("hub: render\n\nthree clusters", {"Source-Commit": "abc"})
    assert text == "hub: render\n\nthree clusters\n\nSource-Commit: abc\n"


def test_git_interpret_trailers_agrees() -> None:
    """git interpret-trailers reads the trailers we write, and so does parse_trailers."""
    trailers = {"Source-Commit": "0" * 40, "Gitops-Ocm-Version": "0.1.0"}
    text = message.format_message("hub: render", trailers)
    done = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=text, capture_output=True, text=True
    )
    assert done.stdout == "".join(f"{k}: {v}\n" for k, v in trailers.items())
    assert message.parse_trailers(text) == trailers


def test_no_trailers_in_plain_message() -> None:
    """A message whose last paragraph is prose has no trailers."""
    assert message.parse_trailers("summary\n\nsome body: text\nmore prose") == {}


@pytest.mark.parametrize(
    ("msg", "trailers"), [("", {}), ("ok", {"Bad Key": "v"}), ("ok", {"K": "a\nb"})]
)
def test_bad_input_rejected(msg: str, trailers: dict[str, str]) -> None:
    """An empty summary, a key with spaces or a multi-line value is invalid input."""
    with pytest.raises(errors.InvalidInput):
        message.format_message(msg, trailers)
