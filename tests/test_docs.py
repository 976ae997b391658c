"""The documentation points only at files, modules and functions that exist.

README.md, docs/*.md and benchmarks/README.md are checked: every relative link
resolves to a file or folder; every path of the package (``gitops_ocm/...``, or
``<subpackage>/<module>.py``), of the tests and of the benchmarks exists; every
dotted ``gitops_ocm.`` name imports; and every dotted name in the walk of one
commit through the code (docs/architecture.md) is a module, class or function.
"""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks/README.md"]
PACKAGE = ROOT / "gitops_ocm"
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
TOP_NAMES = {*SUBPACKAGES, *(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))}

LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
REPO_PATH = re.compile(r"(?<![\w/.-])((?:gitops_ocm|tests|benchmarks)/[\w./-]*[\w/])")
SUBPACKAGE = "|".join(SUBPACKAGES)
MODULE_PATH = re.compile(rf"(?<![\w/.-])((?:{SUBPACKAGE})/[\w/]*\w\.py)\b")
DOTTED = re.compile(r"(?<![\w.])(gitops_ocm(?:\.\w+)+)")
TOP_NAME = "|".join(sorted(TOP_NAMES))
CODE_NAME = re.compile(rf"`((?:{TOP_NAME})(?:\.\w+)+)(?:\([^`]*\))?`")
SHORT_NAME = re.compile(r"`([A-Z]\w*)\.(\w+)(?:\([^`]*\))?`")
WALK = "## One commit, from `git push` to the report in `ocm/status`"


def _moving(name: str) -> bool:
    """Return whether ``name`` is in the embedded API server's package before it moved there.

    The server is leaving ``gitops_ocm.kube`` for ``gitops_ocm.localkube``; the
    docs already name its new home, which is allowed only while the old one is
    still in place.
    """
    moved = name.replace("/", ".").startswith("gitops_ocm.localkube")
    return moved and (PACKAGE / "kube" / "server.py").is_file()


def _lookup(name: str) -> object:
    """Return what a dotted name below ``gitops_ocm`` names (modules, then attributes), or None."""
    parts = name.split(".")
    if parts[0] == "gitops_ocm":
        parts = parts[1:]
    found: object = importlib.import_module("gitops_ocm")
    module = "gitops_ocm"
    for part in parts:
        if isinstance(found, types.ModuleType):
            try:
                found = importlib.import_module(f"{module}.{part}")
                module = f"{module}.{part}"
                continue
            except ModuleNotFoundError:
                pass
        found = getattr(found, part, None)
        if found is None:
            return None
    return found


def _resolves(name: str) -> bool:
    """Return whether a dotted name below ``gitops_ocm`` is a module or an attribute of one."""
    return _lookup(name) is not None


def _classes(names: set[str]) -> dict[str, type]:
    """Return the classes that some prefix of the given dotted names resolves to, by name."""
    found: dict[str, type] = {}
    for name in names:
        parts = name.split(".")
        for end in range(2, len(parts) + 1):
            obj = _lookup(".".join(parts[:end]))
            if isinstance(obj, type):
                found[obj.__name__] = obj
    return found


def _walk(text: str) -> str:
    """Return the section of docs/architecture.md that walks one commit through the code."""
    start = text.index(WALK)
    end = text.find("\n## ", start + len(WALK))
    return text[start : end if end >= 0 else len(text)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    """Every relative link of a page names a file or folder of the repository."""
    targets = [t for t in LINK.findall(page.read_text()) if "://" not in t]
    missing = [t for t in targets if not (page.parent / t.partition("#")[0]).exists()]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_paths_exist(page: Path) -> None:
    """Every path of the package, the tests or the benchmarks that a page names exists."""
    text = page.read_text()
    named = {*REPO_PATH.findall(text), *(f"gitops_ocm/{p}" for p in MODULE_PATH.findall(text))}
    missing = sorted(p for p in named if not (ROOT / p).exists() and not _moving(p))
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dotted_module_names_import(page: Path) -> None:
    """Every ``gitops_ocm.x.y`` a page names is a module or an attribute of one."""
    named = set(DOTTED.findall(page.read_text()))
    missing = sorted(n for n in named if not _moving(n) and not _resolves(n))
    assert missing == []


def test_walk_names_real_functions() -> None:
    """The functions the architecture page walks a commit through exist under those names.

    Full names (``hub.controller.Controller.reconcile``) must import; a short
    one (``Controller._publish``) must be a method of a class a full name
    introduced.
    """
    walk = _walk((ROOT / "docs" / "architecture.md").read_text())
    named = set(CODE_NAME.findall(walk))
    assert len(named) > 30
    assert sorted(n for n in named if not _resolves(n)) == []
    classes = _classes(named)
    short = set(SHORT_NAME.findall(walk))
    assert len(short) > 20
    unknown = sorted(f"{c}.{a}" for c, a in short if not hasattr(classes.get(c), a))
    assert unknown == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gitops_ocm.hub.controller", True),
        ("hub.controller.Controller.reconcile", True),
        ("render.engine.Engine.render", True),
        ("hub.controller.Controller.no_such_step", False),
        ("gitops_ocm.no_such_module", False),
        ("status.reportProblems", False),
    ],
)
def test_resolves(name: str, expected: bool) -> None:
    """Names resolve through modules, then attributes; a misspelt part does not."""
    assert _resolves(name) is expected


# A design document, an OCM notes file and scratch paths that only the authors had.
OUTSIDE = re.compile(r"DESIGN\.md|reference §|/tmp/prof|(?<![\w.-])/work/")


@pytest.mark.parametrize(
    "path",
    [*PAGES, *sorted(PACKAGE.rglob("*.py")), *sorted((ROOT / "benchmarks").glob("*.py"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_reference_outside_the_repository(path: Path) -> None:
    """No page or docstring sends the reader to a document or script the repository lacks."""
    text = path.read_text()
    assert OUTSIDE.findall(text) == []
