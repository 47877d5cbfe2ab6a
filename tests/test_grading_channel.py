"""channel.py: a learner's functions judged from another process, with only plain data coming back.

Each test starts a learner process (a plain `python -c`, never this one) that runs some learner code and
serves its globals on one end of a socketpair; the rules run here, on the proxies.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from typing import Any, Callable

import pytest
import torch

from helpers.checking import call_learner
from helpers.grading import channel, judging, proxies
from helpers.guards import require_tensor

SERVE = "import socket, sys\nfrom helpers.grading import channel\nns = {{}}\nexec({code!r}, ns)\n" \
        "channel.serve(ns, socket.socket(fileno={fd}), limit={limit})\n"


def with_learner(code: str, test: Callable[[proxies.Link], Any], limit: float = 60.0) -> Any:
    """Run `code` in a learner process; call `test` with the checker's end of the channel."""
    ours, theirs = socket.socketpair()
    source = SERVE.format(code=textwrap.dedent(code), fd=theirs.fileno(), limit=limit)
    learner = subprocess.Popen([sys.executable, "-c", source], pass_fds=[theirs.fileno()])
    theirs.close()
    try:
        return test(proxies.Link(ours, wait=limit))
    finally:
        ours.close()
        learner.wait(timeout=120)


def test_outputs_and_gradients_cross_as_data() -> None:
    def rule(link: proxies.Link) -> None:
        square = proxies.answer_for(link, "square")
        x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = call_learner(square, x, name="square")
        assert type(y) is torch.Tensor and y.requires_grad and not y.is_leaf
        (y * torch.tensor([1.0, 10.0, 100.0])).sum().backward()  # the learner's backward, our upstream gradient
        assert torch.equal(x.grad, torch.tensor([2.0, -40.0, 600.0]))

    with_learner("import torch\ndef square(x):\n    return x ** 2", rule)


def test_in_place_changes_and_rng_come_back() -> None:
    def rule(link: proxies.Link) -> None:
        step = proxies.answer_for(link, "step")
        p = torch.ones(3, requires_grad=True)
        p.grad = torch.full((3,), 2.0)
        torch.manual_seed(5)
        call_learner(step, [p], 0.5, name="step", none_ok=True)  # as 02.x calls sgd_step
        assert torch.equal(p.detach(), torch.zeros(3)) and p.is_leaf and p.requires_grad
        torch.manual_seed(5)
        want, after = torch.rand(2), torch.rand(2)
        torch.manual_seed(5)  # the learner draws from our RNG state, and ours moves on as theirs did
        assert torch.equal(call_learner(proxies.answer_for(link, "draw"), name="draw"), want)
        assert torch.equal(torch.rand(2), after)

    with_learner("""
        import torch
        def step(params, lr):
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
        def draw():
            return torch.rand(2)
    """, rule)


def test_learner_objects_never_cross() -> None:
    """An answer whose __eq__ always says True reaches the rule as an opaque stand-in, not as itself."""
    def rule(link: proxies.Link) -> None:
        slope = proxies.answer_for(link, "slope")
        assert isinstance(slope, proxies.Opaque) and slope != 12.0 and "Liar" in repr(slope)
        liar = call_learner(proxies.answer_for(link, "make"), name="make")
        with pytest.raises(Exception, match="subclass"):
            require_tensor(liar, "make()")

    with_learner("""
        import torch
        class Liar:
            def __eq__(self, other):
                return True
        slope = Liar()
        class Sneaky(torch.Tensor):
            pass
        def make():
            return torch.zeros(2).as_subclass(Sneaky)
    """, rule)


def test_checker_functions_become_callbacks_with_gradients() -> None:
    def rule(link: proxies.Link) -> None:
        slopes = proxies.answer_for(link, "slopes")
        x = torch.tensor([0.5, 1.5])
        got = call_learner(slopes, lambda t: t ** 3, x, name="slopes")
        assert torch.allclose(got, 3 * x ** 2)

    with_learner("""
        import torch
        def slopes(fn, x):
            leaf = x.detach().clone().requires_grad_()
            fn(leaf).sum().backward()
            return leaf.grad
    """, rule)


def test_a_callback_gets_the_checkers_own_tensor_back_with_its_graph() -> None:
    """03b.2's shape: the rule sends x (requiring grad) and f; the learner calls f(x) on that very x."""
    def rule(link: proxies.Link) -> None:
        jacobian = proxies.answer_for(link, "jacobian")
        x = torch.tensor([0.5, 1.5, -1.0])
        got = call_learner(jacobian, lambda t: t ** 3, x.clone().requires_grad_(), name="jacobian")
        assert torch.allclose(got, torch.diag(3 * x ** 2))

    with_learner("""
        import torch
        def jacobian(f, x):
            y = f(x)
            rows = [torch.autograd.grad(y, x, grad_outputs=torch.eye(len(y))[i], retain_graph=True)[0]
                    for i in range(len(y))]
            return torch.stack(rows)
    """, rule)


def test_second_derivatives_cross_through_a_callback() -> None:
    """03b.3's shape: create_graph=True on a checker function's output, then a second backward."""
    def rule(link: proxies.Link) -> None:
        second = proxies.answer_for(link, "second")
        x = torch.tensor([0.5, 1.5])
        assert torch.allclose(call_learner(second, lambda t: t ** 3, x.clone().requires_grad_(), name="second"), 6 * x)
        assert call_learner(second, lambda t: 3 * t + 1, x.clone().requires_grad_(), name="second",
                            none_ok=True) is None

    with_learner("""
        import torch
        def second(f, x):
            (d1,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
            if not d1.requires_grad:  # f linear: no graph, as in-process
                return None
            return torch.autograd.grad(d1.sum(), x)[0]
    """, rule)


def test_errors_stubs_and_hangs_become_feedback() -> None:
    def rule(link: proxies.Link) -> None:
        from helpers.checking import NotAnswered, WrongAnswer

        with pytest.raises(WrongAnswer, match="ZeroDivisionError"):
            call_learner(proxies.answer_for(link, "crash"), name="crash")
        with pytest.raises(NotAnswered):
            call_learner(proxies.answer_for(link, "stub"), name="stub")
        with pytest.raises(WrongAnswer, match="TimeoutError"):
            call_learner(proxies.answer_for(link, "hang"), name="hang")
        assert proxies.answer_for(link, "missing") is proxies._MISSING
        assert call_learner(proxies.answer_for(link, "ok"), name="ok") == 1  # still answering after the hang

    with_learner("""
        def crash():
            return 1 / 0
        def stub():
            raise NotImplementedError
        def hang():
            while True:
                try:
                    pass
                except BaseException:
                    pass
        def ok():
            return 1
    """, rule, limit=2.0)


def test_facts_report_what_learner_code_left_behind() -> None:
    def rule(link: proxies.Link) -> None:
        facts = link.request({"op": "facts"})
        flags = judging.tampering(facts)
        assert "left threads running" in flags
        assert any(f.startswith("replaced library functions (torch.allclose") for f in flags)

    # cell code is compiled under an IPython-like file name, as a kernel does
    code = ("import threading, time, torch\n"
            "exec(compile('torch.allclose = lambda *a, **k: True\\n'"
            "'def spin():\\n    time.sleep(60)\\n', '/tmp/ipykernel_1/2.py', 'exec'), globals())\n"
            "threading.Thread(target=spin, daemon=True).start()\n")
    with_learner(code, rule)


def test_plain_data_loader_refuses_objects() -> None:
    import pickle

    class Evil:
        def __reduce__(self) -> tuple:
            return (print, ("pwned",))

    with pytest.raises(pickle.UnpicklingError):
        channel.load_plain(pickle.dumps({"value": Evil()}))
