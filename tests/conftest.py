"""Shared fixtures: empty bare repositories and fleet folders (helpers live in fleetkit)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pygit2
import pytest
from repokit import write_files


@pytest.fixture
def bare_repo(tmp_path: Path) -> Path:
    """An empty bare repository whose HEAD is main."""
    path = tmp_path / "fleet.git"
    pygit2.init_repository(str(path), bare=True, initial_head="main")
    return path


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    """Return a function that writes files into a fresh fleet folder."""

    def make(files: Mapping[str, str | bytes]) -> Path:
        return write_files(tmp_path / "fleet", files)

    return make


@pytest.fixture(autouse=True)
def _state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys a command creates by default (``controller.key``) go to a temporary folder."""
    monkeypatch.setenv("GITOPS_OCM_STATE_DIR", str(tmp_path_factory.mktemp("state")))
