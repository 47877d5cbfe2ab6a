"""Build `exercises/` from `solutions/`: solution regions become stubs, outputs are cleared.

Solution code sits between `### BEGIN SOLUTION` and `### END SOLUTION` (nbgrader's markers).
Inside a function body the stub raises NotImplementedError; at the top level it assigns `...`
to each name the solution defined, so an unanswered notebook still runs top to bottom.
"""
from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
import textwrap
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
ROOT = Path(__file__).resolve().parent.parent


def _assigned_names(code: str) -> list[str]:
    """Names a top-level solution region binds, in order (for `name = ...` stubs)."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets = [ast.Name(id=node.name)]
        for target in targets:
            for sub in ast.walk(target) if target is not None else []:
                if isinstance(sub, ast.Name) and sub.id not in names:
                    names.append(sub.id)
    return names


def _stub(region: list[str], indent: str) -> list[str]:
    if indent:
        return [f"{indent}# YOUR CODE HERE", f'{indent}raise NotImplementedError("replace this line with your answer")']
    names = _assigned_names("\n".join(region))
    return ["# YOUR CODE HERE"] + [f"{name} = ...  # replace ... with your answer" for name in names]


def strip_solutions(source: str) -> str:
    """Replace every solution region in one cell's source with its stub."""
    out: list[str] = []
    region: list[str] | None = None
    indent = ""
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped == BEGIN:
            if region is not None:
                raise ValueError("a solution region opens inside another")
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif stripped == END:
            if region is None:
                raise ValueError("END SOLUTION without BEGIN SOLUTION")
            out.extend(_stub(region, indent))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise ValueError("BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def solution_regions(source: str) -> list[str]:
    """The text of every solution region in a cell's source (for leak tests)."""
    return [m.group(1) for m in re.finditer(rf"{re.escape(BEGIN)}\n(.*?){re.escape(END)}", source, re.S)]


def build_exercise(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A learner's copy of a solution notebook: stubs in, outputs and counts out."""
    nb = copy.deepcopy(solution)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return nb


def build_all(solutions: Path = ROOT / "solutions", exercises: Path = ROOT / "exercises") -> list[Path]:
    """Write every exercise notebook from its solution; return the paths written."""
    exercises.mkdir(exist_ok=True)
    written = []
    for path in sorted(solutions.glob("*.ipynb")):
        target = exercises / path.name
        nbformat.write(build_exercise(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


def stale_exercises(solutions: Path = ROOT / "solutions", exercises: Path = ROOT / "exercises") -> list[str]:
    """Names of exercise notebooks that differ from a fresh build (missing, extra or changed)."""
    stale = []
    wanted = {p.name for p in solutions.glob("*.ipynb")}
    for name in sorted(wanted | {p.name for p in exercises.glob("*.ipynb")}):
        if name not in wanted or not (exercises / name).exists():
            stale.append(name)
            continue
        fresh = build_exercise(nbformat.read(solutions / name, as_version=4))
        if fresh != nbformat.read(exercises / name, as_version=4):
            stale.append(name)
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command line: build the exercises, or with --check report stale ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if exercises/ is out of date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_exercises()
        for name in stale:
            print(f"out of date: exercises/{name} (run `make exercises`)")
        return 1 if stale else 0
    for path in build_all():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
