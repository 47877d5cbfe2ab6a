"""The channel between a learner's process and the checker that judges it: learner code answers, never judges.

Two ends, one socket that only the grader hands out:

- `serve(namespace, conn)` runs INSIDE the learner's process after the learner's cells ran. It answers the
  checker's requests until the connection closes: look up a name, call a named learner function (or a
  class's `.apply`), and give the gradients of a call's outputs for upstream gradients the checker sends.
  Each request has its own time limit (`REQUEST_LIMIT`, SIGALRM) inside the learner's process.
- `judge(conn, exercises, seed)` runs in a CHECKER process that never executed learner code. The course's
  rules run there on proxies (helpers/grading/proxies.py) that stand in for the learner's answers: a call
  sends the inputs and gets the outputs back as tensors whose backward asks the learner for the input
  gradients, so rules that call .backward() and read .grad work unchanged. Returns {exercise id:
  CheckResult.as_dict()}.

What crosses, and why it is safe for the verdict:
- checker -> learner: pickle (the learner's side may trust the checker); tensors and generators travel as
  data with an id so that in-place changes come back; a checker function that cannot be imported by name
  (a lambda, a hook) becomes a callback the learner calls through the channel.
- learner -> checker: `torch.save` of plain data, read with `torch.load(weights_only=True)`: numbers,
  strings, bools, None, lists, tuples, dicts and plain tensors; never a learner-defined class or pickle.
  After each call the learner's copies of the checker's tensors come back (values, requires_grad, .grad),
  with the global RNG state and grad mode, so in-place updates and side effects are judged as in-process.
Frames are 8-byte big-endian lengths followed by the payload. This file imports only the standard library
and torch: the learner's process runs its source, compiled by the worker before any learner code ran.
"""
from __future__ import annotations

import io
import os
import pickle
import signal
import socket
import struct
import sys
import warnings
from typing import Any

REQUEST_LIMIT = 20.0      # seconds one request may take inside the learner's process
MAX_FRAME = 256 * 2**20   # a reply larger than this ends the channel (learner output is not kept)
_DEPTH = 32


def send_frame(conn: socket.socket, payload: bytes) -> None:
    """One length-prefixed frame."""
    conn.sendall(struct.pack(">Q", len(payload)) + payload)


def recv_frame(conn: socket.socket) -> bytes | None:
    """One frame, or None when the other end closed (or sent something too large)."""
    head = _recv_exact(conn, 8)
    if head is None:
        return None
    (size,) = struct.unpack(">Q", head)
    return None if size > MAX_FRAME else _recv_exact(conn, size)


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = conn.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def dump_plain(message: dict) -> bytes:
    """Plain data to bytes (torch.save: tensors keep dtype and shape)."""
    import torch

    buffer = io.BytesIO()
    torch.save(message, buffer)
    return buffer.getvalue()


def load_plain(payload: bytes) -> Any:
    """Bytes from the learner's side back to plain data; anything but plain types is refused."""
    import torch

    return torch.load(io.BytesIO(payload), weights_only=True)


# ---------------------------------------------------------------- learner side


class _Expired(BaseException):
    """A request ran out of its time limit (BaseException: learner code catching Exception cannot keep it)."""


class _Server:
    """The learner's end: answers lookups, calls and backward requests for one checker."""

    def __init__(self, namespace: dict, conn: socket.socket, limit: float) -> None:
        import torch

        self.torch, self.ns, self.conn, self.limit = torch, namespace, conn, limit
        self.refs: dict[int, Any] = {}      # checker id -> our copy (tensors, generators)
        self.back: dict[int, int] = {}      # id(our copy) -> checker id
        self.calls: dict[int, tuple[list, list]] = {}  # call id -> (outputs needing grad, inputs)

    def loop(self) -> None:
        while True:
            frame = recv_frame(self.conn)
            if frame is None:
                return
            request = pickle.loads(frame)  # noqa: S301  (from the checker, which the learner side may trust)
            reply = self.answer(request)
            reply["id"] = request["id"]
            send_frame(self.conn, dump_plain(reply))

    def answer(self, request: dict) -> dict:
        old = signal.signal(signal.SIGALRM, _expire)
        limit = float(request.get("limit") or self.limit)
        signal.setitimer(signal.ITIMER_REAL, limit, 0.5)  # re-fires, should learner code swallow one
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                reply = getattr(self, "do_" + request["op"])(request)
            reply["warnings"] = [str(w.message)[:300] for w in caught[:20]]
            return reply
        except _Expired:
            return {"error": ["TimeoutError", f"it ran longer than {limit:g} s"], "timeout": True}
        except BaseException as exc:  # noqa: BLE001  (whatever learner code raises becomes data)
            return {"error": [type(exc).__name__, str(exc)[:500]],
                    "not_implemented": isinstance(exc, NotImplementedError)}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
            signal.signal(signal.SIGALRM, old)

    def do_lookup(self, request: dict) -> dict:
        value = self.ns.get(request["name"], _MISSING)
        torch = self.torch
        if value is _MISSING:
            return {"kind": "missing"}
        if isinstance(value, type) and issubclass(value, torch.autograd.Function):
            return {"kind": "function_class", "name": str(value.__name__)}
        if callable(value) and not isinstance(value, torch.Tensor):
            return {"kind": "callable", "name": str(getattr(value, "__name__", type(value).__name__))}
        tensors: list = []
        plain = self.plain(value, tensors)
        for t in tensors:
            t.pop("obj")
        return {"kind": "value", "value": plain, "tensors": tensors}

    def do_facts(self, request: dict) -> dict:
        """What learner code left behind: its own threads, child processes, library functions it replaced."""
        import threading

        threads = [t.name for t in threading.enumerate() if _learner_made(getattr(t, "_target", None))
                   or _learner_made(getattr(type(t), "run", None))]
        children: list[str] = []
        try:
            if os.getpid() <= 3:  # in the notebook's own PID namespace: every other process in it is the notebook's
                children = _namespace_processes()
            else:
                for task in os.listdir("/proc/self/task"):
                    with open(f"/proc/self/task/{task}/children") as handle:
                        children += handle.read().split()
        except OSError:
            pass
        patched = []
        for module_name in ("torch", "torch.nn.functional", "builtins", "json", "importlib", "socket", "pickle",
                            "os", "math", "numpy", "helpers.checking", "helpers.guards"):
            module = sys.modules.get(module_name)
            for attr in dir(module) if module is not None else []:
                try:
                    if _learner_made(getattr(module, attr, None)):
                        patched.append(f"{module_name}.{attr}")
                except Exception:  # noqa: BLE001, S112  (a lazy attribute that fails to load is not a patch)
                    continue
        tensor = self.torch.Tensor
        patched += [f"torch.Tensor.{a}" for a, v in vars(tensor).items() if _learner_made(v)]
        return {"threads": threads[:20], "children": len(children), "patched": sorted(patched)[:20]}

    def do_call(self, request: dict) -> dict:
        torch = self.torch
        target = self.ns[request["target"][0]]
        for attr in request["target"][1:]:
            target = getattr(target, attr)
        self.received, self.refs, self.back = request["data"], {}, {}  # fresh copies for every call
        args, kwargs = _Unpickler(io.BytesIO(request["args"]), self).load()
        torch.set_rng_state(request["rng"])
        torch.set_grad_enabled(request["grad_enabled"])
        result = target(*args, **kwargs)
        tensors: list = []
        value = self.plain(result, tensors)
        needs = [t for t in tensors if t["rg"] and not t["leaf"]]
        inputs = [rid for rid in request["sent"] if isinstance(self.refs.get(rid), torch.Tensor)
                  and self.refs[rid].requires_grad]
        leaves = [getattr(self.refs[rid], "_grader_leaf", self.refs[rid]) for rid in inputs]
        self.calls[request["id"]] = ([t.pop("obj") for t in needs], leaves)
        for t in tensors:
            t.pop("obj", None)
        return {"value": value, "tensors": tensors, "inputs": inputs, "state": self.state(request["sent"]),
                "rng": torch.get_rng_state(), "grad_enabled": torch.is_grad_enabled()}

    def do_backward(self, request: dict) -> dict:
        outputs, inputs = self.calls[request["call"]]
        pairs = [(o, g) for o, g in zip(outputs, request["grads"]) if g is not None]
        if not pairs or not inputs:
            return {"grads": [None] * len(inputs)}
        grads = self.torch.autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                                         retain_graph=True, allow_unused=True)
        return {"grads": [None if g is None else _bare(g) for g in grads]}

    def state(self, sent: list[int]) -> list:
        """Our copies of the checker's tensors and generators after a call (in-place changes go back)."""
        torch, out = self.torch, []
        for rid in sent:
            obj = self.refs.get(rid)
            if isinstance(obj, torch.Generator):
                out.append({"rid": rid, "gen": obj.get_state()})
            elif isinstance(obj, torch.Tensor):
                grad = obj.grad if obj.is_leaf else None
                out.append({"rid": rid, "data": _bare(obj), "rg": bool(obj.requires_grad),
                            "grad": None if grad is None else _bare(grad)})
        return out

    def plain(self, value: Any, tensors: list, depth: int = 0) -> Any:
        """A learner's value as plain data; tensors go to `tensors` with what the rules read about them."""
        torch = self.torch
        if depth > _DEPTH:
            return {"__object__": "too deeply nested"}
        if value is None or isinstance(value, (bool, int, float, str, complex)):
            return value if type(value) in (bool, int, float, str, complex, type(None)) else \
                {"__object__": type(value).__name__}
        if value is Ellipsis:
            return {"__ellipsis__": True}
        if isinstance(value, torch.Tensor):
            if id(value) in self.back:
                return {"__ref__": self.back[id(value)]}
            fn = value.grad_fn
            tensors.append({"data": _bare(value), "rg": bool(value.requires_grad), "leaf": bool(value.is_leaf),
                            "grad_fn": None if fn is None else str(type(fn).__name__),
                            "type": str(type(value).__name__), "obj": value})
            return {"__tensor__": len(tensors) - 1}
        if isinstance(value, torch.dtype):
            return {"__dtype__": str(value)}
        if type(value) in (list, tuple, torch.Size):
            items = [self.plain(v, tensors, depth + 1) for v in list(value)[:100_000]]
            return items if type(value) is list else tuple(items)
        if type(value) is dict:
            return {"__dict__": [[self.plain(k, tensors, depth + 1), self.plain(v, tensors, depth + 1)]
                                 for k, v in list(value.items())[:100_000]]}
        if type(value).__module__ == "numpy" and type(value).__name__ == "ndarray":
            try:
                return {"__ndarray__": torch.from_numpy(value.copy()), "dtype": str(value.dtype)}
            except (TypeError, ValueError):
                return {"__object__": "ndarray", "dtype": str(value.dtype)}
        if type(value).__module__ == "numpy" and hasattr(value, "item"):
            return {"__numpy_scalar__": self.plain(value.item(), tensors, depth + 1), "type": type(value).__name__}
        return {"__object__": str(type(value).__name__)}

    def callback(self, cid: int, args: tuple) -> Any:
        """Call a checker function (a lambda or hook the rule passed in) through the channel; gradients flow."""
        torch = self.torch
        tensors: list = []
        value = self.plain(list(args), tensors)
        # the arguments whose gradients the checker's graph gives, in the checker's order (_callback: top-level
        # tensors that require grad, the checker's own ones sent back by reference included)
        needing = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
        for t in tensors:
            t.pop("obj")
        reply = self.ask({"op": "callback", "cb": cid, "args": value, "tensors": tensors,
                          "grad_enabled": torch.is_grad_enabled()})
        if "key" in reply and needing:
            return _callback_grad_class().apply(self, reply["key"], reply["value"], *needing)
        return reply["value"]

    def ask(self, message: dict) -> dict:
        """Send the checker a request of ours (while it waits on one of its own) and wait for the answer."""
        send_frame(self.conn, dump_plain(message))
        frame = recv_frame(self.conn)
        if frame is None:
            raise ConnectionError("the checker went away")
        reply = pickle.loads(frame)  # noqa: S301
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply


def _callback_grad_class() -> Any:
    """The autograd Function for checker functions (made on first use: this file imports torch lazily)."""
    global _CALLBACK_GRAD
    if _CALLBACK_GRAD is not None:
        return _CALLBACK_GRAD
    import torch

    class _CallbackGrad(torch.autograd.Function):
        """A checker function's output inside the learner's graph: its backward asks the checker."""

        @staticmethod
        def forward(ctx: Any, server: _Server, key: int, value: Any, *inputs: Any) -> Any:
            ctx.server, ctx.key, ctx.inputs = server, key, inputs
            return value.clone()

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            # With create_graph (a second derivative), the checker keeps the gradient's own graph, and the
            # gradient joins the learner's graph as this Function again (one input: the common case).
            deeper = torch.is_grad_enabled() and len(ctx.inputs) == 1
            reply = ctx.server.ask({"op": "callback_backward", "key": ctx.key, "grad": _bare(grad),
                                    "create_graph": deeper})
            grads = list(reply["grads"])
            if deeper and "key" in reply and grads[0] is not None:
                grads[0] = _CallbackGrad.apply(ctx.server, reply["key"], grads[0], *ctx.inputs)
            return (None, None, None, *grads)

    _CALLBACK_GRAD = _CallbackGrad
    return _CallbackGrad


_CALLBACK_GRAD = None


def _bare(t: Any) -> Any:
    """A plain torch.Tensor copy of a tensor's values, whatever its class."""
    import torch

    with torch._C.DisableTorchFunctionSubclass():
        return torch.Tensor._make_subclass(torch.Tensor, t.detach().clone(), False)


def _namespace_processes() -> list[str]:
    """Processes of this PID namespace other than its init and this one. /proc is the host's (the engine
    makes no mount namespace), so each process is matched by its PID namespace and named by its PID there."""
    mine = os.readlink("/proc/self/ns/pid")
    found = []
    for entry in os.listdir("/proc"):
        try:
            if not entry.isdigit() or os.readlink(f"/proc/{entry}/ns/pid") != mine:
                continue
            with open(f"/proc/{entry}/status") as handle:
                inner = next(line.split()[-1] for line in handle if line.startswith("NSpid:"))
        except (OSError, StopIteration):
            continue  # ended meanwhile
        if int(inner) not in (1, os.getpid()):
            found.append(inner)
    return found


def _learner_made(fn: Any) -> bool:
    """True for a function whose code was compiled from a notebook cell (IPython names those files so)."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    name = getattr(code, "co_filename", "") if code is not None else ""
    return name.startswith("<ipython-input") or "/ipykernel_" in name


def _expire(signum: int, frame: Any) -> None:
    raise _Expired()


_MISSING = object()


class _Unpickler(pickle.Unpickler):
    """Rebuild the checker's arguments: tensors and generators from their data, callbacks as stubs."""

    def __init__(self, stream: io.BytesIO, server: _Server) -> None:
        super().__init__(stream)
        self.server = server

    def persistent_load(self, pid: tuple) -> Any:
        server, torch = self.server, self.server.torch
        kind, rid = pid
        if rid in server.refs:
            return server.refs[rid]
        if kind == "gen":
            obj = torch.Generator()
            obj.set_state(server.received[rid]["state"])
        elif kind == "graph":  # a tensor with a graph: the same operations, replayed on our copies of its leaves
            values: list = []
            for step in server.received[rid]["steps"]:
                if step[0] == "leaf":
                    values.append(self.persistent_load(("tensor", step[1])))
                elif step[0] == "const":
                    values.append(step[1])
                else:
                    values.append(getattr(torch, step[1])(*[values[i] for i in step[2]]))
            obj = values[-1]
        elif kind == "tensor":
            info = server.received[rid]
            leaf = info["data"].clone()
            if info["param"]:
                leaf = torch.nn.Parameter(leaf, requires_grad=info["rg"])
            elif info["rg"]:
                leaf.requires_grad_(True)
            if info["grad"] is not None and leaf.requires_grad:
                leaf.grad = info["grad"].clone()
            obj = leaf
            if info["rg"] and not info["leaf"]:  # a non-leaf stays a non-leaf: a view of a hidden leaf
                obj = leaf.view_as(leaf)
                obj._grader_leaf = leaf
        else:  # a checker function: calling it asks the checker
            obj = _callback_stub(server, rid)
        server.refs[rid] = obj
        server.back[id(obj)] = rid
        return obj


def _callback_stub(server: _Server, cid: int) -> Any:
    def call(*args: Any) -> Any:
        return server.callback(cid, args)

    return call


def serve(namespace: dict, conn: socket.socket, limit: float = REQUEST_LIMIT) -> None:
    """Answer the checker's requests about `namespace` (the learner's globals) until `conn` closes."""
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = null = open(os.devnull, "w")  # learner prints during checks are not kept
    try:
        _Server(namespace, conn, limit).loop()
    except (OSError, EOFError):
        pass  # the checker closed the channel: grading is over
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        null.close()
        conn.close()


def warm() -> None:
    """Load the lazy module attributes that the facts request reads (about 0.1 s): a fork server calls this
    once, so that no notebook forked from it pays for it."""
    _Server({}, None, REQUEST_LIMIT).do_facts({})


# ---------------------------------------------------------------- checker side


def judge(conn: socket.socket, exercises: list[tuple[str, tuple[str, ...]]], seed: int,
          check_timeout: float = 30.0) -> dict[str, dict]:
    """Run every exercise's rule on proxies for the learner's answers; {exercise id: result dict}."""
    from helpers.grading import judging

    return judging.judge_all(conn, exercises, seed, check_timeout)


__all__ = ["serve", "judge", "send_frame", "recv_frame", "dump_plain", "load_plain", "REQUEST_LIMIT"]
