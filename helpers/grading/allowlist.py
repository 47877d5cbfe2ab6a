"""What a notebook's process may read: the environment, the course's package and its own job folder, nothing else.

Landlock grants a notebook's process reads under this list (plus its own job folder) and writes only in its
job folder, so `.git`, `tests/`, `solutions/` and other learners are out of its reach; isolate.py gives it
its own PID namespace (every process a notebook starts dies with it) and network namespace (no network).
Where Landlock cannot run, the grader needs an explicit unsafe flag and checks the checkout and the
environment afterwards (`tree_state`). bubblewrap is not used: it wraps a command, and the fork engine
forks each notebook's process from a worker that has already imported torch.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HELPERS = Path(__file__).resolve().parent.parent
ROOT = HELPERS.parent


def allowed_paths() -> list[str]:
    """Folders a notebook's process may read: the system, Python and its packages, the course's helpers package."""
    paths = ["/usr", "/etc", sys.base_prefix, sys.prefix, str(HELPERS)]
    for entry in sys.path:  # site-packages outside the prefix (a user site, a system dist-packages)
        real = os.path.realpath(entry) if entry else ""
        if real and os.path.isdir(real) and not _inside(real, str(ROOT)) and real != "/":
            paths.append(real)
    kept: list[str] = []
    for path in sorted({os.path.realpath(p) for p in paths if os.path.exists(p)}):
        if not any(_inside(path, k) for k in kept):
            kept.append(path)
    return kept


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def landlock_roots() -> list[str]:
    """Landlock's readable roots: the allow-list plus what a process needs from /proc, /sys and /dev."""
    return [*allowed_paths(), "/proc", "/sys", "/dev"]


def tree_state(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file under `folders` (to find what an unsandboxed notebook changed)."""
    state: dict[str, tuple[int, int]] = {}
    for folder in folders:
        for base, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                path = os.path.join(base, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                state[path] = (info.st_size, info.st_mtime_ns)
    return state


def changed_files(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """Files added, removed or changed between two `tree_state`s."""
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
