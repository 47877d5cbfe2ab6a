"""The checker: a clean process that imports the course's rules once, then forks one judge per notebook.

The grader starts it before any learner code runs (`CheckerPool.start`), so the rules it holds are the ones on
disk at that moment; it never executes learner code. For each notebook the grader hands it, by SCM_RIGHTS,
the socket connected to the learner's kernel and the write end of a pipe; a forked child runs
`channel.judge` and writes the verdicts as JSON to that pipe, which only the grader reads.
"""
from __future__ import annotations

import array
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

_MAX_SPEC = 1 << 20


class CheckerPool:
    """The grader's handle on the checker process (shared by the grading threads)."""

    def __init__(self, extra_rules: list[Path]) -> None:
        self._ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.process = subprocess.Popen([sys.executable, "-m", "helpers.grading.checker", str(theirs.fileno()),
                                         *[str(p) for p in extra_rules]], pass_fds=[theirs.fileno()], env=env,
                                        stdin=subprocess.DEVNULL)
        theirs.close()
        self._lock = threading.Lock()

    def judge(self, conn: socket.socket, exercises: list, seed: int, check_timeout: float, wait: float) -> dict:
        """Verdicts for one notebook, judged in a fresh fork of the checker; {} when none came in `wait` s."""
        read_end, write_end = os.pipe()
        spec = json.dumps({"exercises": [[i, list(n)] for i, n in exercises], "seed": seed,
                           "check_timeout": check_timeout}).encode()
        try:
            with self._lock:
                self._ours.sendmsg([spec], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                             array.array("i", [conn.fileno(), write_end]))])
        finally:
            os.close(write_end)
        return _read_verdicts(read_end, wait)

    def close(self) -> None:
        """Stop the checker process."""
        self._ours.close()  # its loop ends at EOF
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _read_verdicts(fd: int, wait: float) -> dict:
    import select
    import time

    chunks, deadline = [], time.monotonic() + wait
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return {}
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    try:
        data = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _serve(sock: socket.socket) -> None:
    """Fork one judge per request until the grader closes its end."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    while True:
        try:
            spec, fds, _, _ = socket.recv_fds(sock, _MAX_SPEC, 2)
        except OSError:
            return
        if not spec:
            return
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        if os.fork() == 0:
            sock.close()
            _child(json.loads(spec), fds[0], fds[1])
        for fd in fds:
            os.close(fd)


def _child(spec: dict, conn_fd: int, out_fd: int) -> None:
    code = 1
    try:
        import torch

        torch.set_num_threads(1)
        from helpers.grading import judging

        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        conn = socket.socket(fileno=conn_fd)
        exercises = [(i, tuple(n)) for i, n in spec["exercises"]]
        try:
            results = judging.judge_all(conn, exercises, spec["seed"], spec["check_timeout"], facts := {})
        finally:
            conn.close()
        with os.fdopen(out_fd, "w") as out:
            json.dump({"verdicts": results, "tampering": judging.tampering(facts)}, out)
        code = 0
    except BaseException:  # noqa: BLE001  (told on the grader's stderr; the notebook gets no verdicts)
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def main(argv: list[str]) -> None:
    """Import the course's rules (and any extra rule files), then serve the grader."""
    sock = socket.socket(fileno=int(argv[0]))
    import torch  # noqa: F401  (loaded once here: every fork starts with it)

    from helpers import checks  # noqa: F401  (registers the course's rules)

    for number, path in enumerate(argv[1:]):
        source = Path(path).read_text(encoding="utf-8")
        exec(compile(source, path, "exec"), {"__name__": f"helpers.checks._extra_{number}"})  # noqa: S102
    from helpers.grading import channel, judging  # noqa: F401  (imported before the fork, once)

    _serve(sock)


if __name__ == "__main__":
    main(sys.argv[1:])
