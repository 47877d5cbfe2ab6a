"""nbgrader beside our grader: build an nbgrader course from solutions/, hand in the same notebooks, autograde.

The assignment is made by script: a cell with `### BEGIN SOLUTION` (nbgrader's own markers) becomes a
solution cell; a check cell becomes a 1-point autograded test (`assert check(...)`, so a wrong answer
fails the cell). `nbgrader generate_assignment` makes the release; each learner's notebook is the one our
grader sees, with the release's cell metadata so that nbgrader can match the cells. nbgrader's kernel is
the course's Python (a kernelspec in a private JUPYTER_PATH), so both graders run the same code.
"""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ASSIGNMENT = "ps"
_CHECK = re.compile(r"""check\(\s*['"](\d\d[a-z]?\.\d+)['"]""")


def source_notebook(solution: Path) -> nbformat.NotebookNode:
    """A solutions/ notebook with nbgrader's cell metadata: answers are solution cells, checks are tests."""
    nb = nbformat.read(solution, as_version=4)
    for index, cell in enumerate(nb.cells):
        found = _CHECK.search(cell.source) if cell.cell_type == "code" else None
        if cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source:
            cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False,
                                         "grade_id": f"answer_{index}", "schema_version": 3}
        elif found:
            cell.source = f"result = {cell.source.strip()}\nassert result, result"
            cell.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True, "points": 1,
                                         "grade_id": "check_" + found.group(1).replace(".", "_"), "schema_version": 3}
    return nb


def build_course(course: Path, solutions: list[Path], nbgrader: Path) -> dict[str, nbformat.NotebookNode]:
    """Write the course folder, generate the release; return the released notebooks by file name."""
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    for path in solutions:
        nbformat.write(source_notebook(path), course / "source" / ASSIGNMENT / path.name)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    kernel = course / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "course", "language": "python"}))
    _nbgrader(nbgrader, course, "db", "assignment", "add", ASSIGNMENT)
    _nbgrader(nbgrader, course, "generate_assignment", ASSIGNMENT, "--force")
    return {p.name: nbformat.read(course / "release" / ASSIGNMENT / p.name, as_version=4) for p in solutions}


def hand_in(course: Path, learner: str, notebook: nbformat.NotebookNode, released: nbformat.NotebookNode,
            name: str) -> None:
    """Submit one learner's notebook (the very code our grader gets) with the release's cell metadata."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    for cell, release in zip(nb.cells, released.cells):
        if "nbgrader" in release.metadata:
            cell.metadata["nbgrader"] = release.metadata["nbgrader"]
    folder = course / "submitted" / learner / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)


def autograde(course: Path, nbgrader: Path) -> tuple[float, dict[str, int]]:
    """Wall time of `nbgrader autograde` over every submission, and each learner's score from `nbgrader export`."""
    start = time.perf_counter()
    _nbgrader(nbgrader, course, "autograde", ASSIGNMENT, "--force", "--create")
    seconds = time.perf_counter() - start
    _nbgrader(nbgrader, course, "export")
    with (course / "grades.csv").open() as handle:
        scores = {row["student_id"]: round(float(row["raw_score"])) for row in csv.DictReader(handle)}
    return seconds, scores


def _nbgrader(nbgrader: Path, course: Path, *args: str) -> None:
    env = dict(os.environ, JUPYTER_PATH=str(course / "jupyter"),
               PATH=f"{nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}")  # alembic sits beside it
    done = subprocess.run([str(nbgrader), *args], cwd=course, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stderr[-2000:]}")
