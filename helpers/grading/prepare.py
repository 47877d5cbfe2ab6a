"""What the grader sets up once, before any learner code runs: helpers' sources, kernelspec, sandbox plan."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from helpers.grading import allowlist, sandbox

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


def write_kernelspec(folder: Path, name: str, message_interrupts: bool = False) -> list[str]:
    """A kernelspec that starts ipykernel through kernel_boot.py (memory cap and sandbox first)."""
    spec_dir = folder / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    boot = Path(__file__).resolve().parent / "kernel_boot.py"
    spec = {"argv": [sys.executable, str(boot), "-f", "{connection_file}"], "display_name": "grader",
            "language": "python",
            "interrupt_mode": "message" if message_interrupts else "signal",  # bwrap does not pass SIGINT on
            "metadata": {"debugger": False}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return [str(folder)]


def sandbox_plan(mode: str = "auto") -> tuple[list[str] | None, list[str] | None, str]:
    """(bwrap arguments, Landlock roots, a line for the summary); both None when no sandbox can run.

    mode: "auto" (bubblewrap, else Landlock), "bwrap", "landlock", or "none"."""
    if mode in ("auto", "bwrap"):
        args = allowlist.bwrap_args()
        if args is not None:
            return args, None, (f"bubblewrap: kernels see only {len(allowlist.allowed_paths())} read-only folders "
                                "and their own; own PID namespace, no network")
    abi = sandbox.landlock_abi() if mode in ("auto", "landlock") else 0
    if abi >= 1:
        scope = ", no signals to the grader" if abi >= 6 else ""
        return None, allowlist.landlock_roots(), (f"Landlock ABI {abi}: kernels read only the allow-list and "
                                                  f"write only their own folder{scope} (no PID namespace)")
    why = "switched off" if mode == "none" else "neither bubblewrap nor Landlock can run here"
    return None, None, f"NO SANDBOX ({why}): grading was unsafe"


def memory_baseline_note(limit: int) -> str:
    """How the memory cap reads in the summary."""
    return f"address space capped at {limit / 2**30:.1f} GiB per kernel (torch alone maps about 1.5 GiB)"


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
