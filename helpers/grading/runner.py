"""Grade one learner's notebook: run it in a fresh sandboxed kernel with nbclient, then check it there.

The learner's code cells run top to bottom on a copy in a job folder (outputs and metadata dropped),
with a time budget for the whole notebook: each cell gets what is left (nbclient's timeout is per
cell), a timed-out cell is interrupted and the next cells still run. Then the grader's own cells
reset IPython's hooks and check every exercise (see kernel_side.py). When the kernel dies, or never
comes back from an interrupt, the notebook is run again without the cell that did it (at most
`reruns` times), so the other exercises still count.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from helpers.grading import protocol

KERNEL_NAME = "autograd-grader"


@dataclass(frozen=True)
class Settings:
    """Everything a notebook run needs besides the notebook: limits, seed, helpers' sources, sandbox."""

    timeout: float
    check_timeout: float
    seed: int
    memory: int
    sources: dict
    extra: list
    workroot: Path
    kernel_dirs: list[str]
    read_roots: list[str] | None  # None: no Landlock sandbox
    threads: int = 1
    reruns: int = 2


@dataclass
class _Run:
    results: dict[str, dict] | None = None
    died_at: int | None = None        # code cell index (learner's numbering) that killed the kernel
    stuck_at: int | None = None       # timed-out cell the kernel never came back from
    timed_out: list[int] = field(default_factory=list)
    died_grading: bool = False          # the kernel died during the grader's own cells
    grader_error: str | None = None   # an error raised by the grader's own cells (a bug, or tampering)


class _Client(NotebookClient):
    """nbclient, remembering which cells ran out of time."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.timed_out: list[int] = []

    async def _async_handle_timeout(self, timeout, cell=None):  # noqa: ANN001, ANN202
        if cell is not None and "grader_index" in cell.metadata:
            self.timed_out.append(cell.metadata["grader_index"])
        return await super()._async_handle_timeout(timeout, cell)



PRELUDE = "get_ipython().keepkernel_on_exit = True\nget_ipython().ask_exit = lambda: None"

def run_notebook(sources: list[str], exercises: list[tuple[str, list[str]]],
                 settings: Settings) -> tuple[str, list[str], dict[str, dict]]:
    """Run and check one notebook; return (status, notes, results by exercise id)."""
    skip: set[int] = set()
    status, notes, regraded = "ok", [], False
    for _ in range(settings.reruns + 1):
        run = _execute(sources, skip, exercises, settings)
        if run.timed_out:
            status = "timeout" if status == "ok" else status
            for i in run.timed_out:
                _note(notes, f"code cell {i + 1} ({_first_line(sources[i])}) ran out of the notebook's "
                             f"{settings.timeout:g} s and was interrupted")
        culprit = run.died_at if run.died_at is not None else run.stuck_at
        if culprit is not None:
            status = "kernel died" if run.died_at is not None else "timeout"
            what = "the kernel died in" if run.died_at is not None else "the kernel never came back from"
            _note(notes, f"{what} code cell {culprit + 1} ({_first_line(sources[culprit])}); "
                         "ran the notebook again without it")
            skip.add(culprit)
        elif run.died_grading and not regraded:
            status, regraded = "kernel died", True
            _note(notes, "the kernel died while the answers were checked; ran the notebook again")
        else:
            break
    if run.grader_error:
        _note(notes, f"the grading cell reported {run.grader_error}")
    return status, notes, run.results or {}


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
        shutil.rmtree(job, ignore_errors=True)


def _execute_in(job: Path, sources: list[str], skip: set[int], exercises: list, settings: Settings) -> _Run:
    work = job / "work"
    (work / "tmp").mkdir(parents=True)
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
        return max(budget["end"] - time.monotonic(), min(5.0, settings.timeout / 10))  # a grace for later cells

    client = _Client(new_notebook(cells=cells), kernel_name=KERNEL_NAME, timeout_func=cell_timeout,
                     interrupt_on_timeout=True, allow_errors=True, record_timing=False,
                     error_on_timeout={"ename": "TimeoutError", "evalue": "cell interrupted by the grader"},
                     shutdown_kernel="immediate", iopub_timeout=2,
                     resources={"metadata": {"path": str(work)}})
    client.km = client.create_kernel_manager()
    client.km.kernel_spec_manager = KernelSpecManager(kernel_dirs=settings.kernel_dirs)
    client.km.connection_file = str(job / "kernel.json")
    run = _Run()
    log = open(job / "kernel.log", "wb")  # the kernel's own stdout/stderr, kept out of the grader's terminal
    with log, client.setup_kernel(env=protocol.kernel_env(job, work, settings), stdout=log, stderr=subprocess.STDOUT):
        budget["end"] = time.monotonic() + settings.timeout
        for position, cell in enumerate(client.nb.cells):
            try:
                client.execute_cell(cell, position)
            except DeadKernelError:
                run.died_at, run.timed_out = cell.metadata.get("grader_index", 0), list(client.timed_out)
                return run
        run.timed_out = list(client.timed_out)
        nonce = secrets.token_hex(16)  # made only now: no learner cell could have known it
        result_dir = work / f".grader-{nonce}"
        result_dir.mkdir()
        budget["end"], budget["limit"] = None, 10.0
        client.timed_out = []
        spec = {"exercises": [[i, list(n)] for i, n in exercises], "seed": settings.seed, "nonce": nonce,
                "result_dir": str(result_dir), "check_timeout": settings.check_timeout,
                "sources": settings.sources, "extra": settings.extra}
        reset = new_code_cell(protocol.trampoline("reset_hooks"))
        grading = new_code_cell(protocol.trampoline("grade", f"__grader_b.globals(), {spec!r}"))
        first = len(client.nb.cells)
        client.nb.cells.extend([reset, grading])  # nbclient stores each executed cell back by index
        try:
            client.execute_cell(reset, first, store_history=False)
            if client.timed_out:
                run.stuck_at = run.timed_out[0] if run.timed_out else None
                return run
            budget["limit"] = len(exercises) * (settings.check_timeout + 5) + 30
            client.execute_cell(grading, first + 1, store_history=False)
        except (DeadKernelError, CellTimeoutError) as stop:
            run.died_grading = isinstance(stop, DeadKernelError)  # verdicts written so far still count
        errors = [f"{o.get('ename')}: {o.get('evalue')}" for c in (reset, grading) for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        run.grader_error = "; ".join(errors)[:300] or None
        run.results = protocol.read_results(result_dir, nonce, exercises)
        if not run.results and run.timed_out:
            run.stuck_at = run.timed_out[0]
    return run
