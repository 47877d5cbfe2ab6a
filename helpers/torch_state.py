"""The PyTorch state a check runs in, whatever the learner's kernel did: and the kernel's state given back after.

Grad mode, inference mode, the default dtype and anomaly mode are global (thread-local) switches; a
`torch.set_grad_enabled(False)` left over from an earlier cell would otherwise decide a verdict.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import torch


@dataclass(frozen=True)
class TorchState:
    """The global switches of PyTorch that change what autograd records and what factories return."""

    grad_enabled: bool
    inference_mode: bool
    default_dtype: torch.dtype
    anomaly: bool
    anomaly_check_nan: bool

    def differences(self, other: "TorchState") -> list[str]:
        """What differs from `other`, in words a learner can act on."""
        said = {"grad_enabled": "gradient recording (grad mode)", "inference_mode": "inference mode",
                "default_dtype": "the default dtype", "anomaly": "anomaly detection", "anomaly_check_nan": "anomaly detection's NaN check"}
        return [f"{said[k]} is {getattr(self, k)} instead of {getattr(other, k)}"
                for k in said if getattr(self, k) != getattr(other, k)]


KNOWN = TorchState(grad_enabled=True, inference_mode=False, default_dtype=torch.float32, anomaly=False, anomaly_check_nan=True)


def current() -> TorchState:
    """PyTorch's state in this thread now."""
    return TorchState(torch.is_grad_enabled(), torch.is_inference_mode_enabled(), torch.get_default_dtype(),
                      torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())


def restore(state: TorchState) -> None:
    """Set the switches that can be set back (inference mode is left by a `with` block, see `known_state`)."""
    torch.set_grad_enabled(state.grad_enabled)
    torch.set_default_dtype(state.default_dtype)
    torch.set_anomaly_enabled(state.anomaly, state.anomaly_check_nan)


@contextmanager
def known_state() -> Iterator[None]:
    """Run a block in KNOWN state with its own RNG stream; the caller's state and RNG come back afterwards."""
    saved = current()
    try:
        with torch.inference_mode(False):  # leaves the caller's inference mode (and turns grad mode on)
            restore(KNOWN)
            with torch.random.fork_rng(devices=[]):  # the notebook's random stream stays untouched
                yield
    finally:
        restore(saved)


@contextmanager
def kept_state() -> Iterator[list[str]]:
    """Run learner code; afterwards the state is as before, and the list says what the code had changed."""
    saved, changed = current(), []
    try:
        yield changed
    finally:
        changed.extend(current().differences(saved))
        restore(saved)
