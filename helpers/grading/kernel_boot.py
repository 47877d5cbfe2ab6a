"""Start an IPython kernel inside the grader's sandbox. Run as a script by the grader's kernelspec.

The grader passes the limits in the GRADER_SANDBOX environment variable (JSON: memory cap in bytes,
and either bubblewrap's arguments, with which this script starts itself again inside `bwrap`, or
Landlock's readable roots and writable folders). They are applied here, before ipykernel and any learner code run,
and inherited by everything the kernel starts.
"""
import json
import os
import sys

if __name__ == "__main__":
    _here = sys.path.pop(0)  # this script's folder must not shadow the learner's imports
    sys.path.insert(0, _here)
    import sandbox  # noqa: E402  (a sibling file: helpers/ is not imported before the kernel starts)

    sys.path.remove(_here)
    del sys.modules["sandbox"]
    limits = json.loads(os.environ.pop("GRADER_SANDBOX", "{}"))
    if limits.get("bwrap"):  # start again inside bubblewrap (its allow-list, PID namespace, no network)
        argv = limits.pop("bwrap")
        os.environ["GRADER_SANDBOX"] = json.dumps(limits)
        os.environ.pop("JPY_PARENT_PID", None)  # ipykernel's parent poller misreads a PID namespace (parent = 1)
        os.execv(argv[0], [*argv, sys.executable, os.path.join(_here, "kernel_boot.py"), *sys.argv[1:]])
    sandbox.cap_memory(int(limits.get("memory", 0)))
    if limits.get("write"):
        sandbox.restrict(limits.get("read", []), limits["write"])
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
