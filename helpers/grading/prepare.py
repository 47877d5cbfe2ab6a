"""What the grader sets up once, before any learner code runs: helpers' sources, sandbox plan."""
from __future__ import annotations

from pathlib import Path

from helpers.grading import sandbox

HELPERS = Path(__file__).resolve().parent.parent
ROOT = HELPERS.parent


def snapshot_sources(package: Path = HELPERS) -> dict[str, list]:
    """Module name -> [file name, source, is package] for the course helpers (the grader itself left out)."""
    sources: dict[str, list] = {}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("")
        parts = list(rel.parts)
        if "grading" in parts or parts[-1] == "grade" or "__pycache__" in parts:
            continue
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        sources[name] = [str(path), path.read_text(encoding="utf-8"), is_package]
    return sources


def sandbox_plan(protected: list[Path], enabled: bool = True) -> tuple[list[str] | None, str]:
    """Readable roots for Landlock (None when unavailable) and a one-line description for the summary."""
    abi = sandbox.landlock_abi() if enabled else 0
    if abi < 1:
        why = "switched off" if not enabled else "Landlock is not available on this system"
        return None, f"no file-system sandbox ({why}): protected folders are checked and restored afterwards"
    scope = ", no signals to the grader" if abi >= 6 else ""
    roots = sandbox.readable_roots([str(p) for p in protected])
    return roots, f"Landlock ABI {abi}: kernels write only their own folder{scope}; {len(protected)} paths hidden"


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
