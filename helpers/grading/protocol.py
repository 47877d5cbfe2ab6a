"""What crosses between the grader and a learner's kernel: the grader's cells, the kernel's environment, verdicts."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_KERNEL_SIDE = (Path(__file__).parent / "kernel_side.py").read_text()
_CHANNEL = (Path(__file__).parent / "channel.py").read_text()  # read once, before any learner code runs


def trampoline(call: str, args: str = "") -> str:
    """A cell that runs kernel_side.py in a fresh namespace, out of reach of the learner's globals."""
    return ("import builtins as __grader_b\n"
            "__grader_ns = {'__builtins__': __grader_b, '__name__': '__grader__'}\n"
            f"__grader_b.exec(__grader_b.compile({_KERNEL_SIDE!r}, '<grader>', 'exec'), __grader_ns)\n"
            f"__grader_ns[{call!r}]({args})\n")


def serve_cell(path: str) -> str:
    """A cell that runs channel.py in a fresh namespace and serves the checker on the socket at `path`."""
    return ("import builtins as __grader_b\n"
            "__grader_ns = {'__builtins__': __grader_b, '__name__': '__grader_channel__'}\n"
            f"__grader_b.exec(__grader_b.compile({_CHANNEL!r}, '<grader-channel>', 'exec'), __grader_ns)\n"
            f"__grader_ns['serve_path'](__grader_b.globals(), {path!r})\n")


def kernel_env(job: Path, work: Path, settings: Any) -> dict[str, str]:
    """The kernel's environment: limits for kernel_boot.py, its own temp and IPython folders, thread count."""
    env = dict(os.environ)
    for name in ("GRADER_SANDBOX", "JPY_SESSION_NAME"):
        env.pop(name, None)
    limits: dict = {"memory": settings.memory}
    writable = [str(work), str(job / "k")]
    if settings.bwrap is not None:  # the allow-list, then this job: its folder read-only, two folders writable
        limits["bwrap"] = [*settings.bwrap, "--ro-bind", str(job), str(job),
                           *[a for w in writable for a in ("--bind", w, w)], "--chdir", str(work)]
    elif settings.read_roots is not None:
        limits.update(read=[*settings.read_roots, str(job)], write=writable)
    env.update(GRADER_SANDBOX=json.dumps(limits), TMPDIR=str(work / "tmp"), IPYTHONDIR=str(job / "k" / "ipython"),
               HOME=str(work / "tmp"), MPLCONFIGDIR=str(job / "k" / "mpl"), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="agg",
               OMP_NUM_THREADS=str(settings.threads), MKL_NUM_THREADS=str(settings.threads))
    return env


def read_results(folder: Path, nonce: str, exercises: list) -> dict[str, dict]:
    """Verdicts written by the grading cell; a file without the nonce or for another exercise is ignored."""
    results: dict[str, dict] = {}
    for index, (exercise_id, _) in enumerate(exercises):
        try:
            data = json.loads((folder / f"{index}.json").read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("nonce") == nonce and data.get("exercise") == exercise_id \
                and data.get("status") in ("passed", "failed", "not_answered", "error"):
            results[exercise_id] = {k: str(data.get(k, "")) for k in ("exercise", "status", "message", "hint")}
    return results
