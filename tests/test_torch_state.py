"""The known PyTorch state a rule runs in, and the caller's state given back afterwards."""
from __future__ import annotations

import torch

from helpers.torch_state import KNOWN, current, kept_state, known_state


def test_known_state_inside_and_callers_state_after() -> None:
    torch.set_grad_enabled(False)
    torch.set_default_dtype(torch.float64)
    torch.set_anomaly_enabled(True)
    try:
        before = current()
        with torch.inference_mode():
            inner_before = current()
            with known_state():
                assert current() == KNOWN
                assert torch.zeros(1).dtype == torch.float32 and not torch.zeros(1).is_inference()
                torch.set_grad_enabled(False)  # a rule (or learner code) changing it must not leak
                torch.set_default_dtype(torch.float16)
            assert current() == inner_before
        assert current() == before
    finally:
        torch.set_grad_enabled(True)
        torch.set_default_dtype(torch.float32)
        torch.set_anomaly_enabled(False)


def test_known_state_forks_the_rng() -> None:
    torch.manual_seed(3)
    want = torch.rand(2)
    torch.manual_seed(3)
    with known_state():
        torch.rand(100)
    assert torch.equal(torch.rand(2), want)


def test_kept_state_reports_and_undoes_changes() -> None:
    with kept_state() as changes:
        torch.set_grad_enabled(False)
    assert torch.is_grad_enabled()
    assert changes and changes[0].startswith("gradient recording")
