"""What the grader sets up once, before any learner code runs: helpers' sources, sandbox plan."""
from __future__ import annotations

from pathlib import Path

from helpers.grading import allowlist, sandbox

HELPERS = Path(__file__).resolve().parent.parent
ROOT = HELPERS.parent


def sandbox_plan(mode: str = "auto") -> tuple[list[str] | None, str]:
    """Landlock's readable allow-list (None when no sandbox can run) and a line for the summary.

    mode: "auto" or "landlock" (the same: Landlock where the kernel has it), or "none". The fork engine
    cannot use bubblewrap (it wraps a command, not a forked child): the PID and network namespaces come from
    isolate.py, the file-system allow-list from Landlock."""
    abi = sandbox.landlock_abi() if mode in ("auto", "landlock") else 0
    if abi >= 1:
        scope = ", no signals to the grader" if abi >= 6 else ""
        return allowlist.landlock_roots(), (f"Landlock ABI {abi}: notebooks read only the allow-list "
                                            f"({len(allowlist.allowed_paths())} folders) and write only their own "
                                            f"folder{scope}")
    why = "switched off" if mode == "none" else "Landlock is not available here"
    return None, f"NO SANDBOX ({why}): grading was unsafe"


def memory_baseline_note(limit: int) -> str:
    """How the memory cap reads in the summary."""
    return (f"address space capped at {limit / 2**30:.1f} GiB per notebook "
            "(its process starts at about 0.7 GiB: torch, IPython, matplotlib)")


def snapshot_tree(folders: list[Path]) -> dict[Path, bytes]:
    """Every file under `folders` with its bytes (the fallback when kernels cannot be sandboxed)."""
    return {p: p.read_bytes() for f in folders if f.is_dir() for p in sorted(f.rglob("*")) if p.is_file()}


def restore_tree(snapshot: dict[Path, bytes], folders: list[Path]) -> list[str]:
    """Put `folders` back as they were in `snapshot`; return what had been changed."""
    changed = []
    for folder in (f for f in folders if f.is_dir()):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path not in snapshot:
                path.unlink()
                changed.append(f"removed {path}")
    for path, data in snapshot.items():
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            changed.append(f"restored {path}")
    return changed
