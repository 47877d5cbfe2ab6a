"""The code the grader runs INSIDE a learner's process, after the learner's cells (never imported by learners).

The learner's process (learner.py) compiles this file's text, read by the worker before any learner code
ran, in a fresh namespace (so a learner's global named `open` or `check` is never seen) and calls
`grade(user_namespace, spec)`. The exercises are checked in turn
in a forked child of the learner's process: it holds the learner's objects but none of their threads,
drops every `helpers*` module, loads the course helpers from the code the worker compiled before any
learner code ran, and writes each verdict (with the grader's nonce) to a file in a folder made after
the learner's cells ran. A check that hangs or kills its process costs only that exercise: a new child
checks the ones after it.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import json
import os
import select
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

    pending = list(enumerate(spec["exercises"]))
    if not hasattr(os, "fork"):  # no fork (Windows): check in this process, without isolation
        checking = _fresh_helpers(spec)
        for index, (exercise_id, names) in pending:
            _write(_path(spec, index), spec["nonce"], _check_one(checking, user_ns, spec, exercise_id, names))
        return
    while pending:  # one child checks the exercises in turn; after a hang or a crash, a new one goes on
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            _child(user_ns, spec, pending, write)
        os.close(write)
        try:
            pending = _follow(pid, read, spec, pending)
        finally:
            os.close(read)


def _path(spec: dict, index: int) -> str:
    return os.path.join(spec["result_dir"], f"{index}.json")


def _follow(pid: int, read: int, spec: dict, pending: list) -> list:
    """Wait for each verdict in turn (`check_timeout` each); return the exercises left after a hang or a crash."""
    for position, (index, (exercise_id, _)) in enumerate(pending):
        deadline, message = time.monotonic() + spec["check_timeout"], None
        while message is None and not os.path.exists(_path(spec, index)):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                message = _too_long(spec["check_timeout"])
            elif not os.read(read, 64):  # the child ended
                message = _wait(pid, spec["check_timeout"])
        if message is not None:
            if not os.path.exists(_path(spec, index)):
                _write(_path(spec, index), spec["nonce"], {"exercise": exercise_id, "status": "failed",
                                                           "message": message[0], "hint": message[1]})
            return pending[position + 1:]
    _wait(pid, spec["check_timeout"])
    return []


def _child(user_ns: dict, spec: dict, pending: list, done: int) -> None:
    try:
        sys.settrace(None)
        sys.setprofile(None)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        sys.stdout = sys.stderr = open(null, "w", closefd=False)  # the learner's prints go nowhere
        checking = _fresh_helpers(spec)
        for index, (exercise_id, names) in pending:
            try:
                result = _check_one(checking, user_ns, spec, exercise_id, names)
            except BaseException as exc:  # noqa: BLE001  (whatever happens, the exercise gets a verdict)
                result = {"exercise": exercise_id, "status": "error", "hint": "",
                          "message": f"the grader could not check this exercise ({type(exc).__name__}: {exc})"}
            _write(_path(spec, index), spec["nonce"], result)
            os.write(done, b".")
    finally:
        os._exit(0)


def _check_one(checking: Any, user_ns: dict, spec: dict, exercise_id: str, names: list[str]) -> dict:
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
            return _too_long(limit)
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    how = f"signal {-os.waitstatus_to_exitcode(status)}" if os.WIFSIGNALED(status) else \
        f"exit code {os.waitstatus_to_exitcode(status)}"
    return (f"checking this answer ended the Python process ({how}) before a verdict.",
            "Your code must not call os._exit, sys.exit or anything that crashes the interpreter.")


def _too_long(limit: float) -> tuple[str, str]:
    return (f"checking this answer took longer than {limit:g} s and was stopped.",
            "Look for an endless loop, or work that grows much faster than the input, in your code.")


def _write(path: str, nonce: str, result: dict) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps({"nonce": nonce, **result}).encode())
    finally:
        os.close(fd)
