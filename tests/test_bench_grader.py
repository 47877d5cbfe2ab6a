"""The grader benchmark's parts that need no grading run: the generated class and the nbgrader assignment."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import bench_grader  # noqa: E402
import nbgrader_course  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_the_nbgrader_assignment_marks_every_answer_and_every_check() -> None:
    """Each solution cell (nbgrader's own markers) is a solution cell, each check cell a 1-point test."""
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        source = nbgrader_course.source_notebook(path)
        answers = [c for c in source.cells if "### BEGIN SOLUTION" in c.source]
        tests = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert answers and all(c.metadata["nbgrader"]["solution"] for c in answers), path.name
        checked = {m for c in nbformat.read(path, as_version=4).cells
                   for m in re.findall(r'check\(\s*"(\d\d[a-z]?\.\d+)"', c.source)}
        assert len(tests) == len(checked), path.name  # one autograded test per exercise
        for cell in tests:
            assert cell.metadata["nbgrader"]["points"] == 1 and cell.source.endswith("assert result, result")
            assert re.fullmatch(r"[a-zA-Z0-9_\-]+", cell.metadata["nbgrader"]["grade_id"])  # nbgrader's schema


def test_the_generated_class_mixes_right_blank_and_wrong_answers(tmp_path: Path) -> None:
    made = bench_grader.make_class(tmp_path, 2)
    assert sorted(made) == ["learner00", "learner01"]
    assert sorted(p.name for p in (tmp_path / "learner00").iterdir()) == bench_grader.practice_names()
    sources = [c.source for nbs in made.values() for nb in nbs.values() for c in nb.cells]
    assert any("### BEGIN SOLUTION" in s for s in sources)  # some answers filled in
    assert any("NotImplementedError" in s or "= ...  #" in s for s in sources)  # some left blank


def test_a_wrong_answer_differs_from_the_solution() -> None:
    assert bench_grader.wrong("x = True") == "x = False"
    assert bench_grader.wrong("n = 3") == "n = 4"
    assert "return None" in bench_grader.wrong("def f():\n    ### END SOLUTION")


def test_a_named_nbgrader_is_used_only_when_it_exists(tmp_path: Path) -> None:
    named = tmp_path / "bin" / "nbgrader"
    assert bench_grader.find_nbgrader(str(named)) != named  # missing: PATH or nothing
    named.parent.mkdir()
    named.write_text("#!/bin/sh\n")
    assert bench_grader.find_nbgrader(str(named)) == named
