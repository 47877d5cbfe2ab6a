"""A grading worker: a fork server that pays for torch, IPython and the course's package once.

Started by the grader as `python -m helpers.grading.worker`; reads one JSON line of settings, then one
JSON line per notebook on stdin and answers each with one JSON line on its protocol pipe. The worker
itself never runs learner code: for each notebook it forks a warden (isolate.py), whose PID namespace
holds the learner's process (learner.py). Every notebook therefore starts from the same clean state,
this process's, and nothing a notebook does (globals, monkeypatches, threads, processes, RNG state,
files in its folder) outlives it. After the learner's cells, the worker forks a judge from itself
(clean: it never ran learner code), connects it to the learner's process by a socket pair it hands
out itself, and reads the verdicts and tampering flags from a pipe only it holds (channel.py).
"""
from __future__ import annotations

import json
import os
import select
import socket
import shutil
import signal
import sys
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
    from helpers.grading import cells, channel, judging  # noqa: F401  (judging: every judge forked from here has it)

    shell = cells.make_shell()
    import matplotlib.pyplot  # noqa: F401  (with the inline backend: it hooks into the shell)
    channel.warm()

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
            result = run_job(job, settings, shell, code, keep=(inbox, outbox))
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


def run_job(job: dict, settings: dict, shell: object, extra: list, keep: tuple[int, ...]) -> dict:
    """Run one notebook in a fresh namespace-isolated child, judge it from a clean fork; return plain data."""
    from helpers.grading import isolate, learner

    job_dir = Path(tempfile.mkdtemp(prefix="nb-", dir=settings["workroot"]))
    (job_dir / "work" / "tmp").mkdir(parents=True)
    events_r, events_w = os.pipe()
    control, control_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    # the interrupted cell's unwinding (IPython's traceback), no later cell: past this the namespace is killed
    cells_limit = job["timeout"] + max(5.0, job["timeout"] / 10)
    checks_limit = len(job["exercises"]) * (job["check_timeout"] + 2) + 10
    pid = isolate.fork()
    if pid == 0:
        try:
            for fd in (events_r, control.fileno(), *keep):
                os.close(fd)
            isolate.warden(lambda: learner.main(job, settings, shell, str(job_dir), events_w, control_child.fileno()),
                           cells_limit + checks_limit + 5)  # a backstop: the worker kills earlier
        finally:
            os._exit(70)
    os.close(events_w)
    control_child.close()
    try:
        run = _follow(pid, events_r, control, job, job_dir, (cells_limit, checks_limit),
                      lambda conn, other: _fork_judge(conn, job, settings, extra,
                                                      close=(other, events_r, control.fileno(), *keep)))
    finally:
        os.close(events_r)
        control.close()
        shutil.rmtree(job_dir, ignore_errors=True)
    if not run["started"]:  # the learner's process never reached its first cell: ours to report, not theirs
        return {"error": f"the notebook's process did not start (exit code {run['exit']})"}
    return run


def _fork_judge(conn: socket.socket, job: dict, settings: dict, extra: list, close: tuple) -> tuple[int, int]:
    """Fork a judge (this process never ran learner code); return (its pid, the pipe its verdicts come on)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for fd in (read_end, *close):  # the judge holds only its end of the channel and its pipe
                os.close(fd)
            code = _judge(conn, write_end, job, settings, extra)
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def _judge(conn: socket.socket, out: int, job: dict, settings: dict, extra: list) -> int:
    """The judge: the course's rules (and the extra ones) on proxies for the learner's answers, verdicts to `out`."""
    try:
        from helpers.grading import judging

        for number, (filename, code) in enumerate(extra):  # extra rule files (tests, fixtures)
            module = type(sys)(f"helpers.checks._extra_{number}")
            module.__file__ = filename
            sys.modules[module.__name__] = module
            exec(code, module.__dict__)  # noqa: S102
        exercises = [(i, tuple(n)) for i, n in job["exercises"]]
        facts: dict = {}
        try:
            verdicts = judging.judge_all(conn, exercises, settings["seed"], job["check_timeout"], facts)
        finally:
            conn.close()
        with os.fdopen(out, "w") as pipe:
            json.dump({"verdicts": verdicts, "tampering": judging.tampering(facts)}, pipe)
        return 0
    except BaseException:  # noqa: BLE001  (told in the workers' log; the notebook gets no verdicts)
        import traceback

        traceback.print_exc()
        return 1


def _follow(pid: int, events: int, control: socket.socket, job: dict, job_dir: Path, limits: tuple[float, float],
            fork_judge) -> dict:  # noqa: ANN001
    """Read the learner's progress; after its cells, start the judge and hand the learner its end of the
    channel; kill the learner at the hard deadline of its cells, then of its checks (killing the warden
    kills init, and so the namespace); collect the judge's verdicts."""
    from helpers.grading import isolate

    cell_ids = range(len(job["sources"]))  # the learner's process could send anything: keep real cell numbers
    run: dict = {"running": None, "timed_out": [], "not_run": [], "phase": "cells", "results": {}, "started": False,
                 "tampering": []}
    began = time.monotonic()
    deadline, buffer, judge, killed = began + limits[0], b"", None, False
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
            elif kind == "cells done" and judge is None:
                run["started"] = True
                run["timed_out"] = [i for i in _list(event, "timed_out") if _cell(i, cell_ids)]
                run["not_run"] = [i for i in _list(event, "not_run") if _cell(i, cell_ids)]
                run["phase"] = "checks"
                run["deleted_work"] = not (job_dir / "work" / "tmp").is_dir()
                run["cells_seconds"] = time.monotonic() - began
                ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)  # made only now, by us
                judge = fork_judge(ours, theirs.fileno())  # (the judge closes the learner's end: EOF must reach it)
                ours.close()
                try:
                    socket.send_fds(control, [b"c"], [theirs.fileno()])
                except OSError:
                    pass  # the learner's process is gone: the judge finds the channel closed
                theirs.close()
                deadline = time.monotonic() + limits[1]
            elif kind == "serve failed" and judge is not None:
                run["tampering"].append("broke the grader's channel")
            elif kind == "graded" and judge is not None:
                run["phase"] = "graded"
                run["checks_seconds"] = time.monotonic() - began - run.get("cells_seconds", 0)
    if judge is not None and not killed:  # the learner is done: its namespace goes, so the judge's channel closes
        os.kill(pid, signal.SIGKILL)
    code = isolate.wait_with_deadline(pid, 10)
    run["exit"] = code
    run["deadline"] = killed or code == isolate.DEADLINE_EXIT
    if judge is not None:
        got = _verdicts(*judge, wait=max(5.0, deadline - time.monotonic()))
        run["results"] = got.get("verdicts") if isinstance(got.get("verdicts"), dict) else {}
        flags = got.get("tampering")
        run["tampering"] += [str(flag)[:300] for flag in flags[:10]] if isinstance(flags, list) else []
    return run


def _verdicts(pid: int, fd: int, wait: float) -> dict:
    """The judge's JSON answer ({} if it gave none within `wait` s); the judge is reaped, killed if need be."""
    chunks, end = [], time.monotonic() + wait
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(pid, 0)
    try:
        data = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


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
