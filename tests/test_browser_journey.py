"""A learner's first hour in a real browser: JupyterLab started as `make lab` starts it, lesson 00 at the address
it opens, every 'Next' and 'Practice' link followed (answers in solutions/ opened too), exercise 06.1 answered
wrong and then right, on a copy of the repository in the light theme. Pictures: test-artifacts/journey/.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from journey_run import course_copy, expected_path, playwright_api, timings, walk  # noqa: F401 (fixtures)


def test_a_learner_walks_the_course(playwright_api: Any, tmp_path: Path, timings: dict[str, float]) -> None:
    """From a copy of the repository, light theme: every lesson and practice notebook opens by its links."""
    root = course_copy(tmp_path)
    visited = walk(playwright_api, root, tmp_path / "scratch", "JupyterLab Light", timings)
    lessons, practice = expected_path(root)
    assert [v for v in visited if v.startswith("notebooks/")] == lessons, "the 'Next' links skip or reorder lessons"
    assert sorted(v for v in visited if v.startswith("exercises/")) == practice, "a practice notebook is unreachable"



def test_a_dead_next_link_fails_the_walk(playwright_api: Any, tmp_path: Path, timings: dict[str, float]) -> None:
    """The walk is not blind: a lesson whose 'Next' names a missing notebook fails it, naming the link."""
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "exercises").mkdir()
    lesson = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("**Next:** [01 · gone](01_gone.ipynb).")])
    lesson.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(lesson, root / "notebooks" / "00_welcome.ipynb")
    with pytest.raises(AssertionError, match=r"dead link: 'Next:' in notebooks/00_welcome.ipynb leads to "
                                             r"notebooks/01_gone.ipynb, which the server answers with 404"):
        walk(playwright_api, root, tmp_path / "scratch", "JupyterLab Light", timings, artifacts=tmp_path / "pictures")
