"""A grading worker: a fork server that pays for torch, IPython and the course's package once.

Started by the grader as `python -m helpers.grading.worker`; reads one JSON line of settings, then one
JSON line per notebook on stdin and answers each with one JSON line on its protocol pipe. The worker
itself never runs learner code: for each notebook it forks a warden (isolate.py), whose PID namespace
holds the learner's process (learner.py). Every notebook therefore starts from the same clean state,
this process's, and nothing a notebook does (globals, monkeypatches, threads, processes, RNG state,
files in its folder) outlives it.
"""
from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path


def _preload() -> object:
    """Everything a notebook would import at its start, imported once here (forked children share it)."""
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel sets it
    import torch  # noqa: F401
    import torch.fx.experimental.symbolic_shapes  # noqa: F401  (the first backward through gather imports it,
    # with sympy: 1-3 s that every fresh kernel pays again)
    import helpers  # noqa: F401  (the course's package, as `from helpers import check` loads it)
    import helpers.checks  # noqa: F401
    from helpers.grading import cells

    shell = cells.make_shell()
    import matplotlib.pyplot  # noqa: F401  (with the inline backend: it hooks into the shell)

    return shell


def serve(inbox: int, outbox: int) -> None:
    """The worker's loop: imports first (while the grader reads the submissions), then the settings line,
    then a notebook per line until the grader closes stdin."""
    import torch

    from helpers.grading import learner

    shell = _preload()
    reader = os.fdopen(inbox, "r", encoding="utf-8")
    writer = os.fdopen(outbox, "w", encoding="utf-8")
    settings = json.loads(reader.readline())
    torch.set_num_threads(settings["threads"])
    code = learner.compiled(settings)
    writer.write(json.dumps({"ready": os.getpid(), "registry": _registry(settings["extra"])}) + "\n")
    writer.flush()
    for line in reader:
        job = json.loads(line)
        start = time.perf_counter()
        try:
            result = run_job(job, settings, (shell, code), keep=(inbox, outbox))
        except Exception as exc:  # noqa: BLE001  (a worker bug costs one notebook, not the class)
            result = {"error": f"{type(exc).__name__}: {exc}"}
        result["seconds"] = time.perf_counter() - start
        writer.write(json.dumps(result) + "\n")
        writer.flush()


def _registry(extra: list) -> dict[str, list]:
    """Every exercise's title and answer names, extra rule files included (so the grader need not import torch)."""
    from helpers.checking import REGISTRY

    before = dict(REGISTRY)
    for number, (filename, source) in enumerate(extra):
        exec(compile(source, filename, "exec"), {"__name__": f"helpers.checks._extra_{number}"})  # noqa: S102
    found = {i: [e.title, list(e.answer_names)] for i, e in REGISTRY.items()}
    REGISTRY.clear()  # the extra rules are checked from the grader's copy of them, not registered here
    REGISTRY.update(before)
    return found


def run_job(job: dict, settings: dict, prepared: tuple, keep: tuple[int, ...]) -> dict:
    """Run and check one notebook in a fresh namespace-isolated child; return what happened as plain data."""
    from helpers.grading import isolate, learner

    job_dir = Path(tempfile.mkdtemp(prefix="nb-", dir=settings["workroot"]))
    (job_dir / "work" / "tmp").mkdir(parents=True)
    events_r, events_w = os.pipe()
    control_r, control_w = os.pipe()
    grace = max(5.0, job["timeout"] / 10)  # for the cells after one that used up the budget, all together
    cells_limit = job["timeout"] + grace + 2  # 2 s for an interrupted cell to unwind
    checks_limit = len(job["exercises"]) * (job["check_timeout"] + 2) + 10
    pid = isolate.fork()
    if pid == 0:
        try:
            for fd in (events_r, control_w, *keep):
                os.close(fd)
            isolate.warden(lambda: learner.main(job, settings, *prepared, str(job_dir), events_w, control_r, grace),
                           cells_limit + checks_limit + 5)  # a backstop: the worker kills earlier
        finally:
            os._exit(70)
    os.close(events_w)
    os.close(control_r)
    try:
        run = _follow(pid, events_r, control_w, job_dir, job, (cells_limit, checks_limit))
    finally:
        os.close(events_r)
        os.close(control_w)
        shutil.rmtree(job_dir, ignore_errors=True)
    if not run["started"]:  # the learner's process never reached its first cell: ours to report, not theirs
        return {"error": f"the notebook's process did not start (exit code {run['exit']})"}
    return run


def _follow(pid: int, events: int, control: int, job_dir: Path, job: dict, limits: tuple[float, float]) -> dict:
    """Read the learner's progress; hand it the nonce after its cells; kill it at the hard deadline of its
    cells, then of its checks (killing the warden kills init, and so the namespace); collect the verdicts."""
    from helpers.grading import isolate, protocol

    cell_ids = range(len(job["sources"]))  # the learner's process could send anything: keep real cell numbers
    run: dict = {"running": None, "timed_out": [], "not_run": [], "phase": "cells", "results": {}, "started": False}
    began = time.monotonic()
    deadline, buffer, nonce, killed = began + limits[0], b"", None, False
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([events], [], [], left)[0]:  # checked on every read: a flood
            killed = True                                                 # of events cannot delay it
            os.kill(pid, signal.SIGKILL)
            break
        chunk = os.read(events, 65536)
        if not chunk:
            break
        *lines, buffer = (buffer + chunk).split(b"\n")
        buffer = buffer[-4096:]  # events are short; a learner's endless line is not kept
        for line in lines:
            event = _event(line)
            kind = event.get("event")
            if kind == "start" and _cell(event.get("cell"), cell_ids):
                run["running"], run["started"] = event["cell"], True
            elif kind == "done":
                run["running"] = None
            elif kind == "cells done" and nonce is None:
                run["started"] = True
                run["timed_out"] = [i for i in _list(event, "timed_out") if _cell(i, cell_ids)]
                run["not_run"] = [i for i in _list(event, "not_run") if _cell(i, cell_ids)]
                run["phase"], nonce = "checks", secrets.token_hex(16)  # made only now: no cell could know it
                run["cells_seconds"] = time.monotonic() - began
                (job_dir / "work" / f".grader-{nonce}").mkdir()
                os.write(control, (nonce + "\n").encode())
                deadline = time.monotonic() + limits[1]
            elif kind == "graded":
                run["phase"] = "graded"
                run["checks_seconds"] = time.monotonic() - began - run.get("cells_seconds", 0)
    code = isolate.wait_with_deadline(pid, 10)
    run["exit"] = code
    run["deadline"] = killed or code == isolate.DEADLINE_EXIT
    if nonce is not None:
        run["results"] = protocol.read_results(job_dir / "work" / f".grader-{nonce}", nonce, job["exercises"])
    return run


def _cell(value: object, cell_ids: range) -> bool:
    return type(value) is int and value in cell_ids


def _list(event: dict, key: str) -> list:
    value = event.get(key)
    return value if isinstance(value, list) else []


def _event(line: bytes) -> dict:
    try:
        event = json.loads(line)
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


def main() -> None:
    """Entry point: keep the protocol pipes private, send stray prints to stderr, die with the grader."""
    from helpers.grading import isolate

    isolate.die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the grader, which stops the workers
    inbox, outbox = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)
    serve(inbox, outbox)


if __name__ == "__main__":
    main()
    os._exit(0)  # done: skip tearing down torch and friends (a second or more on a busy machine)
