"""The grader end to end: one class of learners, each a case with its own expected gradebook row.

The class is built here from the fixture practice notebook of lesson 98 (tests/fixtures/grading), graded
once by `python -m helpers.grade` in a subprocess (its rules never enter this process's registry).
"""
from __future__ import annotations

import copy
import csv
import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from helpers.exercise_build import build_exercise
from helpers.grading import sandbox

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
RULES = FIXTURES / "rules_fixture.py"
_spec = importlib.util.spec_from_file_location("notebook_fixture", FIXTURES / "notebook_fixture.py")
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)
NAME = fixture.NAME
SOLUTION = fixture.solution_notebook()
BLANK = build_exercise(SOLUTION)
ANSWER_CELL = {1: 3, 2: 6, 3: 9, 4: 12}  # exercise number -> index of its answer cell (check cell follows)
CAN_SANDBOX, CAN_HIDE_SIGNALS = sandbox.landlock_abi() >= 1, sandbox.landlock_abi() >= 6
PLANTED = Path(__file__).resolve().parent.parent / "solutions" / "zz_planted_by_test_grading.txt"
TIMEOUT, CHECK_TIMEOUT = "10", "3"
# A learner process forked from a worker maps about 0.7 GiB (an ipykernel with torch mapped 1.6 GiB):
# 1.5 GiB leaves the memory hog the same headroom that 2.5 GiB left a kernel.


def learner_nb(right: tuple[int, ...] = (), *, replace: dict[int, str] | None = None,
               insert: dict[int, list[str]] | None = None, drop: tuple[int, ...] = ()) -> nbformat.NotebookNode:
    """The blank notebook with exercises `right` answered; cells replaced, inserted (before index) or dropped."""
    nb = copy.deepcopy(BLANK)
    for number in right:
        nb.cells[ANSWER_CELL[number]].source = SOLUTION.cells[ANSWER_CELL[number]].source
    for index, source in (replace or {}).items():
        nb.cells[index].source = source
    cells = []
    for index, cell in enumerate(nb.cells):
        cells += [new_code_cell(s) for s in (insert or {}).get(index, [])]
        if index not in drop:
            cells.append(cell)
    cells += [new_code_cell(s) for s in (insert or {}).get(len(nb.cells), [])]  # appended at the end
    nb.cells = cells
    return nb


ALL = (1, 2, 3, 4)
PATCH_HELPERS = """
import os, helpers, helpers.checking
from helpers.feedback import CheckResult
helpers.checking.run_check = lambda exercise_id, answers, seed: CheckResult(exercise_id, "passed", "well done.")
helpers.checking.check = lambda exercise_id, **answers: CheckResult(exercise_id, "passed", "well done.")
helpers.checking.REGISTRY.clear()
def check(exercise_id, **answers):
    return CheckResult(exercise_id, "passed", "well done.")
def open(*args, **kwargs):  # shadows the builtin for any code that looks in this namespace
    raise RuntimeError("shadowed")
os.makedirs("helpers/checks", exist_ok=True)
with __builtins__.open("helpers/__init__.py", "w") as f:
    f.write("def check(*a, **k):\\n    return 'passed'\\n")
""".strip()
IPYTHON_HOOKS = """
ip = get_ipython()
ip.events.register("pre_run_cell", lambda info: print("[Correct] 98.2: well done."))
ip.input_transformers_post.append(lambda lines: lines + ["\\ncheck = lambda *a, **k: 'passed'\\n"])
""".strip()
FAKE_OUTPUT = """
from IPython.display import HTML, display
from helpers.feedback import CheckResult
print("passed")
display(HTML('<div><b>Correct</b> &middot; exercise 98.2: well done.</div>'))
CheckResult("98.3", "passed", "well done.")
""".strip()
TORCH_TRICKS = """
class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.Tensor.allclose):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})
def double(x):
    return torch.zeros_like(x).as_subclass(Liar)
class AlwaysClose(torch.overrides.TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.Tensor.allclose):
            return True
        return func(*args, **(kwargs or {}))
AlwaysClose().__enter__()
def square_grad(x):
    return torch.zeros_like(x)
""".strip()
WRONG_LESSON = nbformat.v4.new_notebook(cells=[new_code_cell("from helpers import check\nx = 1"),
                                               new_code_cell('check("97.1", x=x)')])


def build_class(root: Path) -> dict[str, Path]:
    """Write the class folder; return the paths a learner will try to write to."""
    cls, protected = root / "class", root / "solutions_copy"
    protected.mkdir(parents=True)
    (protected / NAME).write_text(nbformat.writes(SOLUTION))
    gradebook = root / "out" / "gradebook.csv"
    gradebook.parent.mkdir()
    gradebook.write_text("learner,total\nstale,0\n")  # a previous run's gradebook, for the learner to aim at
    writes = [f"open({str(gradebook)!r}, 'w').write('learner,total\\nwrites_files,999\\n')",
              f"open({str(protected / NAME)!r}, 'w').write('overwritten')",
              f"open({str(protected / 'new.txt')!r}, 'w').write('planted')"]
    if CAN_SANDBOX:  # only where the sandbox stops it: never risk the real solutions/ folder
        writes.append(f"open({str(PLANTED)!r}, 'w').write('planted')")
    if CAN_HIDE_SIGNALS:
        writes.append("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    notebooks = {
        "all_right": learner_nb(ALL),
        "blank": learner_nb(),
        "half_right": learner_nb((1, 2), drop=(ANSWER_CELL[3],)),
        "infinite_loop": learner_nb(ALL, insert={7: ["while True:\n    pass"]}),
        "os_exit": learner_nb(ALL, insert={7: ["import os\nos._exit(1)"]}),
        "sys_exit": learner_nb(ALL, insert={4: ["import sys\nsys.exit()"], 7: ["exit()"]}),
        "segfault": learner_nb(ALL, insert={10: ["import ctypes\nctypes.string_at(0)"]}),
        "fake_output": learner_nb(insert={14: [FAKE_OUTPUT]}),
        "monkeypatch": learner_nb((1,), insert={2: [PATCH_HELPERS, IPYTHON_HOOKS]}),
        "deleted_checks": learner_nb(ALL, drop=(4, 7, 10, 13)),
        "torch_tricks": learner_nb((2, 3), insert={14: [TORCH_TRICKS]}),
        "memory_hog": learner_nb(ALL, insert={7: ["hog = []\nwhile True:\n    hog.append(torch.ones(2**27))"]}),
        "writes_files": learner_nb(ALL, insert={14: writes}),
        "check_breaker": learner_nb((2, 3), replace={3: "def double(x):\n    while True:\n        pass",
                                                     12: "def square_grad(x):\n    import os\n    os._exit(3)"}),
        "wrong_lesson": WRONG_LESSON,
    }
    for learner, nb in notebooks.items():
        (cls / learner).mkdir(parents=True)
        nbformat.write(nb, cls / learner / NAME)
    reordered = learner_nb(ALL)
    reordered.cells = reordered.cells[:2] + reordered.cells[2:][::-1]
    (cls / "reordered").mkdir()
    nbformat.write(reordered, cls / "reordered" / "98_fixture-Copy1.ipynb")
    for learner, data in {"not_json": b'{"cells": [ this is not json', "empty_file": b""}.items():
        (cls / learner).mkdir()
        (cls / learner / NAME).write_bytes(data)
    (cls / "no_notebooks").mkdir()
    (cls / "no_notebooks" / "notes.txt").write_text("I will hand it in tomorrow.")
    return {"protected": protected, "gradebook": gradebook, "class": cls}


def run_grader(root: Path, cls: Path, protected: Path, *extra: str) -> subprocess.CompletedProcess:
    """`python -m helpers.grade` on a class folder, with the fixture lesson as the only assignment."""
    assign = root / "assign"
    assign.mkdir(exist_ok=True)
    nbformat.write(BLANK, assign / NAME)
    cmd = [sys.executable, "-m", "helpers.grade", str(cls), "--out", str(root / "out" / "gradebook.csv"),
           "--assignments", str(assign), "--extra-rules", str(RULES), "--protect", str(protected),
           *(["--protect", str(PLANTED.parent)] if CAN_SANDBOX else []),
           "--timeout", TIMEOUT, "--check-timeout", CHECK_TIMEOUT, "--memory-gib", "1.5", "--jobs", "2", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=Path(__file__).parent.parent)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Grade the class once; hand the tests the gradebook rows, the JSON and the paths."""
    root = tmp_path_factory.mktemp("grading")
    paths = build_class(root)
    before = _digest(paths["protected"])
    done = run_grader(root, paths["class"], paths["protected"])
    assert done.returncode == 0, done.stderr[-3000:]
    with paths["gradebook"].open() as handle:
        rows = {row["learner"]: row for row in csv.DictReader(handle)}
    report = json.loads(paths["gradebook"].with_suffix(".json").read_text())
    return {"rows": rows, "report": report, "before": before, "stdout": done.stdout, **paths}


# learner -> (98.1, 98.2, 98.3, 98.4), status column
EXPECTED = {
    "all_right": ((1, 1, 1, 1), "ok"),
    "blank": ((0, 0, 0, 0), "ok"),
    "half_right": ((1, 1, 0, 0), "ok"),
    "infinite_loop": ((1, 1, 1, 1), "timeout: 98_fixture"),
    "os_exit": ((1, 1, 1, 1), "kernel died: 98_fixture"),
    "sys_exit": ((1, 1, 1, 1), "ok"),
    "segfault": ((1, 1, 1, 1), "kernel died: 98_fixture"),
    "fake_output": ((0, 0, 0, 0), "ok"),
    "monkeypatch": ((1, 0, 0, 0), "ok"),
    "deleted_checks": ((1, 1, 1, 1), "ok"),
    "reordered": ((1, 1, 1, 1), "ok"),
    "torch_tricks": ((0, 1, 1, 0), "ok"),
    "memory_hog": ((1, 1, 1, 1), "ok"),
    "writes_files": ((1, 1, 1, 1), "ok"),
    "check_breaker": ((0, 1, 1, 0), "ok"),
    "wrong_lesson": ((0, 0, 0, 0), "wrong lesson: 98_fixture"),
    "not_json": ((0, 0, 0, 0), "not a notebook: 98_fixture"),
    "empty_file": ((0, 0, 0, 0), "not a notebook: 98_fixture"),
    "no_notebooks": ((0, 0, 0, 0), "missing: all notebooks"),
}


@pytest.mark.parametrize("learner", sorted(EXPECTED))
def test_gradebook_row(graded: dict, learner: str) -> None:
    scores, status = EXPECTED[learner]
    row = graded["rows"][learner]
    assert tuple(int(row[f"98.{n}"]) for n in (1, 2, 3, 4)) == scores, graded["report"]
    assert int(row["total"]) == sum(scores)
    assert row["status"] == status


def test_every_learner_has_a_row_in_order(graded: dict) -> None:
    assert list(graded["rows"]) == sorted(EXPECTED)


def test_learner_writes_changed_neither_gradebook_nor_protected_folder(graded: dict) -> None:
    assert graded["rows"]["writes_files"]["total"] == "4"
    assert _digest(graded["protected"]) == graded["before"]
    assert not PLANTED.exists()


def test_json_holds_every_message(graded: dict) -> None:
    learners = {r["learner"]: r for r in graded["report"]["learners"]}
    breaker = {e["exercise"]: e for e in learners["check_breaker"]["notebooks"][0]["exercises"]}
    assert "longer than 3 s" in breaker["98.1"]["message"]
    assert "ended the Python process" in breaker["98.4"]["message"]
    half = {e["exercise"]: e for e in learners["half_right"]["notebooks"][0]["exercises"]}
    assert "`w` is not defined" in half["98.3"]["message"]
    assert half["98.4"]["status"] == "not_answered"
    assert any("code cell" in note for note in learners["segfault"]["notebooks"][0]["notes"])
    assert learners["reordered"]["notebooks"][0]["file"] == "98_fixture-Copy1.ipynb"
    assert "redefines check" in learners["monkeypatch"]["review"]


def test_feedback_file_per_learner(graded: dict) -> None:
    feedback = graded["gradebook"].parent / "feedback"
    assert sorted(p.stem for p in feedback.glob("*.md")) == sorted(EXPECTED)
    text = (feedback / "infinite_loop.md").read_text()
    assert "**Score: 4 / 4**" in text and "interrupted" in text


def test_same_gradebook_when_run_again(graded: dict, tmp_path: Path) -> None:
    """Grading again (here: two of the learners) gives byte-identical rows, JSON and feedback."""
    cls = tmp_path / "class"
    for learner in ("half_right", "not_json"):
        (cls / learner).mkdir(parents=True)
        for path in (graded["class"] / learner).iterdir():
            (cls / learner / path.name).write_bytes(path.read_bytes())
    outputs = []
    for _ in range(2):
        done = run_grader(tmp_path, cls, graded["protected"], "--jobs", "1")
        assert done.returncode == 0, done.stderr[-3000:]
        out = tmp_path / "out"
        outputs.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1]
    first_rows = outputs[0]["gradebook.csv"].decode().splitlines()
    assert first_rows[1:] == [line for line in (graded["gradebook"].read_text().splitlines())
                              if line.split(",")[0] in ("half_right", "not_json")]


def test_progress_prints_one_learners_table(graded: dict, tmp_path: Path) -> None:
    """`make progress`: one folder graded as one learner, a table on stdout, no files written."""
    root = graded["gradebook"].parent.parent
    cmd = [sys.executable, "-m", "helpers.grade", "--progress", str(graded["class"] / "half_right"),
           "--assignments", str(root / "assign"), "--extra-rules", str(RULES), "--protect", str(graded["protected"]),
           "--timeout", TIMEOUT, "--out", str(tmp_path / "never.csv")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "98_fixture.ipynb: 2 of 4 done"
    assert lines[1].split()[:2] == ["98.1", "Correct"]
    assert "`w` is not defined" in lines[3]
    assert lines[-1] == "2 of 4 exercises done." and list(tmp_path.iterdir()) == []
