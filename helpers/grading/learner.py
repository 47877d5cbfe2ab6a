"""The learner's process: forked from a clean worker, confined, runs the notebook's cells, then serves the judge.

Runs as PID 2 of the notebook's own PID and network namespaces (isolate.py). Before any learner code:
every file descriptor but its event pipe and control socket is closed, the memory cap and the Landlock
allow-list are applied (it reads the environment, the course's package and its job folder, and writes
only its job folder), stdin is empty and what the cells print is capped (cells.py). After the cells it
reports "cells done" and receives, on its control socket, one end of a socket pair whose other end the
worker handed to a judge forked from itself (a process that never ran learner code). Here only
`channel.serve` runs: compiled by the worker before any learner code ran and executed in a fresh
namespace, it answers the judge's requests with plain data. No verdict is decided in this process.
"""
from __future__ import annotations

import builtins
import json
import os
import random
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path

# Read and bound before any learner code runs: a cell that replaces json.dumps, builtins.compile or the
# channel module cannot change what this process sends or serves.
_CHANNEL = compile((Path(__file__).parent / "channel.py").read_text(), "<grader-channel>", "exec")
_dumps, _recv_fds = json.dumps, socket.recv_fds


def compiled(settings: dict) -> list:
    """The extra rules' code, compiled once in the worker (the judges it forks register them)."""
    return [[f, compile(text, f, "exec")] for f, text in settings["extra"]]


def main(job: dict, settings: dict, shell: object, job_dir: str, events: int, control: int) -> None:
    """Everything the learner's process does; ends with os._exit."""
    import torch

    from helpers.grading import cells, sandbox

    channel, recv_fds = _CHANNEL, _recv_fds  # locals: what the learner's cells can reach is only what they find
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
        sandbox.restrict([*settings["read_roots"], job_dir], [job_dir])
    sink = cells.Sink()
    cells.attach(shell, sink)
    report = _reporter(events)
    sources = [(i, s) for i, s in enumerate(job["sources"]) if i not in set(job["skip"])]
    outcome = cells.run_cells(shell, sources, job["timeout"], report)
    report({"event": "cells done", **outcome})
    try:
        _, fds, _, _ = recv_fds(socket.socket(fileno=control), 16, 1)
    except OSError:
        fds = []
    if fds:
        _quiet_tracers()
        namespace = {"__builtins__": builtins, "__name__": "__grader_channel__"}
        try:
            exec(channel, namespace)  # noqa: S102
            namespace["serve"](shell.user_ns, socket.socket(fileno=fds[0]))
        except BaseException:  # noqa: BLE001  (learner code broke the serving side: the judge sees it closed)
            report({"event": "serve failed"})
    report({"event": "graded"})
    os._exit(0)


def _quiet_tracers() -> None:
    """Drop tracers and profilers a learner's cell set, so that they do not run inside the channel's code."""
    sys.settrace(None)
    sys.setprofile(None)
    threading.settrace(None)
    threading.setprofile(None)


def _reporter(fd: int):  # noqa: ANN202
    def report(event: dict) -> None:
        try:
            os.write(fd, (_dumps(event) + "\n").encode())
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
