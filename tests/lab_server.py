"""Start and stop a throw-away JupyterLab for browser tests (not a test module itself)."""
from __future__ import annotations

import contextlib
import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

# User settings that keep the page quiet and deterministic: no news toast, no autosave (a test
# must never write outputs back), no windowing (else off-screen cells are missing from the DOM).
SETTINGS: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def free_port() -> int:
    """A loopback port that was free a moment ago (the OS picks it when binding port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """JupyterLab serving `root`, with its settings, workspaces and runtime files under `scratch`."""

    def __init__(self, root: Path, scratch: Path, extra_args: list[str] | None = None,
                 settings: dict[str, dict[str, object]] | None = None) -> None:
        self.root, self.scratch = root, scratch
        self.extra_args = list(extra_args or [])  # e.g. helpers.lab.lab_arguments(), as `make lab` runs it
        self.settings = SETTINGS if settings is None else settings
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = scratch / "jupyterlab.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.kernels: dict[int, psutil.Process] = {}  # by pid; Process objects survive pid reuse

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("settings", "workspaces", "runtime", "config"):
            (self.scratch / name).mkdir(parents=True, exist_ok=True)
        env["JUPYTERLAB_SETTINGS_DIR"] = str(self.scratch / "settings")
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(self.scratch / "workspaces")
        env["JUPYTER_RUNTIME_DIR"] = str(self.scratch / "runtime")
        env["JUPYTER_CONFIG_DIR"] = str(self.scratch / "config")  # ignore the user's ~/.jupyter
        env.pop("MPLBACKEND", None)  # e.g. Agg in CI would stop the kernel drawing inline PNGs
        for plugin, values in self.settings.items():
            path = self.scratch / "settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return env

    def start(self, timeout: float = 60.0) -> float:
        """Launch the server in its own session; wait for /api/status; return seconds taken."""
        args = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
                f"--port={self.port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                "--LabApp.expose_app_in_browser=True", "--ServerApp.terminals_enabled=False", *self.extra_args]
        if not any(arg.startswith("--ServerApp.root_dir=") for arg in self.extra_args):
            args.append(f"--ServerApp.root_dir={self.root}")  # extra_args run from `root` (cwd) may set it
        if os.geteuid() == 0:
            args.append("--allow-root")
        start = time.perf_counter()
        self.scratch.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, cwd=self.root, env=self._environment(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        request = urllib.request.Request(f"{self.url}/api/status",
                                         headers={"Authorization": f"token {self.token}"})
        while time.perf_counter() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"JupyterLab not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def page_url(self, notebook: str) -> str:
        """Address of a notebook in the lab, old tabs reset, logged in by token."""
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def opened_url(self) -> str:
        """The address Jupyter would open in a browser for the file it was given (its redirect file)."""
        found = sorted((self.scratch / "runtime").glob("jpserver-file-to-run-*-open.html"))
        if not found:
            raise FileNotFoundError("JupyterLab wrote no file-to-run redirect: was it given a file to open?")
        match = re.search(r'href="([^"]+)"', found[-1].read_text())
        if match is None:
            raise ValueError(f"no address in {found[-1]}")
        return html.unescape(match.group(1))

    def _remember_kernels(self) -> None:
        """Note the server's child processes (its kernels), to be sure they die with it."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(psutil.Error):  # the server may have just exited
                for child in psutil.Process(self.proc.pid).children(recursive=True):
                    self.kernels.setdefault(child.pid, child)

    def stop(self, timeout: float = 20.0) -> list[int]:
        """SIGTERM the server's process group and wait; kill kernels left behind and return their pids."""
        if self.proc is None:
            return []
        self._remember_kernels()
        if self.proc.poll() is None:  # not yet reaped, so its group id cannot have been reused
            os.killpg(self.proc.pid, signal.SIGTERM)  # the server shuts its kernels down itself
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # kernels run in sessions of their own, so the group signal does not reach them
        leftovers = psutil.wait_procs(list(self.kernels.values()), timeout=5)[1]
        for proc in leftovers:
            proc.kill()
        return [proc.pid for proc in leftovers]

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log, for failure messages."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def browser_missing_reason() -> str | None:
    """Why a browser test cannot run here (no playwright, no chromium), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError as error:
        return f"playwright cannot be imported ({error}); pip install -r requirements.txt"
    if shutil.which("chromium") is None:
        return "no `chromium` on PATH (Debian: apt-get install chromium; `playwright install` fails here)"
    return None


def phase_timings(request: Any, folder: Path) -> Iterator[dict[str, float]]:
    """Body of a `timings` fixture: seconds per phase, printed and kept in <folder>/timings-<test>.json."""
    found: dict[str, float] = {}
    start = time.perf_counter()
    yield found
    found["whole test"] = time.perf_counter() - start
    print({name: round(value, 2) for name, value in found.items()})
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"\W+", "-", request.node.name).strip("-")
    (folder / f"timings-{name}.json").write_text(json.dumps(found, indent=1))
