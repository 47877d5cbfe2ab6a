"""The same walk as test_browser_journey.py on the unzipped learner's pack, in the dark theme: every link fits
the pack (none into the solutions it leaves out). Pictures: test-artifacts/journey/.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from journey_run import expected_path, playwright_api, timings, unzipped_pack, walk  # noqa: F401 (fixtures)


def test_a_learner_walks_the_unzipped_pack(playwright_api: Any, tmp_path: Path, timings: dict[str, float]) -> None:
    """The learner's pack, dark theme: the same walk, with no link into the solutions it leaves out."""
    root = unzipped_pack(tmp_path)
    assert not (root / "solutions").exists()
    visited = walk(playwright_api, root, tmp_path / "scratch", "JupyterLab Dark", timings)
    lessons, practice = expected_path(root)
    assert [v for v in visited if v.startswith("notebooks/")] == lessons, "the 'Next' links skip or reorder lessons"
    assert sorted(v for v in visited if v.startswith("exercises/")) == practice, "a practice notebook is unreachable"
