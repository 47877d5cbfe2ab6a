"""The learner's process: forked from a clean worker, confined, runs the notebook's cells, then its checks.

Runs as PID 2 of the notebook's own PID namespace (isolate.py). Before any learner code: every file
descriptor but its two pipes is closed, the memory cap and the Landlock sandbox are applied (it writes
only its job folder), stdin is empty and what the cells print is capped (cells.py). After the cells it
reports "cells done" and waits for the grader's nonce, then runs the checks as the grading cell did
before: kernel_side.py, compiled by the worker before any learner code ran and executed in a fresh
namespace, forks a checking child (holding the learner's objects but none of their threads) that writes
each verdict with the nonce; after a hang or a crash a new child checks the exercises left. This verdict
path is the old one, kept until the checker of issue 10 (channel.py) is wired into the engine.
"""
from __future__ import annotations

import json
import os
import random
import signal
import sys
import tempfile
from pathlib import Path

_KERNEL_SIDE = compile((Path(__file__).parent / "kernel_side.py").read_text(), "<grader>", "exec")


def compiled(settings: dict) -> tuple[dict, list]:
    """The course helpers' and extra rules' code, compiled once in the worker (compiling costs 60 ms)."""
    sources = {name: [f, compile(text, f, "exec"), package] for name, (f, text, package) in settings["sources"].items()}
    return sources, [[f, compile(text, f, "exec")] for f, text in settings["extra"]]


def main(job: dict, settings: dict, shell: object, code: tuple[dict, list], job_dir: str, events: int, control: int,
         grace: float) -> None:
    """Everything the learner's process does; ends with os._exit."""
    import torch

    from helpers.grading import cells, sandbox

    kernel_side = _KERNEL_SIDE  # a local: what the learner's cells can reach is only what they can find
    signal.signal(signal.SIGINT, signal.default_int_handler)
    work = os.path.join(job_dir, "work")
    _close_fds_but(events, control)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)  # C-level writes (and reads) go nowhere; Python-level ones to the sink
    os.close(null)
    os.chdir(work)
    os.environ.update(TMPDIR=os.path.join(work, "tmp"), HOME=work, PWD=work)
    tempfile.tempdir = None
    random.seed(settings["seed"])  # fork reseeds `random` from the OS, torch seeds itself at random on import:
    torch.manual_seed(settings["seed"])  # fixed states keep a notebook's grade the same on every run
    torch.set_num_threads(int(settings["threads"]))
    sandbox.cap_memory(int(settings["memory"]))
    if settings.get("read_roots") is not None:
        sandbox.restrict(settings["read_roots"], [job_dir])
    sink = cells.Sink()
    cells.attach(shell, sink)
    report = _reporter(events)
    sources = [(i, s) for i, s in enumerate(job["sources"]) if i not in set(job["skip"])]
    outcome = cells.run_cells(shell, sources, job["timeout"], grace, report)
    report({"event": "cells done", **outcome})
    nonce = os.read(control, 64).decode().strip()
    spec = {"exercises": job["exercises"], "seed": settings["seed"], "nonce": nonce,
            "result_dir": os.path.join(work, f".grader-{nonce}"), "check_timeout": job["check_timeout"],
            "sources": code[0], "extra": code[1]}
    namespace = {"__builtins__": __builtins__, "__name__": "__grader__"}
    exec(kernel_side, namespace)  # noqa: S102
    namespace["reset_hooks"]()
    namespace["grade"](shell.user_ns, spec)
    report({"event": "graded"})
    os._exit(0)


def _reporter(fd: int):  # noqa: ANN202
    def report(event: dict) -> None:
        try:
            os.write(fd, (json.dumps(event) + "\n").encode())
        except OSError:
            pass

    return report


def _close_fds_but(*keep: int) -> None:
    """Close every inherited descriptor (the worker's protocol pipes included) except 0-2 and `keep`."""
    try:
        open_fds = sorted(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:
        open_fds = list(range(3, 1024))
    for fd in open_fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    sys.stdin = open(os.devnull)  # noqa: SIM115  (input() in a cell gets EOF, as with no front end)
