"""The agent pass's typed failures: log lines and the ``--once`` exit code from error classes."""

from __future__ import annotations

import pytest

from gitops_ocm import errors
from gitops_ocm.agent import results
from gitops_ocm.governance import runner

WORK = results.WorkFailure("w1", 0, "manifest has no apiVersion or kind")
CLUSTER = results.ApiServerUnavailable("cannot reach the API server")
GIT = results.GitUnreachable("cannot fetch from /hub.git")
WAITING = results.Waiting("ocm/hub is not published yet")


@pytest.mark.parametrize(
    ("failures", "code"),
    [
        pytest.param((), 0, id="none"),
        pytest.param((WORK,), 1, id="manifest"),
        pytest.param((runner.PolicyFailure("p.a", "boom"),), 1, id="policy"),
        pytest.param((results.PruneFailure("w1", "ConfigMap demo/a", "no"),), 1, id="prune"),
        pytest.param((runner.TemplatePruneFailure("p.a", "t", "no"),), 1, id="template-prune"),
        pytest.param((results.InventoryFailure("", "no"),), 1, id="inventory"),
        pytest.param((WORK, CLUSTER), 3, id="cluster-unreachable"),
        pytest.param((GIT,), 3, id="git"),
        pytest.param((WAITING,), 3, id="waiting"),
    ],
)
def test_exit_code_comes_from_the_error_classes(
    failures: tuple[results.Failure, ...], code: int
) -> None:
    """The exit code is the highest exit code of the failures' error classes."""
    assert results.PassResult(failures=failures).exit_code() == code


def test_failure_kinds_name_their_error_class() -> None:
    """Each failure kind stands for a class of the error tree."""
    assert results.WorkFailure.error is errors.InvalidInput
    assert results.ApiServerUnavailable.error is errors.Transient
    assert results.GitUnreachable.error is errors.Transient
    assert results.Waiting.error is errors.Waiting


def test_line_lists_errors_then_what_held_the_report() -> None:
    """The log line counts errors (not Git, not waiting) and lists them first."""
    result = results.PassResult(failures=(GIT, WORK, CLUSTER, WAITING), works=1)
    assert result.line("c1") == (
        "agent c1: source - (git) works 1 written 0 pruned 0 deleted 0 policies 0 errors 2 "
        "report - (same, unpushed) took 0 ms"
        "\n  work w1: manifest has no apiVersion or kind"
        "\n  cluster: cannot reach the API server"
        "\n  cannot fetch from /hub.git"
        "\n  waiting: ocm/hub is not published yet"
    )
    assert result.held == (GIT, WAITING) and result.errors == (WORK, CLUSTER)
