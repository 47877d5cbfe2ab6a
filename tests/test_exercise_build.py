"""The exercise build: stubs replace solutions, exercises/ is in sync, nothing leaks."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from helpers.exercise_build import build_exercise, solution_regions, stale_exercises, strip_solutions

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_function_body_becomes_not_implemented() -> None:
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
    stub = strip_solutions(source)
    assert "return x + 1" not in stub and '    raise NotImplementedError("' in stub


def test_top_level_region_assigns_ellipsis_to_each_name() -> None:
    source = "### BEGIN SOLUTION\nw = torch.ones(2)\na, b = 1, 2\n### END SOLUTION\ncheck('01.1', w=w)"
    stub = strip_solutions(source)
    assert "w = ...  #" in stub and "a = ...  #" in stub and "b = ...  #" in stub
    assert stub.endswith("check('01.1', w=w)") and "torch.ones" not in stub


def test_unbalanced_markers_are_an_error() -> None:
    with pytest.raises(ValueError):
        strip_solutions("### BEGIN SOLUTION\nx = 1\n")
    with pytest.raises(ValueError):
        strip_solutions("x = 1\n### END SOLUTION\n")


def test_build_clears_outputs_and_counts() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="1")]
    nb.cells[0].execution_count = 3
    cell = build_exercise(nb).cells[0]
    assert cell.outputs == [] and cell.execution_count is None and "x = 1" not in cell.source


def test_every_lesson_from_01_has_a_practice_notebook() -> None:
    lessons = {p.name for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("00_")}
    assert lessons == {p.name for p in SOLUTIONS}


def test_exercises_are_in_sync_with_solutions() -> None:
    assert stale_exercises() == [], "exercises/ is out of date: run `make exercises`"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_no_solution_text_leaks_into_the_exercise(path: Path) -> None:
    solution = nbformat.read(path, as_version=4)
    exercise_text = (ROOT / "exercises" / path.name).read_text()
    regions = [r for c in solution.cells if c.cell_type == "code" for r in solution_regions(c.source)]
    assert regions, f"{path.name} has no solution regions"
    for region in regions:
        for line in region.splitlines():
            line = line.strip()
            if len(line) < 12 or line.startswith("#"):
                continue  # too short to be telling (`return y`), or a comment
            assert json.dumps(line)[1:-1] not in exercise_text, f"solution line leaks into exercises/{path.name}: {line}"
    assert "BEGIN SOLUTION" not in exercise_text and "END SOLUTION" not in exercise_text
