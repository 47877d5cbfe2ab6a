"""The grader's parts that need no kernel: finding files, reading notebooks, reports, sandbox plan, restore."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers.grading import allowlist, collect, prepare, report, sandbox

A01 = collect.Assignment("01_first.ipynb", "01", (("01.1", ("x",)), ("01.2", ("f",))))
A02 = collect.Assignment("02_second.ipynb", "02", (("02.1", ("y",)),))


def _touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_nbgrader_layout_finds_learners_and_nested_notebooks(tmp_path: Path) -> None:
    _touch(tmp_path / "submitted" / "bob" / "ps1" / "01_first.ipynb")
    _touch(tmp_path / "submitted" / "bob" / "ps1" / ".ipynb_checkpoints" / "01_first-checkpoint.ipynb")
    _touch(tmp_path / "submitted" / "alice" / "02_second" / "02_second.ipynb")
    learners = collect.find_learners(tmp_path)
    assert list(learners) == ["alice", "bob"]
    files = collect.notebook_files(learners["bob"])
    assert [f.relative_to(learners["bob"]).as_posix() for f in files] == ["ps1/01_first.ipynb"]


def test_files_match_by_name_then_by_lesson_number(tmp_path: Path) -> None:
    files = [_touch(tmp_path / "01_first.ipynb"), _touch(tmp_path / "02_second-Copy1.ipynb"),
             _touch(tmp_path / "notes.ipynb")]
    chosen, notes = collect.match_files(files, [A01, A02], tmp_path)
    assert chosen == {"01_first.ipynb": files[0], "02_second.ipynb": files[1]}
    assert notes == ["graded 02_second-Copy1.ipynb as 02_second.ipynb",
                     "ignored notes.ipynb (not a practice notebook of this course)"]


def test_reading_keeps_code_sources_only(tmp_path: Path) -> None:
    cell = new_code_cell("x = 1", metadata={"tags": ["raises-exception"]})
    cell.outputs = [new_output("stream", text="[Correct] 01.1: well done.")]
    nb = new_notebook(cells=[new_markdown_cell("# hi"), cell, new_code_cell("f = len")])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert collect.read_code_cells(path) == ["x = 1", "f = len"]


@pytest.mark.parametrize("data, reason", [(b"", "empty"), (b"{not json", "not a Jupyter notebook"),
                                          (b'{"a": 1}', "not a Jupyter notebook"), (b"\xff\xfe\x00", "cannot be read")])
def test_broken_files_are_not_notebooks(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(data)
    with pytest.raises(collect.NotANotebook, match=reason):
        collect.read_code_cells(path)


def test_check_ids_and_review_flags_come_from_the_code() -> None:
    code = ['check("97.1", x=x)', "def check(*a, **k):\n    return 'passed'", "import ctypes"]
    assert collect.lessons_checked(code) == {"97"}
    assert collect.review_flags(code) == ["redefines check", "process tricks"]
    assert collect.review_flags(["from helpers import check", 'check("01.1", x=x)']) == []


def _nb(name: str, status: str, passed: int = 0) -> dict:
    exercises = [{"exercise": f"{name[:2]}.{i}", "status": "passed" if i <= passed else "failed",
                  "message": "m", "hint": ""} for i in (1, 2)]
    return {"notebook": name, "status": status, "notes": [], "exercises": exercises, "file": name}


def test_status_lists_problems_worst_first() -> None:
    assert report.combined_status([_nb("01_a.ipynb", "ok"), _nb("02_b.ipynb", "ok")]) == "ok"
    mixed = [_nb("01_a.ipynb", "missing"), _nb("02_b.ipynb", "timeout"), _nb("03_c.ipynb", "missing")]
    assert report.combined_status(mixed) == "timeout: 02_b; missing: 01_a, 03_c"
    assert report.combined_status([_nb("01_a.ipynb", "missing")]) == "missing: all notebooks"


def test_gradebook_has_a_column_per_exercise_then_total_status_review() -> None:
    record = report.learner_record("ann", [_nb("01_a.ipynb", "ok", passed=1)], [], ["process tricks"])
    text = report.gradebook_csv([record], ["01.1", "01.2"])
    assert text == "learner,01.1,01.2,total,status,review\nann,1,0,1,ok,process tricks\n"


def test_atomic_write_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "gradebook.csv"
    report.atomic_write(target, "old")
    report.atomic_write(target, "new")
    assert target.read_text() == "new" and os.listdir(target.parent) == ["gradebook.csv"]


def test_feedback_file_names_are_safe() -> None:
    assert report.safe_name("../../etc/passwd") == "_.._etc_passwd"
    assert report.safe_name("ann.lee@uni.edu") == "ann.lee@uni.edu"


def test_restore_puts_protected_folders_back(tmp_path: Path) -> None:
    _touch(tmp_path / "solutions" / "a.ipynb", "right")
    snapshot = prepare.snapshot_tree([tmp_path / "solutions"])
    (tmp_path / "solutions" / "a.ipynb").write_text("overwritten")
    _touch(tmp_path / "solutions" / "planted.py", "evil")
    changed = prepare.restore_tree(snapshot, [tmp_path / "solutions"])
    assert len(changed) == 2 and os.listdir(tmp_path / "solutions") == ["a.ipynb"]
    assert (tmp_path / "solutions" / "a.ipynb").read_text() == "right"


def test_symlinked_notebooks_and_folders_are_never_followed(tmp_path: Path) -> None:
    secret = _touch(tmp_path / "solutions" / "01_first.ipynb")
    learner = tmp_path / "class" / "ann"
    _touch(learner / "02_second.ipynb")
    (learner / "01_first.ipynb").symlink_to(secret)
    (learner / "nested").symlink_to(tmp_path / "solutions", target_is_directory=True)
    (tmp_path / "class" / "bob").symlink_to(tmp_path / "solutions", target_is_directory=True)
    assert [p.name for p in collect.notebook_files(learner)] == ["02_second.ipynb"]
    assert collect.symlinks(learner) == ["01_first.ipynb", "nested"]
    assert collect.notebook_files(tmp_path / "class" / "bob") == [] and collect.symlinks(tmp_path / "class" / "bob") == ["."]
    assert "bob" in collect.find_learners(tmp_path / "class")  # a row (with a note), never its contents
    with pytest.raises(collect.NotANotebook, match="symbolic link"):
        collect.read_code_cells(learner / "01_first.ipynb")


def test_allow_list_names_the_course_package_but_not_the_checkout() -> None:
    paths = allowlist.allowed_paths()
    assert str(allowlist.HELPERS) in paths and "/usr" in paths
    assert str(allowlist.ROOT) not in paths
    assert not any(p.startswith(str(allowlist.ROOT / "solutions")) or p.startswith(str(allowlist.ROOT / ".git"))
                   for p in paths)


def test_tree_state_finds_added_changed_and_removed_files(tmp_path: Path) -> None:
    _touch(tmp_path / "a.txt", "a")
    _touch(tmp_path / "b.txt", "b")
    before = allowlist.tree_state([tmp_path])
    (tmp_path / "a.txt").write_text("changed, longer")
    (tmp_path / "b.txt").unlink()
    _touch(tmp_path / "c.txt", "new")
    changed = allowlist.changed_files(before, allowlist.tree_state([tmp_path]))
    assert changed == [str(tmp_path / n) for n in ("a.txt", "b.txt", "c.txt")]
