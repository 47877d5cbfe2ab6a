"""In a real Jupyter kernel (what JupyterLab runs): a looping answer ends in a verdict, an interrupt gives
'Interrupted', and neither leaves a timer, a signal handler or a changed PyTorch state behind."""
from __future__ import annotations

import queue
import time

import pytest
from jupyter_client.manager import start_new_kernel

SETUP = """
import signal, torch
from helpers import check
from helpers.checking import set_time_limit
import helpers.checks
def spin(x):
    print("spinning", flush=True)
    while True:
        pass
before = (signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL))
torch.set_grad_enabled(False)  # a stray cell left recording off
"""
AFTER = "print((signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)) == before, torch.is_grad_enabled())"


def _run(client, code: str, timeout: float = 120, interrupt_when: str | None = None, manager=None) -> str:
    """Execute code, return everything it printed or displayed as text; interrupt once `interrupt_when` is printed."""
    msg_id = client.execute(code)
    started, out, interrupted = time.monotonic(), [], False
    while True:
        if interrupt_when is not None and not interrupted and interrupt_when in "".join(out):
            manager.interrupt_kernel()
            interrupted = True
        try:
            msg = client.get_iopub_msg(timeout=1)
        except queue.Empty:
            assert time.monotonic() - started < timeout, f"no answer from the kernel for {code!r}"
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            out.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            out.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


@pytest.fixture(scope="module")
def kernel():
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        assert "Error" not in _run(client, SETUP)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_looping_answer_times_out_in_a_kernel(kernel) -> None:
    manager, client = kernel
    shown = _run(client, "set_time_limit(1)\ncheck('07.1', ste_round=spin)")
    assert "[Not yet] 07.1: ste_round ran for more than 1 s on an input of shape (10,)" in shown
    assert _run(client, AFTER).strip() == "True False"


def test_interrupt_gives_an_interrupted_result(kernel) -> None:
    manager, client = kernel
    shown = _run(client, "set_time_limit(600)\ncheck('07.1', ste_round=spin)", interrupt_when="spinning", manager=manager)
    assert "[Interrupted] 07.1" in shown and "Traceback" not in shown and "KeyboardInterrupt" not in shown
    assert _run(client, AFTER).strip() == "True False"
