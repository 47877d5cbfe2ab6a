"""The time limit on learner code: it ends loops, sleeps and swallowed timeouts, in and outside the main thread,
and leaves no timer or signal handler behind."""
from __future__ import annotations

import signal
import threading
import time
from typing import Any

import pytest

from helpers.time_limit import LearnerTimeout, limit_of, run_limited, time_limit

SHORT = 0.3  # seconds: the tests check that a verdict comes, not how fast


def spin(*_: Any) -> None:
    while True:
        pass


def swallow(*_: Any) -> int:
    try:
        spin()
    except BaseException:  # a learner's bare except catches the timeout, then a second loop starts
        pass
    try:
        spin()
    except BaseException:
        pass
    return 1  # returning after the time is up is still a timeout


@pytest.mark.parametrize("fn", [spin, swallow, lambda: time.sleep(60)], ids=["loop", "bare-except", "sleep"])
def test_limit_ends_the_call_and_leaves_nothing_behind(fn: Any) -> None:
    handler, timer = signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)
    with limit_of(SHORT), pytest.raises(LearnerTimeout):
        run_limited(fn)
    assert signal.getsignal(signal.SIGALRM) is handler
    assert signal.getitimer(signal.ITIMER_REAL) == timer


def test_fast_call_returns_its_value_and_limit_is_restored() -> None:
    before = time_limit()
    with limit_of(5):
        assert run_limited(lambda a, b=0: a + b, 2, b=3) == 5
        assert time_limit() == 5
    assert time_limit() == before


def test_someone_elses_timer_is_given_back() -> None:
    fired: list[int] = []
    old = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with limit_of(5):
            run_limited(lambda: None)
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert not fired


def test_limit_works_outside_the_main_thread() -> None:
    outcome: list[str] = []

    def worker() -> None:
        try:
            with limit_of(SHORT):
                run_limited(spin)
        except LearnerTimeout:
            outcome.append("timed out")

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=120)
    assert outcome == ["timed out"]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_nested_calls_share_one_timer() -> None:
    with limit_of(SHORT), pytest.raises(LearnerTimeout):
        run_limited(lambda: run_limited(spin))
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_zero_means_no_limit() -> None:
    with limit_of(0):
        assert run_limited(lambda: 7) == 7
