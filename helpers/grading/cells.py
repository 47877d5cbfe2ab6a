"""Run a notebook's code cells in the learner's process the way JupyterLab's kernel runs them.

An IPython InteractiveShell (the class ipykernel's shell extends) runs each cell: magics, `display`, rich
reprs (`_repr_html_` and friends are computed as for a front end) and `%matplotlib inline` figures work.
What the cells print or display is kept only up to a small cap and then dropped: the grader needs none
of it, and a notebook printing gigabytes must not cost memory. Each cell gets what is left of the
notebook's time budget; a cell that runs past it is interrupted with KeyboardInterrupt (what the stop
button does), and the next cells still run until the hard end of the budget.
"""
from __future__ import annotations

import io
import signal
import sys
import time
from typing import Any, Callable

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

CAP = 64 * 1024  # characters of output kept per notebook (the inline backend is set by worker.py)


class Sink:
    """Where a notebook's output goes: the first CAP characters are kept, the rest only counted."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0
        self.formats: set[str] = set()  # the MIME types displayed (tests look for image/png)

    def add(self, text: str) -> None:
        room = CAP - sum(map(len, self.kept)) if self.size < CAP else 0
        if room > 0:
            self.kept.append(text[:room])
        self.size += len(text)


class _Stream(io.TextIOBase):
    def __init__(self, sink: Sink, name: str) -> None:
        self.sink, self.name = sink, name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.sink.add(str(text))
        return len(text)


class _Publisher(DisplayPublisher):
    """display(...) and inline figures: the formats were computed (as in Lab); only text/plain is kept."""

    sink: Sink | None = None

    def publish(self, data: dict, metadata: Any = None, source: Any = None, *, transient: Any = None,
                update: bool = False, **kwargs: Any) -> None:
        if self.sink is not None:
            self.sink.formats.update(map(str, data))
            self.sink.add(str(data.get("text/plain", ""))[:CAP] + "\n")

    def clear_output(self, wait: bool = False) -> None:
        pass


class _DisplayHook(DisplayHook):
    """A cell's last value: formatted with every active format, as ipykernel's display hook does."""

    sink: Sink | None = None

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict: dict, md_dict: Any = None) -> None:
        if self.sink is not None:
            self.sink.formats.update(map(str, format_dict))
            self.sink.add(str(format_dict.get("text/plain", ""))[:CAP] + "\n")


class GraderShell(InteractiveShell):
    """ipykernel's shell without the kernel: figures go inline, `exit()` does not end the notebook."""

    display_pub_class = _Publisher
    displayhook_class = _DisplayHook

    def enable_gui(self, gui: str | None = None) -> None:
        """`%matplotlib inline` needs no event loop (ipykernel's shell has one for Qt or Tk)."""

    def ask_exit(self) -> None:
        """`exit()` and `quit()` in a cell: the grader runs the notebook to its end, as before."""


def make_shell() -> InteractiveShell:
    """The shell every learner process inherits: no history file, rich display, plain tracebacks."""
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    return GraderShell.instance(config=config)


def attach(shell: InteractiveShell, sink: Sink) -> None:
    """Send the process's prints, displays and results to `sink` (in the learner's process only)."""
    shell.display_pub.sink = shell.displayhook.sink = sink
    sys.stdout, sys.stderr = _Stream(sink, "<stdout>"), _Stream(sink, "<stderr>")


def run_cells(shell: InteractiveShell, cells: list[tuple[int, str]], timeout: float,
              report: Callable[[dict], None]) -> dict:
    """Run (index, source) cells; returns {"timed_out": [...], "not_run": [...]} by index.

    The notebook's `timeout` is a hard budget: the cell that spends it is interrupted, no later cell runs."""
    end = time.monotonic() + timeout
    state = {"armed": False, "fired": False}

    def interrupt(signum: int, frame: Any) -> None:
        if state["armed"]:
            state["fired"] = True
            raise KeyboardInterrupt("the cell ran out of the notebook's time and was interrupted")

    timed_out, not_run = [], []
    for index, source in cells:
        now = time.monotonic()
        if now >= end:
            not_run.append(index)
            continue
        limit = end - now
        state["fired"] = False
        report({"event": "start", "cell": index})
        try:
            signal.signal(signal.SIGALRM, interrupt)
            state["armed"] = True
            signal.setitimer(signal.ITIMER_REAL, limit)
            shell.run_cell(source, store_history=True)
        except KeyboardInterrupt:  # raised outside the cell's own code (IPython's compile step, say)
            pass
        finally:
            state["armed"] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        if state["fired"]:
            timed_out.append(index)
        report({"event": "done", "cell": index, "timed_out": state["fired"]})
    return {"timed_out": timed_out, "not_run": not_run}
