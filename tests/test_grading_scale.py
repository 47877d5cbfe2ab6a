"""Grading runs that need real notebooks: 3 shards + merge == one run, Gradescope's run_autograder, `export`.

A small class of the fixture lesson 98 (four learners, nbgrader's layout with timestamp.txt for some),
graded with a grading file, a deadline and a late policy, so the merge is checked on every column.
"""
from __future__ import annotations

import copy
import csv
import importlib.util
import json
import os
import stat
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from helpers.exercise_build import build_exercise
from helpers.grading import gradescope, shards

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "grading"
RULES = FIXTURES / "rules_fixture.py"
_spec = importlib.util.spec_from_file_location("notebook_fixture", FIXTURES / "notebook_fixture.py")
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)
SOLUTION, NAME = fixture.solution_notebook(), fixture.NAME
BLANK = build_exercise(SOLUTION)
ANSWER_CELL = {1: 3, 2: 6, 3: 9, 4: 12}
GRADING_TOML = '[points]\n"98.2" = 2\n"98.4" = 3\n[weights]\n"98_fixture" = 1.5\n'
DUE, LATE = "2026-12-10T23:59:00+00:00", "per-day:10"
# learner -> (exercises answered, timestamp.txt or None for the file time)
LEARNERS = {"ann": ((1, 2, 3, 4), "2026-12-10 20:00:00.000001 UTC"), "bob": ((1, 2), "2026-12-12 11:59:00 UTC"),
            "-dash": ((), None), "ñandú": ((1, 3, 4), None)}


def learner_nb(right: tuple[int, ...]) -> nbformat.NotebookNode:
    nb = copy.deepcopy(BLANK)
    for number in right:
        nb.cells[ANSWER_CELL[number]].source = SOLUTION.cells[ANSWER_CELL[number]].source
    return nb


def grade(root: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "helpers.grade", *args, "--assignments", str(root / "assign"),
           "--extra-rules", str(RULES), "--protect", str(root / "protected"), "--timeout", "120",
           "--check-timeout", "30", "--memory-gib", "2.5", "--jobs", "2"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The class in nbgrader's submitted/<learner>/<assignment>/ layout, the assignment and the grading file."""
    root = tmp_path_factory.mktemp("scale")
    for folder in ("assign", "protected"):
        (root / folder).mkdir()
    nbformat.write(BLANK, root / "assign" / NAME)
    (root / "grading.toml").write_text(GRADING_TOML)
    for learner, (right, stamp) in LEARNERS.items():
        folder = root / "class" / "submitted" / learner / "ps98"
        folder.mkdir(parents=True)
        nbformat.write(learner_nb(right), folder / NAME)
        if stamp:
            (folder / "timestamp.txt").write_text(stamp + "\n")
        else:  # the file time: a day and a bit late
            os.utime(folder / NAME, (0, datetime(2026, 12, 11, 23, 59, tzinfo=timezone.utc).timestamp()))
    return root


def test_three_shards_merged_equal_one_run_byte_for_byte(klass: Path) -> None:
    options = ["--points", str(klass / "grading.toml"), "--due", DUE, "--late", LATE, "--lms", "long"]
    whole = grade(klass, str(klass / "class"), "--out", str(klass / "one" / "gradebook.csv"), *options)
    assert whole.returncode == 0, whole.stderr[-3000:]
    for k in (1, 2, 3):
        part = grade(klass, str(klass / "class"), "--out", str(klass / f"shard{k}" / "gradebook.csv"),
                     "--shard", f"{k}/3", *options)
        assert part.returncode == 0, part.stderr[-3000:]
        assert f"shard {k}/3 of a class of 4" in part.stdout
    sizes = [len(json.loads((klass / f"shard{k}" / "gradebook.json").read_text())["learners"]) for k in (1, 2, 3)]
    assert sum(sizes) == 4 and sizes == [sum(shards.shard_of(n, 3) == k for n in LEARNERS) for k in (1, 2, 3)]
    merged = subprocess.run([sys.executable, "-m", "helpers.grade", "merge",
                             *(str(klass / f"shard{k}" / "gradebook.json") for k in (3, 1, 2)),
                             "--out", str(klass / "merged" / "gradebook.csv"), "--lms", "long"],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert merged.returncode == 0, merged.stderr[-3000:]
    one, joined = tree(klass / "one"), tree(klass / "merged")
    assert sorted(one) == sorted(joined) == sorted(
        ["gradebook.csv", "gradebook.json", "grades_long.csv", "feedback/ann.md", "feedback/bob.md",
         "feedback/dash.md", "feedback/ñandú.md"])
    assert one == joined


def test_the_one_run_gradebook_has_points_lateness_and_penalties(klass: Path) -> None:
    rows = list(csv.reader((klass / "one" / "gradebook.csv").open()))
    assert rows[0] == ["learner", "98.1", "98.2", "98.3", "98.4", "98_fixture subtotal", "98_fixture days late",
                       "98_fixture late penalty", "total", "status", "review"]
    assert rows[1] == ["points possible", "1", "2", "1", "3", "10.5", "", "", "10.5", "", ""]
    by = {r[0]: r for r in rows[2:]}
    assert by["ann"][1:9] == ["1", "2", "1", "3", "10.5", "0", "0%", "10.5"]        # on time by timestamp.txt
    assert by["bob"][1:9] == ["1", "2", "0", "0", "3.6", "1.5", "20%", "3.6"]       # 4.5 x 0.8
    assert by["ñandú"][1:9] == ["1", "0", "1", "3", "6.75", "1", "10%", "6.75"]     # file time: 1 day late
    assert by["-dash"][5:9] == ["0", "1", "10%", "0"]
    report = json.loads((klass / "one" / "gradebook.json").read_text())
    assert report["feedback"]["-dash"] == "feedback/dash.md"
    bob = next(r for r in report["learners"] if r["learner"] == "bob")
    assert bob["notebooks"][0]["late"]["source"] == "timestamp.txt"
    mode = stat.S_IMODE((klass / "one" / "gradebook.csv").stat().st_mode)
    assert mode == 0o666 & ~int(os.popen("sh -c umask").read(), 8)  # what a plain open() gives, not 0600


def test_merge_refuses_a_missing_shard(klass: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "helpers.grade", "merge", str(klass / "shard1" / "gradebook.json"),
                           str(klass / "shard2" / "gradebook.json"), "--out", str(klass / "bad" / "g.csv")],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 2 and "expected shards 1..3 once each, got 1, 2" in done.stderr
    assert "Traceback" not in done.stderr and not (klass / "bad").exists()


def test_export_from_the_json_with_a_canvas_roster(klass: Path, tmp_path: Path) -> None:
    roster = tmp_path / "canvas.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,98_fixture (77)\n"
                      "    Points Possible,,,,,10.5\nAnn A,1,S1,ann,A,\nBob B,2,S2,bob@x.edu,A,\nZed Z,3,S3,zed,A,\n")
    done = subprocess.run([sys.executable, "-m", "helpers.grade", "export", str(klass / "one" / "gradebook.json"),
                           "--lms", "canvas", "--roster", str(roster), "--out", str(tmp_path / "g.csv")],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "canvas_import.csv").read_text().splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,98_fixture (77)", "    Points Possible,,,,,10.5",
        "Ann A,1,S1,ann,A,10.5", "Bob B,2,S2,bob@x.edu,A,3.6"]
    assert "-dash (in no roster row); ñandú (in no roster row)" in done.stdout
    assert "roster rows with no learner (1, left out so the LMS keeps their grades): Zed Z (zed)" in done.stdout


def test_gradescope_zip_has_its_scripts_at_the_root(tmp_path: Path) -> None:
    path = gradescope.build_zip(tmp_path / "autograder.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
    assert names[:2] == ["setup.sh", "run_autograder"] and modes["run_autograder"] == 0o755
    assert "helpers/grading/runner.py" in names and "exercises/01_requires_grad.ipynb" in names
    assert not any(n.startswith("solutions/") for n in names)
    assert gradescope.build_zip(tmp_path / "again.zip").read_bytes() == path.read_bytes()
    subprocess.run(["bash", "-n", str(gradescope.SCRIPTS / "setup.sh")], check=True)
    one = gradescope.build_zip(tmp_path / "one.zip", only=["05_indices_and_labels"])
    with zipfile.ZipFile(one) as archive:
        assert [n for n in archive.namelist() if n.startswith("exercises/")] == ["exercises/05_indices_and_labels.ipynb"]
    with pytest.raises(ValueError, match="no practice notebook named 05_indices"):
        gradescope.build_zip(tmp_path / "bad.zip", only=["05_indices"])


def test_run_autograder_writes_results_json_to_the_spec(klass: Path, tmp_path: Path) -> None:
    """Gradescope's tree under a temporary root: source/ from the zip, submission/, results/."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(gradescope.build_zip(tmp_path / "autograder.zip")) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    submission = learner_nb((1, 2))
    submission.cells[ANSWER_CELL[3]].source = "w = torch.zeros(3)"  # wrong: a message and a hint
    nbformat.write(submission, root / "submission" / NAME)
    (root / "results").mkdir()
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder"), "--assignments", str(klass / "assign"),
                           "--extra-rules", str(RULES), "--points", str(klass / "grading.toml"), "--timeout", "120",
                           "--memory-gib", "2.5", "--visibility", "after_due_date"],
                          capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 4.5  # (1 + 2) x 1.5
    assert [t["name"] for t in results["tests"]] == ["98.1 double a tensor", "98.2 the slope of x**3 at x = 2",
                                                    "98.3 a leaf that requires grad", "98.4 the gradient of sum(x**2)"]
    assert [(t["score"], t["max_score"]) for t in results["tests"]] == [(1.5, 1.5), (3, 3), (0, 1.5), (0, 4.5)]
    assert all(t["visibility"] == "after_due_date" for t in results["tests"])
    assert results["tests"][2]["output"] == ("w does not require grad (or is not a leaf).\n"
                                             "Hint: Pass requires_grad=True when you create it.")
    assert [t["status"] for t in results["tests"]] == ["passed", "passed", "failed", "failed"]
    assert sum(t["score"] for t in results["tests"]) == results["score"]


def test_run_autograder_without_a_submission_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "AUTOGRADER_ROOT": str(tmp_path), "AUTOGRADER_PYTHON": sys.executable}
    (tmp_path / "source").symlink_to(REPO)
    done = subprocess.run(["bash", str(gradescope.SCRIPTS / "run_autograder")], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 2 and "no submission folder" in done.stderr


@pytest.mark.parametrize("option, message", [
    (["--points", "BAD"], "[points] names exercises this course does not have: 99.1"),
    (["--late", "per-day:10"], "a late policy needs a due time (--due)"),
    (["--shard", "4/3"], "--shard takes K/N with 1 <= K <= N"),
])
def test_bad_options_stop_before_any_notebook_runs(klass: Path, tmp_path: Path, option: list[str], message: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[points]\n"99.1" = 2\n')
    out = tmp_path / "out" / "gradebook.csv"
    done = grade(klass, str(klass / "class"), "--out", str(out), *[str(bad) if o == "BAD" else o for o in option])
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not out.parent.exists()
