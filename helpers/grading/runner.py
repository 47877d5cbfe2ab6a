"""Grade one learner's notebook: run it in a fresh sandboxed kernel with nbclient; a checker process judges it.

The learner's code cells run top to bottom on a copy in a job folder (outputs and metadata dropped,
learner output not kept), within a hard time budget for the whole notebook: each cell gets what is
left, the cell that spends it is interrupted, and cells after it do not run. Then the kernel serves the
checker over a socket only the grader hands out (verdicts.py, channel.py). When the kernel dies, or
never comes back from an interrupt, the notebook is run again without the cell that did it (at most
`reruns` times), so the other exercises still count. A watchdog kills a kernel that outlives every limit.
"""
from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from helpers.grading import protocol, verdicts

KERNEL_NAME = "autograd-grader"


@dataclass(frozen=True)
class Settings:
    """Everything a notebook run needs besides the notebook: limits, seed, rules' checker, sandbox."""

    timeout: float
    check_timeout: float
    seed: int
    memory: int
    sources: dict
    extra: list
    workroot: Path
    kernel_dirs: list[str]
    read_roots: list[str] | None  # Landlock's allow-list; None: no Landlock
    threads: int = 1
    reruns: int = 2
    checker: Any = None            # checker.CheckerPool: judges in a process that never ran learner code
    bwrap: list[str] | None = None  # bubblewrap's allow-list arguments (the job's own binds are added per run)


@dataclass
class _Run:
    results: dict[str, dict] | None = None
    died_at: int | None = None        # code cell index (learner's numbering) that killed the kernel
    stuck_at: int | None = None       # timed-out cell the kernel never came back from
    timed_out: list[int] = field(default_factory=list)
    not_run: list[int] = field(default_factory=list)  # cells left when the notebook's time ran out
    died_grading: bool = False          # the kernel died during the grader's own cells
    grader_error: str | None = None   # an error raised by the grader's own cells (a bug, or tampering)
    deleted_work: bool = False        # the learner's code removed its own working folder
    hard_deadline: bool = False       # the watchdog stopped the kernel
    tampering: list[str] = field(default_factory=list)


class _Client(NotebookClient):
    """nbclient, remembering which cells ran out of time, keeping no learner output but a few errors."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.timed_out: list[int] = []
        self.kept = 0

    async def _async_handle_timeout(self, timeout, cell=None):  # noqa: ANN001, ANN202
        if cell is not None and "grader_index" in cell.metadata:
            self.timed_out.append(cell.metadata["grader_index"])
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):  # noqa: ANN001, ANN201
        # Learner output is never kept (a notebook printing 700 MB must not grow the grader); the grader's
        # own cells only ever show an error, which is kept, capped.
        if msg["msg_type"] != "error" or self.kept > OUTPUT_CAP:
            return None
        content = msg["content"]
        out = {"output_type": "error", "ename": str(content.get("ename", ""))[:200],
               "evalue": str(content.get("evalue", ""))[:500], "traceback": []}
        self.kept += len(out["evalue"]) + len(out["ename"])
        outs.append(out)
        return out

    def handle_comm_msg(self, outs, msg, cell_index):  # noqa: ANN001, ANN201
        return None  # widget state is not kept either


OUTPUT_CAP = 64 * 1024
PRELUDE = "get_ipython().keepkernel_on_exit = True\nget_ipython().ask_exit = lambda: None"


def run_notebook(sources: list[str], exercises: list[tuple[str, list[str]]],
                 settings: Settings) -> tuple[str, list[str], dict[str, dict]]:
    """Run and check one notebook; return (status, notes, results by exercise id)."""
    status, notes, results, _ = run_notebook_flags(sources, exercises, settings)
    return status, notes, results


def run_notebook_flags(sources: list[str], exercises: list[tuple[str, list[str]]],
                       settings: Settings) -> tuple[str, list[str], dict[str, dict], list[str]]:
    """Run and check one notebook; return (status, notes, results by exercise id, tampering found)."""
    skip: set[int] = set()
    status, notes, regraded = "ok", [], False
    for _ in range(settings.reruns + 1):
        run = _execute(sources, skip, exercises, settings)
        if run.timed_out or run.not_run:
            status = "timeout" if status == "ok" else status
            for i in run.timed_out:
                _note(notes, f"code cell {i + 1} ({_first_line(sources[i])}) ran out of the notebook's "
                             f"{settings.timeout:g} s and was interrupted")
            if run.not_run:
                _note(notes, f"the notebook's {settings.timeout:g} s were spent: code cells "
                             f"{', '.join(str(i + 1) for i in run.not_run)} did not run")
        if run.hard_deadline:
            status = "timeout"
            _note(notes, "the kernel outlived every time limit and was stopped by the grader")
        culprit = run.died_at if run.died_at is not None else run.stuck_at
        if culprit is not None and not run.hard_deadline:
            status = "kernel died" if run.died_at is not None else "timeout"
            what = "the kernel died in" if run.died_at is not None else "the kernel never came back from"
            _note(notes, f"{what} code cell {culprit + 1} ({_first_line(sources[culprit])}); "
                         "ran the notebook again without it")
            skip.add(culprit)
        elif run.died_grading and not regraded and not run.hard_deadline:
            status, regraded = "kernel died", True
            _note(notes, "the kernel died while the answers were checked; ran the notebook again")
        else:
            break
    if run.deleted_work:
        status = "deleted its working folder" if status == "ok" else status
        _note(notes, "the notebook deleted its own working folder")
    if run.grader_error:
        _note(notes, f"the grading cell reported {run.grader_error}")
    return status, notes, run.results or {}, run.tampering


def _note(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)


def _first_line(source: str) -> str:
    line = next((ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
    return f"`{line[:60]}`" if line else "an empty cell"


def _execute(sources: list[str], skip: set[int], exercises: list, settings: Settings) -> _Run:
    job = Path(tempfile.mkdtemp(prefix="nb-", dir=settings.workroot))
    try:
        return _execute_in(job, sources, skip, exercises, settings)
    finally:
        if not os.environ.get("GRADER_KEEP_JOBS"): shutil.rmtree(job, ignore_errors=True)


def _execute_in(job: Path, sources: list[str], skip: set[int], exercises: list, settings: Settings) -> _Run:
    work, kdir = job / "work", job / "k"
    (work / "tmp").mkdir(parents=True)
    kdir.mkdir()
    # `exit()` / `quit()` in a learner's cell would stop the kernel a moment later, in some other cell.
    # Setting keepkernel_on_exit is not enough (ipykernel's exit() resets it), so asking to exit does nothing.
    cells = [new_code_cell(PRELUDE)]
    for index, source in enumerate(sources):
        if index not in skip:
            cells.append(new_code_cell(source, metadata={"grader_index": index}))
    budget = {"end": None, "limit": settings.timeout}

    def cell_timeout(cell: object) -> float:
        if budget["end"] is None:
            return budget["limit"]
        return max(budget["end"] - time.monotonic(), 0.5)  # the deadline is hard: no grace for later cells

    client = _Client(new_notebook(cells=cells), kernel_name=KERNEL_NAME, timeout_func=cell_timeout,
                     interrupt_on_timeout=True, allow_errors=True, record_timing=False,
                     error_on_timeout={"ename": "TimeoutError", "evalue": "cell interrupted by the grader"},
                     shutdown_kernel="immediate", iopub_timeout=2,
                     resources={"metadata": {"path": str(work)}})
    client.km = client.create_kernel_manager()
    client.km.client = functools.partial(_small_queues, client.km.client)
    client.km.kernel_spec_manager = KernelSpecManager(kernel_dirs=settings.kernel_dirs)
    client.km.transport, client.km.ip = "ipc", str(kdir / "zmq")  # Unix sockets: kernels need no network
    client.km.connection_file = str(kdir / "kernel.json")
    run = _Run()
    grading_limit = len(exercises) * (settings.check_timeout + 5) + 30
    watchdog = threading.Timer(settings.timeout + grading_limit + 60, _kill, (client, run))
    log = open(job / "kernel.log", "wb")  # the kernel's own stdout/stderr, kept out of the grader's terminal
    env = protocol.kernel_env(job, work, settings)
    with log, client.setup_kernel(env=env, stdout=log, stderr=subprocess.STDOUT):
        watchdog.start()
        try:
            _learner_cells(client, run, budget, settings)
            if run.died_at is None:
                # (under bwrap the folder is a mount point that survives rmtree; its tmp/ does not)
                run.deleted_work = not (work / "tmp").is_dir()
                verdicts.grade_in_kernel(client, run, job, exercises, settings, budget, grading_limit)
        finally:
            watchdog.cancel()
    return run


def _small_queues(make_client: Any, **kwargs: Any) -> Any:
    """A kernel client whose sockets drop learner output rather than hold it in the grader's memory.

    ipykernel sends a burst of prints as one message (300 MB printed at once is one message), and zmq
    queues up to a thousand: both land in the grader. Larger messages are dropped, few wait."""
    kc = make_client(**kwargs)
    kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
    kc.context.setsockopt(zmq.RCVHWM, 16)
    return kc


MAX_MESSAGE = 8 * 2**20


def _learner_cells(client: _Client, run: _Run, budget: dict, settings: Settings) -> None:
    budget["end"] = time.monotonic() + settings.timeout
    for position, cell in enumerate(client.nb.cells):
        if time.monotonic() >= budget["end"]:
            run.not_run = [c.metadata["grader_index"] for c in client.nb.cells[position:]
                           if "grader_index" in c.metadata]
            break
        try:
            client.execute_cell(cell, position)
        except DeadKernelError:
            run.died_at, run.timed_out = cell.metadata.get("grader_index", 0), list(client.timed_out)
            return
        except (KeyError, ValueError, TypeError) as exc:  # replies nbclient cannot read: learner code broke them
            run.tampering.append("broke the kernel's messages")
            run.grader_error = f"{type(exc).__name__}: {exc}"[:300]
            return
    run.timed_out = list(client.timed_out)


def _kill(client: _Client, run: _Run) -> None:
    """The hard deadline: stop the kernel (its sandbox takes every process it started along)."""
    run.hard_deadline = True
    pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


