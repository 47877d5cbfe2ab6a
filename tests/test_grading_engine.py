"""The grading engine: a worker (fork server) grades notebook after notebook, each from the same clean state.

The guarantee under test: nothing one notebook does (globals, monkeypatches, files, threads, processes,
RNG state) reaches the next notebook graded by the same worker, so every notebook grades exactly as it
does alone on a fresh worker. And the learner's cells run as in JupyterLab (magics, display, inline
figures) with per-cell and hard per-notebook time limits.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers.grading import isolate, pool, prepare
from helpers.grading.runner import Settings

RULES = Path(__file__).parent / "fixtures" / "grading" / "rules_fixture.py"
EXERCISES = [["98.1", ["double"]], ["98.2", ["slope"]], ["98.3", ["w"]], ["98.4", ["square_grad"]]]
SETUP = "import torch\nfrom helpers import check\n_ = torch.manual_seed(0)"

LEAVE_BEHIND = """
import builtins, os, random, subprocess, sys, tempfile, threading, time
import torch, helpers
torch.allclose = lambda *a, **k: True
torch.Tensor.__eq__ = lambda self, other: True
torch.set_default_dtype(torch.float64)
torch.set_grad_enabled(False)
torch.manual_seed(999); torch.rand(100); random.seed(5); random.random()
os.environ["LEAKED"] = "1"
builtins.leaked = True
helpers.check = lambda *a, **k: "passed"
sys.modules["helpers.checking"].REGISTRY.clear()
open("left_behind.txt", "w").write("x")
open(os.path.join(tempfile.gettempdir(), "left_in_tmp.txt"), "w").write("x")
def scribble():
    while True:
        with open("scribble.txt", "a") as f:
            f.write("x")
        time.sleep(0.01)
threading.Thread(target=scribble).start()
subprocess.Popen(["sleep", "4242"], start_new_session=True)
if os.fork() == 0:  # double fork and a new session: the classic way to outlive a parent
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "4243"])
    os._exit(0)
slope = 12.0
""".strip()

# Runs first (before the seed), so the random draws show the state the worker handed over.
PROBE = """
import builtins, hashlib, os, random, tempfile, threading, torch, helpers
seen = {"threads": threading.active_count(), "cwd": sorted(os.listdir(".")),
        "tmp": sorted(os.listdir(tempfile.gettempdir())),
        "allclose": torch.allclose(torch.zeros(1), torch.ones(1)),
        "eq": bool((torch.zeros(1) == torch.ones(1)).all()), "dtype": str(torch.get_default_dtype()),
        "grad": torch.is_grad_enabled(), "env": os.environ.get("LEAKED"), "builtins": hasattr(builtins, "leaked"),
        "helpers": helpers.check.__module__, "torch_rng": torch.rand(3).tolist(), "random": random.random()}
clean = (seen["threads"] == 1 and seen["cwd"] == ["tmp"] and seen["tmp"] == [] and not seen["allclose"]
         and not seen["eq"] and seen["dtype"] == "torch.float32" and seen["grad"] and seen["env"] is None
         and not seen["builtins"] and seen["helpers"] == "helpers.checking")
w = torch.zeros(3, requires_grad=True) if clean else None
slope = float(int(hashlib.sha256(repr(sorted(seen.items())).encode()).hexdigest()[:8], 16))  # in the message
""".strip()
DOUBLE = "def double(x):\n    return 2 * x"


def job(sources: list[str], timeout: float = 60) -> dict:
    """One notebook for a worker, as runner.run_notebook_flags sends it."""
    return {"sources": sources, "skip": [], "exercises": EXERCISES, "timeout": timeout, "check_timeout": 30}


@pytest.fixture(scope="module")
def start_worker(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A factory of workers set up as `python -m helpers.grade` sets them up; all stopped at the end."""
    workroot = tmp_path_factory.mktemp("engine")
    read_roots, _ = prepare.sandbox_plan("auto")
    settings = Settings(timeout=60, check_timeout=30, seed=1, memory=4 * 2**30,
                        extra=[[str(RULES), RULES.read_text()]], workroot=workroot, read_roots=read_roots)
    log = open(workroot / "workers.log", "wb")
    started = []

    def start() -> pool.Worker:
        started.append(pool.Worker(pool.worker_env(1, workroot), log, settings.for_worker()))
        return started[-1]

    yield start
    for worker in started:
        worker.close()
    log.close()


@pytest.fixture(scope="module")
def one_worker(start_worker) -> pool.Worker:  # noqa: ANN001
    """One worker shared by the tests below (each notebook starts from its clean state anyway)."""
    return start_worker()


def _sleepers() -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd[:1] == [b"sleep"] and cmd[1:2] in ([b"4242"], [b"4243"]):
            found.append(pid)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the engine forks; Linux")
def test_a_notebook_leaves_nothing_behind_for_the_next(start_worker) -> None:  # noqa: ANN001
    """Same worker: probe, hostile notebook, probe; each grades as it does alone on a fresh worker."""
    probe, hostile = job([PROBE, SETUP, DOUBLE]), job([SETUP, LEAVE_BEHIND])
    shared = start_worker()
    before = shared.run(probe)
    attacked = shared.run(hostile)
    assert not _sleepers(), "a process the hostile notebook detached outlived it"
    after = shared.run(probe)
    fresh = start_worker()
    alone = fresh.run(probe)
    hostile_alone = fresh.run(hostile)
    assert before["results"] == after["results"] == alone["results"]
    assert attacked["results"] == hostile_alone["results"]
    statuses = {i: r["status"] for i, r in after["results"].items()}
    assert statuses == {"98.1": "passed", "98.2": "failed", "98.3": "passed", "98.4": "not_answered"}, after
    assert "your slope is" in after["results"]["98.2"]["message"]  # the probe's fingerprint, compared above
    hostile_statuses = {i: r["status"] for i, r in attacked["results"].items()}
    assert hostile_statuses == {"98.1": "not_answered", "98.2": "passed", "98.3": "not_answered",
                                "98.4": "not_answered"}, attacked


def test_magics_display_and_inline_figures_work(one_worker: pool.Worker) -> None:
    """What a practice notebook may do in JupyterLab: magics, shell escapes, display, %matplotlib inline."""
    cells = [SETUP, "%matplotlib inline\nimport matplotlib.pyplot as plt",
             "from IPython.display import HTML, display\ndisplay(HTML('<b>hi</b>'))",
             "fig, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\nplt.show()",
             "shown = sorted(get_ipython().display_pub.sink.formats)",
             "%time twelve = 12\nout = !echo 12\n"
             "slope = float(out[0]) if 'image/png' in shown and 'text/html' in shown else 0.0",
             "w = torch.zeros(3, requires_grad=True)\nw"]
    done = one_worker.run(job(cells))
    assert done["results"]["98.2"]["status"] == "passed", done
    assert done["results"]["98.3"]["status"] == "passed", done
    assert done["timed_out"] == [] and done["phase"] == "graded"


def test_learner_output_is_kept_only_up_to_a_small_cap(one_worker: pool.Worker) -> None:
    cells = ["for _ in range(50):\n    print('x' * 2**20)",  # 50 MB printed
             "kept = sum(map(len, get_ipython().display_pub.sink.kept))\nslope = 12.0 if kept <= 64 * 1024 else 0.0"]
    done = one_worker.run(job(cells))
    assert done["results"]["98.2"]["status"] == "passed", done


def test_a_looping_cell_is_interrupted_and_no_later_cell_runs(one_worker: pool.Worker) -> None:
    """The notebook's time is a hard budget (issue 10): the cell that spends it is interrupted, the rest skipped;
    the answers given before it are still judged."""
    done = one_worker.run(job([SETUP, "slope = 12.0", "while True:\n    pass", "w = torch.zeros(3, requires_grad=True)"],
                              timeout=5))  # a busy machine still runs the two quick cells well inside 5 s
    assert done["timed_out"] == [2] and done["not_run"] == [3] and done["phase"] == "graded", done
    assert done["results"]["98.2"]["status"] == "passed" and done["results"]["98.3"]["status"] == "not_answered", done


def test_a_cell_that_refuses_the_interrupt_meets_the_hard_deadline(one_worker: pool.Worker) -> None:
    stubborn = "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass"
    done = one_worker.run(job([SETUP, stubborn, "slope = 12.0"], timeout=5))
    assert done["deadline"] and done["phase"] == "cells" and done["running"] == 1, done
    assert done["results"] == {}


@pytest.mark.skipif(not isolate.can_unshare_pid(), reason="needs namespaces (root, or a kernel that lets us)")
def test_a_notebook_has_no_network_and_its_own_pids(one_worker: pool.Worker) -> None:
    cells = ["import os, socket", "slope = 12.0 if socket.if_nameindex() == [(1, 'lo')] else 0.0",
             "import torch\nw = torch.zeros(3, requires_grad=True) if os.getpid() == 2 else None"]
    done = one_worker.run(job(cells))
    assert done["results"]["98.2"]["status"] == "passed" and done["results"]["98.3"]["status"] == "passed", done


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd (Linux)", "polling (macOS)"])
def test_a_child_is_waited_for_or_killed_at_its_deadline(pidfd: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not pidfd:
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    elif not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfd here")
    pid = os.fork()
    if pid == 0:
        os._exit(3)
    assert isolate.wait_with_deadline(pid, 60) == 3
    pid = os.fork()
    if pid == 0:
        import time

        time.sleep(60)
        os._exit(0)
    assert isolate.wait_with_deadline(pid, 0.2) == 128 + 9  # SIGKILL
