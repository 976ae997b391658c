"""The shape of the code a reader meets: the longest functions and the largest classes.

Reads the package's source (no import): prints the N longest functions and
methods by lines, the N classes with the most attributes (names assigned on
``self`` anywhere in the class, plus class-level annotations), and the median
and 90th percentile function length. Usage, from the repository root:

    python benchmarks/codeshape.py [--top 10] [ROOT]

Run it on two checkouts to compare before and after a refactoring.
"""

from __future__ import annotations

import argparse
import ast
import statistics
from pathlib import Path


def shapes(root: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(lines, name) of every function and (attributes, name) of every class below ``root``."""
    functions: list[tuple[int, str]] = []
    classes: list[tuple[int, str]] = []
    for path in sorted(root.rglob("*.py")):
        module = path.relative_to(root.parent).with_suffix("").as_posix().replace("/", ".")
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                end = node.end_lineno or node.lineno
                functions.append((end - node.lineno + 1, f"{module}:{node.name}"))
            elif isinstance(node, ast.ClassDef):
                classes.append((len(_attributes(node)), f"{module}.{node.name}"))
    return functions, classes


def _attributes(cls: ast.ClassDef) -> set[str]:
    names = {
        item.target.id
        for item in cls.body
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
    }
    for node in ast.walk(cls):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            for leaf in ast.walk(target):
                if (
                    isinstance(leaf, ast.Attribute)
                    and isinstance(leaf.value, ast.Name)
                    and leaf.value.id == "self"
                ):
                    names.add(leaf.attr)
    return names


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="gitops_ocm")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    functions, classes = shapes(Path(args.root).resolve())
    lengths = sorted(n for n, _ in functions)
    p90 = lengths[int(len(lengths) * 0.9)]
    print(f"{len(functions)} functions: median {statistics.median(lengths)} lines, p90 {p90}")
    print("longest functions:")
    for lines, name in sorted(functions, reverse=True)[: args.top]:
        print(f"  {lines:4} {name}")
    print("largest classes (attributes):")
    for count, name in sorted(classes, reverse=True)[: args.top]:
        print(f"  {count:4} {name}")


if __name__ == "__main__":
    main()
