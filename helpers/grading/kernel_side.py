"""The code the grader runs INSIDE a learner's process, after the learner's cells (never imported by learners).

The learner's process (learner.py) compiles this file's text, read by the worker before any learner code
ran, in a fresh namespace (so a learner's global named `open` or `check` is never seen) and calls
`grade(user_namespace, spec)`. Each exercise is checked
in a forked child of the kernel: it holds the learner's objects but none of their threads, drops every
`helpers*` module, loads the course helpers from the sources the grader read before any learner code
ran, and writes its verdict (with the grader's nonce) to a file in a folder made after the learner's
cells ran. A check that hangs or kills its process costs only that exercise.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import json
import os
import signal
import sys
import time
from typing import Any

_LIMIT = 600  # characters kept of a message: a learner's repr can be huge


def reset_hooks() -> None:
    """Undo what a learner's code can hook into the next cells: IPython events, transformers, tracers."""
    import threading

    sys.settrace(None)
    sys.setprofile(None)
    threading.settrace(None)
    threading.setprofile(None)
    from IPython import get_ipython
    from IPython.core.inputtransformer2 import TransformerManager

    shell = get_ipython()
    if shell is not None:
        for event in list(shell.events.callbacks):
            shell.events.callbacks[event] = []
        shell.ast_transformers = []
        shell.input_transformers_post = []
        shell.input_transformer_manager = TransformerManager()


def grade(user_ns: dict, spec: dict) -> None:
    """Check every exercise of `spec` against the learner's globals; one result file per exercise."""
    import torch  # noqa: F401  (loaded once here, so forked children do not each import it)

    for index, (exercise_id, names) in enumerate(spec["exercises"]):
        path = os.path.join(spec["result_dir"], f"{index}.json")
        if not hasattr(os, "fork"):  # no fork (Windows): check in this process, without isolation
            _write(path, spec["nonce"], _check_one(user_ns, spec, exercise_id, names))
            continue
        pid = os.fork()
        if pid == 0:
            _child(user_ns, spec, exercise_id, names, path)
        verdict = _wait(pid, spec["check_timeout"])
        if not os.path.exists(path):
            _write(path, spec["nonce"], {"exercise": exercise_id, "status": "failed", "message": verdict[0],
                                         "hint": verdict[1]})


def _child(user_ns: dict, spec: dict, exercise_id: str, names: list[str], path: str) -> None:
    try:
        sys.settrace(None)
        sys.setprofile(None)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        sys.stdout = sys.stderr = open(null, "w", closefd=False)  # the learner's prints go nowhere
        result = _check_one(user_ns, spec, exercise_id, names)
    except BaseException as exc:  # noqa: BLE001  (whatever happens, the exercise gets a verdict)
        result = {"exercise": exercise_id, "status": "error", "hint": "",
                  "message": f"the grader could not check this exercise ({type(exc).__name__}: {exc})"}
    try:
        _write(path, spec["nonce"], result)
    finally:
        os._exit(0)


def _check_one(user_ns: dict, spec: dict, exercise_id: str, names: list[str]) -> dict:
    checking = _fresh_helpers(spec)
    try:
        import torch

        torch.set_num_threads(1)  # a forked child must not reuse the parent's OpenMP pool
    except Exception:  # noqa: BLE001
        pass
    missing = object()
    values = {name: user_ns.get(name, missing) for name in names}
    if all(value is missing for value in values.values()):
        listed = ", ".join(f"`{name}`" for name in names)
        return {"exercise": exercise_id, "status": "not_answered",
                "message": f"{listed} is not defined after your notebook runs top to bottom.",
                "hint": "Keep the exercise's answer cell, then run the whole notebook from the top to see what is missing."}
    answers = {name: (... if value is missing else value) for name, value in values.items()}
    with _plain_torch():
        result = checking.run_check(exercise_id, answers, seed=spec["seed"]).as_dict()
    return {key: str(result[key])[:_LIMIT] for key in ("exercise", "status", "message", "hint")}


def _plain_torch() -> Any:
    """Drop torch function/dispatch modes the learner left pushed, and ignore tensor subclasses'
    __torch_function__ during the check (either could make torch.allclose say True)."""
    import contextlib

    try:
        import torch

        while torch._C._len_torch_function_stack() > 0:
            torch._C._pop_torch_function_stack()
        while torch._C._len_torch_dispatch_stack() > 0:
            torch._C._pop_torch_dispatch_stack()
        return torch._C.DisableTorchFunctionSubclass()
    except (ImportError, AttributeError):  # another torch version: check without the guard
        return contextlib.nullcontext()


def _fresh_helpers(spec: dict) -> Any:
    """Drop every helpers* module and import the course's own, from the sources the grader read."""
    for name in list(sys.modules):
        if name == "helpers" or name.startswith("helpers."):
            del sys.modules[name]
    sys.meta_path.insert(0, _SourceFinder(spec["sources"]))
    checking = importlib.import_module("helpers.checking")
    for name in sorted(spec["sources"]):
        if name.startswith("helpers.checks."):
            importlib.import_module(name)
    for number, (filename, source) in enumerate(spec["extra"]):  # extra rule files (tests, fixtures)
        module = type(sys)(f"helpers.checks._extra_{number}")
        module.__file__ = filename
        sys.modules[module.__name__] = module
        exec(_code(source, filename), module.__dict__)  # noqa: S102
    return checking


def _code(source: Any, filename: str) -> Any:
    """A module's code: compiled by the worker before any learner code ran, or compiled here from its text."""
    return source if isinstance(source, type(_code.__code__)) else compile(source, filename, "exec")


class _SourceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves `helpers` and its submodules from in-memory sources; refuses every other helpers.* name."""

    def __init__(self, sources: dict) -> None:
        self.sources = sources

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "helpers" and not fullname.startswith("helpers."):
            return None
        if fullname not in self.sources:
            raise ModuleNotFoundError(f"the grader's copy of the course helpers has no {fullname!r}", name=fullname)
        filename, _, is_package = self.sources[fullname]
        found = importlib.util.spec_from_loader(fullname, self, origin=filename, is_package=is_package)
        found.has_location = True
        return found

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        filename, source, _ = self.sources[module.__name__]
        exec(_code(source, filename), module.__dict__)  # noqa: S102


def _wait(pid: int, limit: float) -> tuple[str, str]:
    """Wait for a checking child; kill it after `limit` seconds. Returns the message for a missing verdict."""
    deadline, pause = time.monotonic() + limit, 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return (f"checking this answer took longer than {limit:g} s and was stopped.",
                    "Look for an endless loop, or work that grows much faster than the input, in your code.")
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    how = f"signal {-os.waitstatus_to_exitcode(status)}" if os.WIFSIGNALED(status) else \
        f"exit code {os.waitstatus_to_exitcode(status)}"
    return (f"checking this answer ended the Python process ({how}) before a verdict.",
            "Your code must not call os._exit, sys.exit or anything that crashes the interpreter.")


def _write(path: str, nonce: str, result: dict) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps({"nonce": nonce, **result}).encode())
    finally:
        os.close(fd)
