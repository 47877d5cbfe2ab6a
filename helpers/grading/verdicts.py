"""The grading phase of one notebook: the kernel serves the checker over a socket only the grader hands out.

After the learner's cells, the grader opens a Unix socket under a fresh name in a folder the kernel may
read but not write, runs two cells in the kernel (reset IPython's hooks; connect and `channel.serve`),
accepts the one connection and hands it to a forked checker (checker.py), whose verdicts come back on a
pipe only the grader reads. Nothing the kernel prints or writes is read as a verdict. A second connection
to the socket (a learner thread waiting for it) is tampering.
"""
from __future__ import annotations

import secrets
import socket
import threading
from pathlib import Path
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell

from helpers.grading import protocol

_STATUSES = ("passed", "failed", "not_answered", "error")
_AFTER_SERVE = 60


def grade_in_kernel(client: Any, run: Any, job: Path, exercises: list, settings: Any, budget: dict,
                    limit: float) -> None:
    """Check every exercise of this notebook; fill run.results, run.tampering, run.grader_error."""
    chan = job / "chan"
    chan.mkdir(exist_ok=True)
    path = chan / f"{secrets.token_hex(8)}.sock"  # named only now: no learner cell could have known it
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)
    chan.chmod(0o111)  # the kernel (root without capabilities under bwrap) may connect but not list the folder
    listener.settimeout(limit)
    box: dict = {}
    judge = threading.Thread(target=_judge, args=(listener, box, exercises, settings, limit), daemon=True)
    judge.start()
    budget["end"], budget["limit"] = None, 10.0 + 30.0
    client.timed_out = []
    reset = new_code_cell(protocol.trampoline("reset_hooks"))
    serve = new_code_cell(protocol.serve_cell(str(path)))
    first = len(client.nb.cells)
    client.nb.cells.extend([reset, serve])  # nbclient stores each executed cell back by index
    try:
        client.execute_cell(reset, first, store_history=False)
        if client.timed_out:
            run.stuck_at = run.timed_out[0] if run.timed_out else None
            return
        budget["limit"] = limit
        client.execute_cell(serve, first + 1, store_history=False)
    except (DeadKernelError, CellTimeoutError) as stop:
        run.died_grading = isinstance(stop, DeadKernelError)  # verdicts judged so far still count
    except Exception as exc:  # noqa: BLE001  (replies nbclient cannot read: learner code broke the messaging)
        box.setdefault("tampering", []).append("broke the kernel's messages")
        run.grader_error = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        if not box.get("accepted"):  # the grader's cell ended without connecting: wake the waiting accept()
            box["unconnected"] = True
            _poke(path)
        # The kernel's side has ended, so the checker is done or only waits on a dead socket: wait briefly.
        judge.join(_AFTER_SERVE)
        if judge.is_alive():
            run.grader_error = f"the checker gave no verdicts within {_AFTER_SERVE} s of the kernel's last answer"
        listener.close()
        chan.chmod(0o700)  # (so that the job folder can be removed by a grader that is not root)
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for c in (reset, serve) for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    run.grader_error = "; ".join(errors)[:300] or run.grader_error
    run.results = _valid(box.get("verdicts", {}), exercises)
    if box.get("unconnected") and run.grader_error and "tampering" not in box:  # a patch broke the grader's cell
        box.setdefault("tampering", []).append("broke the grader's own cell")
    run.tampering = sorted(set(run.tampering) | set(box.get("tampering", [])))
    if not run.results and run.timed_out:
        run.stuck_at = run.timed_out[0]


def _judge(listener: socket.socket, box: dict, exercises: list, settings: Any, limit: float) -> None:
    try:
        conn, _ = listener.accept()
    except OSError:
        return
    if box.get("unconnected"):  # the grader's own wake-up call: nobody is there to judge
        conn.close()
        return
    box["accepted"] = True
    with conn:
        got = settings.checker.judge(conn, exercises, settings.seed, settings.check_timeout, wait=limit)
    box["verdicts"] = got.get("verdicts", {})
    box.setdefault("tampering", []).extend(str(t) for t in got.get("tampering", []))
    # More than one connection means learner code reached the socket (then the grader's own cell may be
    # the one left waiting): flag it, and close every other connection so that cell ends.
    listener.setblocking(False)
    while True:
        try:
            extra, _ = listener.accept()
        except OSError:
            break
        extra.close()
        box["tampering"].append("connected to the grader's channel")
    listener.shutdown(socket.SHUT_RDWR)


def _poke(path: Path) -> None:
    """Connect to our own socket once (shutdown() does not wake accept() on a Unix socket)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as poke:
            poke.settimeout(5)
            poke.connect(str(path))
    except OSError:
        pass


def _valid(verdicts: Any, exercises: list) -> dict[str, dict]:
    """Verdicts from the checker, each for an exercise of this notebook with a known status."""
    out: dict[str, dict] = {}
    for exercise_id, _ in exercises:
        data = verdicts.get(exercise_id) if isinstance(verdicts, dict) else None
        if isinstance(data, dict) and data.get("exercise") == exercise_id and data.get("status") in _STATUSES:
            out[exercise_id] = {k: str(data.get(k, "")) for k in ("exercise", "status", "message", "hint")}
    return out


