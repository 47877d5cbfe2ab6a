"""Grade one learner's notebook on a worker (pool.py), and turn what happened into a status and notes.

The learner's code cells run top to bottom on a copy in a job folder (outputs and metadata dropped),
with a time budget for the whole notebook: each cell gets what is left, a timed-out cell is interrupted
and the next cells still run until the budget's hard end. Then a judge that never ran learner code checks
the answers through the channel (worker.py, channel.py), and reports tampering it found. When
the learner's process dies, or is killed at the hard deadline, the notebook is run again without the
cell that did it (at most `reruns` times), so the other exercises still count.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers.grading import isolate


@dataclass(frozen=True)
class Settings:
    """Everything a notebook run needs besides the notebook: limits, seed, helpers' sources, sandbox."""

    timeout: float
    check_timeout: float
    seed: int
    memory: int
    extra: list
    workroot: Path
    read_roots: list[str] | None  # None: no Landlock sandbox
    threads: int = 1
    reruns: int = 2

    def for_worker(self) -> dict:
        """What every worker gets once, as plain data."""
        return {"seed": self.seed, "memory": self.memory, "extra": self.extra,
                "workroot": str(self.workroot), "read_roots": self.read_roots, "threads": self.threads}


_STATUSES = ("passed", "failed", "not_answered", "error")


def run_notebook_flags(sources: list[str], exercises: list[tuple[str, list[str]]], settings: Settings,
                       run_job) -> tuple[str, list[str], dict[str, dict], list[str]]:  # noqa: ANN001
    """Run and check one notebook with `run_job(job) -> outcome`; return (status, notes, results by id,
    tampering found)."""
    skip: set[int] = set()
    status, notes, regraded = "ok", [], False
    for _ in range(settings.reruns + 1):
        run = run_job({"sources": sources, "skip": sorted(skip), "exercises": exercises,
                       "timeout": settings.timeout, "check_timeout": settings.check_timeout})
        if "error" in run:
            return "grader error", [f"the grader failed: {run['error']}"], {}, []
        if run["timed_out"] or run["not_run"]:
            status = "timeout" if status == "ok" else status
            for i in run["timed_out"]:
                _note(notes, f"code cell {i + 1} ({_first_line(sources[i])}) ran out of the notebook's "
                             f"{settings.timeout:g} s and was interrupted")
            if run["not_run"]:
                listed = ", ".join(str(i + 1) for i in run["not_run"])
                _note(notes, f"code cells {listed} did not run: the notebook's time was up")
        culprit = run["running"] if run["phase"] == "cells" else None
        if culprit is not None:
            died = not run["deadline"]
            status = "kernel died" if died else "timeout"
            what = "the kernel died in" if died else "the kernel never came back from"
            _note(notes, f"{what} code cell {culprit + 1} ({_first_line(sources[culprit])}); "
                         "ran the notebook again without it")
            skip.add(culprit)
        elif run["phase"] == "checks" and not run["deadline"] and not regraded:
            status, regraded = "kernel died", True
            _note(notes, "the kernel died while the answers were checked; ran the notebook again")
        else:
            break
    if run["deadline"] and run["phase"] == "checks":
        status = "timeout"
        _note(notes, "the notebook's process outlived every time limit and was stopped by the grader")
    if run.get("deleted_work"):
        status = "deleted its working folder" if status == "ok" else status
        _note(notes, "the notebook deleted its own working folder")
    if run["phase"] == "cells" and run["exit"] not in (0, isolate.DEADLINE_EXIT):
        _note(notes, f"the notebook's process ended with code {run['exit']} outside any cell")
    return status, notes, _valid(run.get("results"), exercises), sorted(set(run.get("tampering", [])))


def _valid(verdicts: object, exercises: list) -> dict[str, dict]:
    """The judge's verdicts, each for an exercise of this notebook with a known status."""
    out: dict[str, dict] = {}
    for exercise_id, _ in exercises:
        data = verdicts.get(exercise_id) if isinstance(verdicts, dict) else None
        if isinstance(data, dict) and data.get("exercise") == exercise_id and data.get("status") in _STATUSES:
            out[exercise_id] = {k: str(data.get(k, "")) for k in ("exercise", "status", "message", "hint")}
    return out


def _note(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)


def _first_line(source: str) -> str:
    line = next((ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
    return f"`{line[:60]}`" if line else "an empty cell"
