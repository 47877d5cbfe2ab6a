"""How the course starts JupyterLab: one command line (make lab, the README, the browser journey test)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIRST_LESSON = "notebooks/00_welcome.ipynb"
# JupyterLab defaults for the course's environment: no first-launch "Would you like to get notified about
# official Jupyter news?" box, and no update check over the network (a workshop room may be offline).
LAB_DEFAULTS: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def lab_arguments() -> list[str]:
    """`jupyter lab`'s arguments, run from the course's root folder: serve that folder, open lesson 00.

    Without `root_dir`, a file argument makes Jupyter serve the file's own folder (notebooks/), and every
    link to exercises/ or solutions/ would point outside the server.
    """
    args = ["--ServerApp.root_dir=.", FIRST_LESSON]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(0, "--allow-root")  # Jupyter refuses root without it (containers, CI)
    return args


def lab_command() -> list[str]:
    """The whole command line, with this environment's Python."""
    return [sys.executable, "-m", "jupyter", "lab", *lab_arguments()]


def defaults_path(prefix: str = sys.prefix) -> Path:
    """Where JupyterLab reads an environment's setting defaults, one file per package (overrides.d)."""
    return Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / "autograd-sharp-edges.json"


def install_lab_defaults(prefix: str = sys.prefix) -> Path:
    """Write LAB_DEFAULTS into the environment at `prefix` (idempotent); return the file's path."""
    path = defaults_path(prefix)
    text = json.dumps(LAB_DEFAULTS, indent=1) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Start JupyterLab on the course (`--defaults-only`: just install the defaults). Ctrl+C twice stops it."""
    argv = sys.argv[1:] if argv is None else argv
    install_lab_defaults()
    if argv == ["--defaults-only"]:
        return 0
    if not Path(FIRST_LESSON).is_file():
        print(f"Run this from the course's folder (the one holding {FIRST_LESSON}); this is {Path.cwd()}.")
        return 2
    command = lab_command()
    if os.name == "posix":  # replace this process, so Ctrl+C reaches Jupyter alone
        os.execv(command[0], command)
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
