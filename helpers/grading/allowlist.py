"""What a grading kernel may see: the environment, the course's package and its own job folder, nothing else.

bubblewrap builds the kernel's whole file system from named read-only binds (so `.git`, `tests/`,
`solutions/` and other learners do not exist for it), gives it its own PID namespace (every process a
notebook starts dies with its kernel) and no network. Where bwrap cannot run, Landlock grants reads under
the same list. Where neither can, the grader needs an explicit unsafe flag and checks the checkout and the
environment afterwards (`tree_state`).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HELPERS = Path(__file__).resolve().parent.parent
ROOT = HELPERS.parent


def allowed_paths() -> list[str]:
    """Folders a kernel may read: the system, Python and its packages, the course's helpers package."""
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


def bwrap_args() -> list[str] | None:
    """bubblewrap's arguments for the allow-list (the job's own binds are added per notebook), or None."""
    exe = shutil.which("bwrap")
    if exe is None or not sys.platform.startswith("linux"):
        return None
    args = [exe, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--new-session", "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for name in sorted(os.listdir("/")):
        top = "/" + name
        if os.path.islink(top) and os.readlink(top).lstrip("/").startswith("usr/"):
            args += ["--symlink", os.readlink(top), top]  # merged /usr: /bin -> usr/bin and friends
    for path in allowed_paths():
        args += ["--ro-bind", path, path]
    return args if _runs(args) else None


def _runs(args: list[str]) -> bool:
    """bwrap may be installed yet refused (no user namespaces in a container): try it once."""
    try:
        done = subprocess.run([*args, sys.executable, "-c", "import helpers"], capture_output=True, timeout=120,
                              cwd="/")
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def landlock_roots() -> list[str]:
    """Landlock's readable roots: the allow-list plus what a process needs from /proc, /sys and /dev."""
    return [*allowed_paths(), "/proc", "/sys", "/dev"]


def tree_state(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file under `folders` (to find what an unsandboxed kernel changed)."""
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
