"""The grader's side of the workers: start them (all at once, so their imports overlap), hand out notebooks.

Each worker is a `python -m helpers.grading.worker` process talking JSON lines over its stdin and stdout.
A worker that dies (it should not: learner code never runs in it) is replaced, and the notebook it was
running is reported as a grader error rather than lost.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent.parent


class WorkerDied(Exception):
    """The worker process ended or answered nonsense."""


class Worker:
    """One fork server; `run(job)` grades one notebook in it."""

    def __init__(self, env: dict[str, str], log: IO[bytes], settings: dict | None = None) -> None:
        self.settings, self.env, self.log = settings, env, log
        self.proc: subprocess.Popen | None = None
        self._start()

    def _start(self) -> None:
        """Start the process; it imports torch at once, and waits for its settings only after that."""
        self.proc = subprocess.Popen([sys.executable, "-m", "helpers.grading.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, cwd=ROOT, env=self.env,
                                     text=True, encoding="utf-8")
        self._ready = False
        if self.settings is not None:
            self.configure(self.settings)

    def configure(self, settings: dict) -> None:
        """Send the settings every notebook shares (limits, seed, the helpers' sources, the sandbox)."""
        self.settings = settings
        self.proc.stdin.write(json.dumps(settings) + "\n")
        self.proc.stdin.flush()

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        try:
            return json.loads(line)
        except ValueError:
            raise WorkerDied(f"the worker stopped (exit code {self.proc.poll()}); see its log") from None

    def ready(self) -> dict:
        """Wait until the worker has imported everything; its answer holds the exercises' registry."""
        if not self._ready:
            self.info = self._answer()
            self._ready = True
        return self.info

    def run(self, job: dict) -> dict:
        """Send one notebook, wait for its outcome; on a dead worker start a new one and raise WorkerDied."""
        try:
            self.ready()
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
            return self._answer()
        except (WorkerDied, OSError) as exc:
            self.close()
            self._start()
            raise WorkerDied(str(exc)) from None

    def close(self) -> None:
        """Stop the worker: closing its stdin ends its loop; kill it if it does not end."""
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class Pool:
    """`n` workers; `borrow()` / `give_back()` one at a time from the grading threads."""

    def __init__(self, n: int, env: dict[str, str], log: IO[bytes]) -> None:
        began = time.monotonic()
        self.workers = [Worker(env, log) for _ in range(n)]
        self.free: queue.Queue[Worker] = queue.Queue()
        for worker in self.workers:
            self.free.put(worker)
        self.seconds = {"notebook": 0.0, "cells": 0.0, "checks": 0.0}  # summed over notebooks, for the summary
        self.began, self.startup = began, 0.0
        self._lock = threading.Lock()

    def configure(self, settings: dict) -> dict[str, list]:
        """Hand every worker its settings (they have been importing in the meantime); return the registry
        of exercises {id: [title, answer names]} that the first one found."""
        for worker in self.workers:
            worker.configure(settings)
        registry = self.workers[0].ready().get("registry")
        self.startup = time.monotonic() - self.began  # until the first worker had imported everything
        if not isinstance(registry, dict):
            raise WorkerDied("the worker did not start; see its log")
        return registry

    def run(self, job: dict) -> dict:
        """Grade one notebook on the next free worker."""
        worker = self.free.get()
        try:
            outcome = worker.run(job)
        finally:
            self.free.put(worker)
        with self._lock:
            for key in self.seconds:
                value = outcome.get("seconds" if key == "notebook" else f"{key}_seconds", 0.0)
                self.seconds[key] += value if isinstance(value, (int, float)) else 0.0
        return outcome

    def close(self) -> None:
        """Stop every worker."""
        for worker in self.workers:
            worker.close()


def worker_env(threads: int, workroot: Path) -> dict[str, str]:
    """The workers' environment: thread counts, their own IPython folder, no bytecode files written."""
    env = dict(os.environ)
    env.pop("JPY_SESSION_NAME", None)
    env.update(MPLBACKEND="module://matplotlib_inline.backend_inline", OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), PYTHONDONTWRITEBYTECODE="1", IPYTHONDIR=str(workroot / "ipython"),
               PYTHONUNBUFFERED="1")
    return env
