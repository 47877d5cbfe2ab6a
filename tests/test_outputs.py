"""The files a grading run writes: names anyone can use, a learner -> file map, modes the group can read."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from grading_records import LAYOUT, TITLES, record
from helpers.grading import outputs, points, report


@pytest.mark.parametrize("learner, name", [
    ("-rf", "rf"),                      # never a name a shell command takes for an option
    ("--help", "help"),
    ("..", "learner"),
    (".hidden", "hidden"),
    ("c22_ñandú", "c22_ñandú"),          # letters of any script are kept as they are
    ("张伟", "张伟"),
    ("नमस्ते", "नमस्ते"),                    # combining marks too
    ("a/b\\c:d", "a_b_c_d"),
    ("tab\tand space", "tab_and_space"),
    ("x" * 300, "x" * 200),
])
def test_feedback_file_names(learner: str, name: str) -> None:
    assert report.safe_name(learner) == name


def test_no_feedback_file_starts_with_a_dash_and_names_stay_apart() -> None:
    names = outputs.feedback_names(["-a", "a", "A", "--a"])
    assert names == {"-a": "a.md", "a": "a_.md", "A": "A__.md", "--a": "a___.md"}
    assert not any(n.startswith("-") for n in names.values())


def test_json_maps_every_learner_to_their_feedback_file(tmp_path: Path) -> None:
    scheme = points.load_scheme(None, LAYOUT)
    learners = ["-x", "c22_ñandú", "张伟"]
    data = {"seed": 1, "exercises": TITLES, "learners": [points.apply(record(n, set()), scheme) for n in learners],
            "scheme": scheme.to_json(), "late": None}
    out = tmp_path / "gradebook" / "gradebook.csv"
    outputs.write(outputs.render(data, out, tmp_path / "gradebook" / "feedback"))
    mapping = json.loads(out.with_suffix(".json").read_text())["feedback"]
    assert mapping == {"-x": "feedback/x.md", "c22_ñandú": "feedback/c22_ñandú.md", "张伟": "feedback/张伟.md"}
    for learner, rel in mapping.items():
        assert f"# Feedback for {learner}" in (out.parent / rel).read_text()


@pytest.mark.parametrize("umask, mode", [(0o027, 0o640), (0o022, 0o644), (0o077, 0o600)])
def test_outputs_honour_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        assert report.current_umask() == umask
        report.atomic_write(tmp_path / "sub" / "gradebook.csv", "learner\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "sub" / "gradebook.csv").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "sub").stat().st_mode) == 0o777 & ~umask
