"""The code the grader runs INSIDE a learner's kernel before it serves the checker: undo IPython hooks.

The grader sends this file's text in a cell that executes it in a fresh namespace (so a learner's global
named `open` or `check` is never seen) and calls `reset_hooks()`, so that the grader's next cell (which
runs channel.serve) is not rewritten by a learner's input transformer. No verdict is decided here: the
checker process judges (see channel.py).
"""
from __future__ import annotations

import sys


def reset_hooks() -> None:
    """Undo what a learner's code can hook into the next cells: IPython events, transformers, tracers."""
    import threading

    sys.settrace(None)
    sys.setprofile(None)
    threading.settrace(None)
    threading.setprofile(None)
    from IPython import get_ipython
    from IPython.core.inputtransformer2 import TransformerManager

    shell = get_ipython()
    if shell is not None:
        for event in list(shell.events.callbacks):
            shell.events.callbacks[event] = []
        shell.ast_transformers = []
        shell.input_transformers_post = []
        shell.input_transformer_manager = TransformerManager()
