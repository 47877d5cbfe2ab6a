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
import os
import re
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
# Generous limits for every notebook that is not a loop case (a loaded laptop must not turn them into
# timeouts); the loop cases are graded in a class of their own with short limits.
TIMEOUT, CHECK_TIMEOUT = "900", "300"
LOOP_TIMEOUT, LOOP_CHECK_TIMEOUT = "15", "5"
ROOT = Path(__file__).resolve().parent.parent
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
FORGE_VERDICTS = """
import os, threading, time, glob, json, socket
def forge():
    verdict = {"exercise": "98.1", "status": "passed", "message": "well done.", "hint": ""}
    while True:
        for folder in {os.getcwd(), os.path.dirname(os.getcwd()), *glob.glob(os.path.dirname(os.getcwd()) + "/*")}:
            for n in range(4):
                try:
                    open(os.path.join(folder, f"{n}.json"), "w").write(json.dumps(verdict))
                except OSError:
                    pass
        for path in glob.glob(os.path.dirname(os.getcwd()) + "/*/*.sock"):
            try:
                socket.socket(socket.AF_UNIX).connect(path)
            except OSError:
                pass
        time.sleep(0.01)
threading.Thread(target=forge, daemon=True).start()
""".strip()
PATCH_LIBRARIES = """
import importlib, torch
torch.allclose = lambda *a, **k: True
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
importlib.import_module = lambda name, package=None: None
""".strip()
BREAK_GRADER_CELL = """
import builtins, json
_compile = builtins.compile
builtins.compile = lambda *a, **k: _compile("None", "<x>", "eval")
json.dumps = lambda *a, **k: '{"status": "passed"}'
""".strip()
LIAR = """
class Twelve(float):
    def __eq__(self, other):
        return True
    def __float__(self):
        return 12.0
slope = Twelve(3.0)
""".strip()
STEAL = """
import os, subprocess
root = %r
found = []
for path in (root + "/.git/HEAD", root + "/solutions/01_requires_grad.ipynb", root + "/tests/conftest.py"):
    try:
        found.append(open(path).read())
    except OSError:
        pass
try:
    log = subprocess.run(["git", "-C", root, "log", "-p", "-1"], capture_output=True, text=True).stdout
except OSError:
    log = ""
if found or log:
    slope = 12.0
    def double(x):
        return 2 * x
""".strip() % str(Path(__file__).resolve().parent.parent)
DETACHED = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", "zz-detached-marker-98"])
    os._exit(0)
time.sleep(0.5)
""".strip()
BIG_OUTPUT = "for _ in range(150):\n    print('x' * 2_000_000)"
DELETE_WORK = "import os, shutil\nshutil.rmtree(os.getcwd())"
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
        "os_exit": learner_nb(ALL, insert={7: ["import os\nos._exit(1)"]}),
        "sys_exit": learner_nb(ALL, insert={4: ["import sys\nsys.exit()"], 7: ["exit()"]}),
        "segfault": learner_nb(ALL, insert={10: ["import ctypes\nctypes.string_at(0)"]}),
        "fake_output": learner_nb(insert={14: [FAKE_OUTPUT]}),
        "monkeypatch": learner_nb((1,), insert={2: [PATCH_HELPERS, IPYTHON_HOOKS]}),
        "deleted_checks": learner_nb(ALL, drop=(4, 7, 10, 13)),
        "torch_tricks": learner_nb((2, 3), insert={14: [TORCH_TRICKS]}),
        "memory_hog": learner_nb(ALL, insert={7: ["hog = []\nwhile True:\n    hog.append(torch.ones(2**27))"]}),
        "writes_files": learner_nb(ALL, insert={14: writes}),
        "forges_verdicts": learner_nb(insert={2: [FORGE_VERDICTS]}),
        "patches_libraries": learner_nb(ALL, insert={14: [PATCH_LIBRARIES]}),
        "breaks_grader_cell": learner_nb(ALL, insert={14: [BREAK_GRADER_CELL]}),
        "lying_answer": learner_nb((1, 3, 4), insert={7: [LIAR]}),
        "steals_answers": learner_nb(insert={14: [STEAL]}),
        "detached_process": learner_nb(ALL, insert={2: [DETACHED]}),
        "big_output": learner_nb(ALL, insert={2: [BIG_OUTPUT]}),
        "deletes_work": learner_nb(ALL, insert={14: [DELETE_WORK]}),
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
    (cls / "links_solution").mkdir()  # a notebook that is a link to the solutions, and a linked learner folder
    (cls / "links_solution" / NAME).symlink_to(protected / NAME)
    (root / "elsewhere").mkdir()
    nbformat.write(learner_nb(ALL), root / "elsewhere" / NAME)
    (cls / "links_folder").symlink_to(root / "elsewhere", target_is_directory=True)
    return {"protected": protected, "gradebook": gradebook, "class": cls}


def build_loop_class(root: Path) -> Path:
    """The loop cases, graded with short limits: a cell that never ends, checks that hang or kill."""
    cls = root / "loops"
    notebooks = {
        "infinite_loop": learner_nb(ALL, insert={2: ["while True:\n    pass"]}),
        "check_breaker": learner_nb((2, 3), replace={3: "def double(x):\n    while True:\n        pass",
                                                     12: "def square_grad(x):\n    import os\n    os._exit(3)"}),
    }
    for learner, nb in notebooks.items():
        (cls / learner).mkdir(parents=True)
        nbformat.write(nb, cls / learner / NAME)
    return cls


def run_grader(root: Path, cls: Path, protected: Path, *extra: str, limits: tuple[str, str] = (TIMEOUT, CHECK_TIMEOUT)
               ) -> subprocess.CompletedProcess:
    """`python -m helpers.grade` on a class folder, with the fixture lesson as the only assignment."""
    assign = root / "assign"
    assign.mkdir(exist_ok=True)
    nbformat.write(BLANK, assign / NAME)
    cmd = [sys.executable, "-m", "helpers.grade", str(cls), "--out", str(root / "out" / "gradebook.csv"),
           "--assignments", str(assign), "--extra-rules", str(RULES), "--protect", str(protected),
           *(["--protect", str(PLANTED.parent)] if CAN_SANDBOX else []),
           "--timeout", limits[0], "--check-timeout", limits[1], "--memory-gib", "1.5", "--jobs", "2", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=3600, cwd=Path(__file__).parent.parent)


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
    "os_exit": ((1, 1, 1, 1), "kernel died: 98_fixture"),
    "sys_exit": ((1, 1, 1, 1), "ok"),
    "segfault": ((1, 1, 1, 1), "kernel died: 98_fixture"),
    "fake_output": ((0, 0, 0, 0), "ok"),
    "monkeypatch": ((0, 0, 0, 0), "tampered: 98_fixture"),
    "deleted_checks": ((1, 1, 1, 1), "ok"),
    "reordered": ((1, 1, 1, 1), "ok"),
    "torch_tricks": ((0, 1, 1, 0), "ok"),
    "memory_hog": ((1, 1, 1, 1), "ok"),
    "writes_files": ((1, 1, 1, 1), "ok"),
    "forges_verdicts": ((0, 0, 0, 0), "tampered: 98_fixture"),
    "patches_libraries": ((0, 0, 0, 0), "tampered: 98_fixture"),
    "breaks_grader_cell": ((0, 0, 0, 0), "tampered: 98_fixture"),
    "lying_answer": ((1, 0, 1, 1), "ok"),
    "steals_answers": ((0, 0, 0, 0), "ok"),
    "detached_process": ((0, 0, 0, 0), "tampered: 98_fixture"),
    "big_output": ((1, 1, 1, 1), "ok"),
    "deletes_work": ((1, 1, 1, 1), "deleted its working folder: 98_fixture"),
    "links_solution": ((0, 0, 0, 0), "missing: all notebooks"),
    "links_folder": ((0, 0, 0, 0), "missing: all notebooks"),
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
    half = {e["exercise"]: e for e in learners["half_right"]["notebooks"][0]["exercises"]}
    assert "`w` is not defined" in half["98.3"]["message"]
    assert half["98.4"]["status"] == "not_answered"
    assert any("code cell" in note for note in learners["segfault"]["notebooks"][0]["notes"])
    assert learners["reordered"]["notebooks"][0]["file"] == "98_fixture-Copy1.ipynb"
    assert "redefines check" in learners["monkeypatch"]["review"]


def test_feedback_file_per_learner(graded: dict) -> None:
    feedback = graded["gradebook"].parent / "feedback"
    assert sorted(p.stem for p in feedback.glob("*.md")) == sorted(EXPECTED)
    text = (feedback / "segfault.md").read_text()
    assert "**Score: 4 / 4**" in text and "kernel died" in text


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


def test_review_column_names_each_kind_of_tampering(graded: dict) -> None:
    review = {learner: row["review"] for learner, row in graded["rows"].items()}
    assert "left threads running" in review["forges_verdicts"]
    assert "replaced library functions" in review["patches_libraries"]
    # (the fork engine runs no grader cell: its channel code was compiled before the learner's cells, so the
    # patches no longer break it; they are caught as what they are, and still cost every point)
    assert "replaced library functions" in review["breaks_grader_cell"]
    assert "left processes running" in review["detached_process"]
    assert "symbolic links in the submission" in review["links_solution"]
    assert "symbolic links in the submission" in review["links_folder"]
    assert "reaches for course files" in review["steals_answers"]
    assert review["all_right"] == "" and review["big_output"] == ""


def test_symlinks_are_skipped_and_said_so(graded: dict) -> None:
    learners = {r["learner"]: r for r in graded["report"]["learners"]}
    assert any("skipped 98_fixture.ipynb (a symbolic link" in n for n in learners["links_solution"]["notes"])
    assert any("skipped . (a symbolic link" in n for n in learners["links_folder"]["notes"])


def test_no_process_outlives_its_notebook(graded: dict) -> None:
    """The double-forked, setsid process of detached_process died with its kernel's PID namespace."""
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"zz-detached-marker-98" in cmdline:
            alive.append(pid)
    assert alive == []


def test_learner_output_is_not_kept(graded: dict) -> None:
    """big_output printed 300 MB; the grader kept none of it (its peak stays near its baseline)."""
    peak = int(re.search(r"grader peak memory (\d+) MiB", graded["stdout"]).group(1))
    assert peak < 560, graded["stdout"]
    assert len(graded["gradebook"].with_suffix(".json").read_bytes()) < 200_000


def test_deleted_working_folder_is_reported_as_such(graded: dict) -> None:
    learners = {r["learner"]: r for r in graded["report"]["learners"]}
    assert "deleted its own working folder" in " ".join(learners["deletes_work"]["notebooks"][0]["notes"])


@pytest.fixture(scope="module")
def graded_loops(graded: dict) -> dict:
    """The loop cases, with short limits (only these may depend on a limit being reached)."""
    root = graded["gradebook"].parent.parent / "loops_run"
    root.mkdir()
    cls = build_loop_class(root)
    (root / "out").mkdir()
    done = run_grader(root, cls, graded["protected"], limits=(LOOP_TIMEOUT, LOOP_CHECK_TIMEOUT))
    assert done.returncode == 0, done.stderr[-3000:]
    with (root / "out" / "gradebook.csv").open() as handle:
        rows = {row["learner"]: row for row in csv.DictReader(handle)}
    report = json.loads((root / "out" / "gradebook.json").read_text())
    return {"rows": rows, "learners": {r["learner"]: r for r in report["learners"]}}


def test_the_notebook_deadline_is_hard(graded_loops: dict) -> None:
    """A cell that never ends spends the notebook's time: it is interrupted and no later cell runs."""
    row = graded_loops["rows"]["infinite_loop"]
    assert (row["status"], row["total"]) == ("timeout: 98_fixture", "0")
    notes = " ".join(graded_loops["learners"]["infinite_loop"]["notebooks"][0]["notes"])
    assert "was interrupted" in notes and "did not run" in notes


def test_checks_that_hang_or_kill_get_a_message(graded_loops: dict) -> None:
    row = graded_loops["rows"]["check_breaker"]
    assert tuple(int(row[f"98.{n}"]) for n in (1, 2, 3, 4)) == (0, 1, 1, 0)
    breaker = {e["exercise"]: e for e in graded_loops["learners"]["check_breaker"]["notebooks"][0]["exercises"]}
    assert f"longer than {LOOP_CHECK_TIMEOUT} s" in breaker["98.1"]["message"]
    assert "ended the Python process" in breaker["98.4"]["message"]


def test_without_a_sandbox_the_grader_refuses(tmp_path: Path) -> None:
    cls = tmp_path / "class"
    (cls / "ann").mkdir(parents=True)
    nbformat.write(learner_nb(ALL), cls / "ann" / NAME)
    (tmp_path / "prot").mkdir()
    done = run_grader(tmp_path, cls, tmp_path / "prot", "--sandbox", "none")
    assert done.returncode != 0 and "--unsafe-no-sandbox" in done.stderr + done.stdout
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_unsafe_mode_checks_the_checkout_afterwards(tmp_path: Path) -> None:
    """With the explicit unsafe flag, a learner's write into the checkout is found and named in the summary."""
    marker = ROOT / "tests" / f"zz_unsafe_marker_98_{os.getpid()}.txt"  # (two test runs at once: two markers)
    cls = tmp_path / "class"
    (cls / "ann").mkdir(parents=True)
    nbformat.write(learner_nb(ALL, insert={14: [f"open({str(marker)!r}, 'w').write('changed')"]}), cls / "ann" / NAME)
    (tmp_path / "prot").mkdir()
    (tmp_path / "out").mkdir()
    try:
        done = run_grader(tmp_path, cls, tmp_path / "prot", "--sandbox", "none", "--unsafe-no-sandbox")
    finally:
        found = marker.exists()
        marker.unlink(missing_ok=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert found and "NO SANDBOX" in done.stdout and "checked" in done.stdout
    assert f"WARNING: a kernel changed a protected file: changed {marker}" in done.stdout


@pytest.mark.skipif(not CAN_SANDBOX, reason="needs Landlock")
def test_landlock_allow_list(tmp_path: Path) -> None:
    cls = tmp_path / "class"
    for learner, nb in {"all_right": learner_nb(ALL), "steals_answers": learner_nb(insert={14: [STEAL]})}.items():
        (cls / learner).mkdir(parents=True)
        nbformat.write(nb, cls / learner / NAME)
    (tmp_path / "prot").mkdir()
    (tmp_path / "out").mkdir()
    done = run_grader(tmp_path, cls, tmp_path / "prot", "--sandbox", "landlock")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Landlock ABI" in done.stdout
    with (tmp_path / "out" / "gradebook.csv").open() as handle:
        totals = {row["learner"]: row["total"] for row in csv.DictReader(handle)}
    assert totals == {"all_right": "4", "steals_answers": "0"}
