"""The git store exposes its own types: no public name of gitstore is typed with pygit2."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
import types
import typing
from pathlib import Path

import pygit2
import pytest
from gitkit import AUTHOR, new_bare

from gitops_ocm import errors
from gitops_ocm.gitstore import reader, refs, remote, repository, writer

PACKAGE = Path(__file__).resolve().parents[2] / "gitops_ocm"


def _modules() -> list[types.ModuleType]:
    """Every module of the gitops_ocm.gitstore package."""
    names = pkgutil.iter_modules([str(PACKAGE / "gitstore")], "gitops_ocm.gitstore.")
    return [importlib.import_module(info.name) for info in names]


def _hints(obj: object) -> dict[str, object]:
    """The evaluated annotations of a function, class or module ({} for anything else)."""
    if isinstance(obj, property):
        obj = obj.fget
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismodule(obj)):
        return {}
    return typing.get_type_hints(obj)


def _public_members(cls: type) -> dict[str, object]:
    """A class's own public attributes, methods and properties, and its constructor."""
    found = {name: value for name, value in vars(cls).items() if not name.startswith("_")}
    if "__init__" in vars(cls):
        found["__init__"] = vars(cls)["__init__"]
    return found


def pygit2_leaks(module: types.ModuleType) -> list[str]:
    """Name every public annotation, base class or value of ``module`` that involves pygit2."""
    leaks = []

    def check(where: str, obj: object) -> None:
        for name, hint in _hints(obj).items():
            if not name.startswith("_") and "pygit2" in repr(hint):
                leaks.append(f"{where}: {name} is {hint!r}")

    check(module.__name__, module)
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", module.__name__) != module.__name__:
            continue
        where = f"{module.__name__}.{name}"
        if type(value).__module__.startswith("pygit2"):
            leaks.append(f"{where} is a {type(value)!r}")
        check(where, value)
        if inspect.isclass(value):
            bases = [base for base in value.__mro__ if "pygit2" in base.__module__]
            leaks.extend(f"{where} derives from {base!r}" for base in bases[:1])
            for member, attr in _public_members(value).items():
                check(f"{where}.{member}", attr)
    return leaks


@pytest.mark.parametrize("module", _modules(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_public_names_of_gitstore_carry_no_pygit2_type(module: types.ModuleType) -> None:
    """No public function, class attribute, method, property or value of gitstore is pygit2's."""
    assert pygit2_leaks(module) == []


def test_the_check_finds_a_pygit2_annotation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above reports a public function, field and subclass typed with pygit2."""
    fake = types.ModuleType("fake")
    monkeypatch.setitem(sys.modules, "fake", fake)
    source = (
        "import dataclasses\nimport pygit2\n"
        "def opened(path: str) -> pygit2.Repository: ...\n"
        "@dataclasses.dataclass\nclass Held:\n    commit: pygit2.Commit\n"
        "class Calls(pygit2.RemoteCallbacks): ...\n"
        "def _private(repo: pygit2.Repository) -> None: ...\n"
    )
    exec(compile(source, "fake.py", "exec"), vars(fake))
    leaks = pygit2_leaks(fake)
    assert [leak.split(":")[0].split(" ")[0] for leak in leaks] == [
        "fake.opened",
        "fake.Held",
        "fake.Held.__init__",
        "fake.Calls",
    ]


def test_only_gitstore_reaches_the_wrapped_pygit2_object() -> None:
    """No module outside gitops_ocm/gitstore names the accessor ``_pygit2``."""
    outside = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "gitstore" not in path.parts and "_pygit2" in path.read_text()
    ]
    assert outside == []


def test_store_and_tip_hold_gitstore_values(tmp_path: Path) -> None:
    """A store's repo is a gitstore Repository; a tip is plain strings (tree, message, id)."""
    bare = new_bare(tmp_path)
    result = writer.publish_tree(bare, "ocm/hub", {"a": b"1"}, "hub: one", author=AUTHOR)
    store = remote.open_store(str(tmp_path / "hub.git"))
    assert isinstance(store.repo, repository.Repository)
    assert store.repo.path == bare.path == str(pygit2.Repository(bare.path).path)
    tip = refs.read_tip(store.repo, "refs/heads/ocm/hub")
    assert tip == refs.Tip("refs/heads/ocm/hub", result.commit, result.tree, "hub: one\n")


def test_open_refuses_a_folder_that_is_no_repository(tmp_path: Path) -> None:
    """Opening a plain folder is NotFound, naming the folder."""
    with pytest.raises(errors.NotFound, match="not a Git repository"):
        repository.open(tmp_path)


def test_open_from_env_follows_git_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """open_from_env opens the repository GIT_DIR names, as a hook sees it."""
    bare = new_bare(tmp_path)
    monkeypatch.setenv("GIT_DIR", bare.path)
    assert os.path.samefile(repository.open_from_env().path, bare.path)


def test_tree_id_and_read_path_take_revisions(tmp_path: Path) -> None:
    """tree_id names a commit's tree; read_path reads a file of a branch, None when absent."""
    bare = new_bare(tmp_path)
    result = writer.publish_tree(bare, "ocm/hub", {"d/a": b"1"}, "hub", author=AUTHOR)
    assert reader.tree_id(bare, result.commit) == reader.tree_id(bare, "ocm/hub") == result.tree
    assert reader.read_path(bare, "ocm/hub", "d/a") == b"1"
    assert reader.read_path(bare, result.tree, "d/b") is None
    assert reader.read_path(bare, "ocm/hub", "d") is None
