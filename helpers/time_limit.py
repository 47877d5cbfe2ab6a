"""A time limit on one call of learner code, that never leaves a timer or a signal handler behind.

In the main thread (a Jupyter kernel runs cells there) the limit is SIGALRM from `setitimer`: it interrupts
Python loops and sleeps. Elsewhere (signals only reach the main thread) a watchdog thread raises the timeout
in the calling thread with `PyThreadState_SetAsyncExc`, which stops Python loops but not a blocking C call.
After the first alarm the timeout is raised again every half second, so a bare `except:` in a loop can't
swallow it for good.
"""
from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

DEFAULT_SECONDS = float(os.environ.get("HELPERS_TIME_LIMIT", "10"))
_REPEAT = 0.5
_local = threading.local()
_limit = [DEFAULT_SECONDS]


class LearnerTimeout(BaseException):
    """Raised inside learner code when its time is up (a BaseException, so `except Exception` can't catch it)."""


def time_limit() -> float:
    """The current limit in seconds on one call of learner code (0 or less: no limit)."""
    return _limit[0]


def set_time_limit(seconds: float) -> None:
    """Set the limit on one call of learner code (default 10 s, or $HELPERS_TIME_LIMIT)."""
    _limit[0] = float(seconds)


@contextmanager
def limit_of(seconds: float) -> Iterator[None]:
    """Use another limit inside a `with` block (tests use a short one)."""
    before = _limit[0]
    _limit[0] = float(seconds)
    try:
        yield
    finally:
        _limit[0] = before


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


def _alarm(seconds: float, state: dict[str, bool]) -> Callable[[], None]:
    """Arm SIGALRM for `seconds`, then every half second; returns the disarm that brings back the old handler and timer."""
    def on_alarm(signum: int, frame: Any) -> None:
        if state["armed"]:
            state["fired"] = True
            raise LearnerTimeout()

    started = time.monotonic()
    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT)
    def disarm() -> None:
        state["armed"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:  # someone else's timer was running: give it back what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(old_delay - (time.monotonic() - started), 1e-3), old_interval)

    return disarm


def _watchdog(seconds: float, state: dict[str, bool]) -> Callable[[], None]:
    """Outside the main thread: a daemon thread raises LearnerTimeout here when time is up; returns the disarm."""
    target, lock, stop = threading.get_ident(), threading.Lock(), threading.Event()

    def watch() -> None:
        wait = seconds
        while not stop.wait(wait):
            with lock:
                if not state["armed"]:
                    return
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(LearnerTimeout))
            wait = _REPEAT

    thread = threading.Thread(target=watch, name="learner-time-limit", daemon=True)
    thread.start()
    def disarm() -> None:
        with lock:
            state["armed"] = False
            if state["fired"]:  # clear an exception still pending for this thread
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
        stop.set()
        thread.join()

    return disarm


def _until_done(disarm: Callable[[], None], state: dict[str, bool]) -> None:
    """Run the clean-up to its end even if a last timeout lands in the middle of it (each step is idempotent)."""
    while True:
        try:
            disarm()
            return
        except LearnerTimeout:
            state["fired"] = True


def run_limited(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs) within the time limit; LearnerTimeout when it runs too long.

    Nested calls run under the outer call's limit: one timer at a time."""
    seconds = _limit[0]
    if seconds <= 0 or getattr(_local, "active", False):
        return fn(*args, **kwargs)
    state = {"armed": True, "fired": False}
    _local.active = True
    disarm = (_alarm if _in_main_thread() else _watchdog)(seconds, state)
    try:
        try:
            result = fn(*args, **kwargs)
        finally:
            _until_done(disarm, state)
            _local.active = False
    except LearnerTimeout:
        _until_done(disarm, state)  # again, in case the timeout landed before the clean-up began
        _local.active = False
        raise LearnerTimeout() from None
    if state["fired"]:  # the learner's code caught the timeout and returned anyway
        raise LearnerTimeout()
    return result
