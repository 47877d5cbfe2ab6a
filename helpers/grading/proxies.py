"""The checker's end of the channel: proxies that stand in for a learner's answers while a rule runs.

A rule receives, for each answer name, the learner's plain value (numbers, strings, dicts of them, tensors)
or a proxy: a callable whose call runs the learner's function in the learner's process. Outputs come back
as plain tensors; those that carry a graph are rebuilt through `_Remote`, an autograd Function whose
backward asks the learner's process for the input gradients. Nothing here runs learner code.
"""
from __future__ import annotations

import io
import pickle
import socket
import types
import warnings
from typing import Any, Callable

import torch

from helpers.grading.channel import load_plain, recv_frame, send_frame
from helpers.grading.graph_replay import graph_steps

class ChannelClosed(BaseException):
    """The learner's process stopped answering (BaseException: a rule's `except Exception` must not hide it)."""


class Opaque:
    """A learner object that cannot cross as data: only its type name does."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


class Link:
    """One connection to a learner's process: requests, replies, and callbacks the learner makes meanwhile."""

    def __init__(self, conn: socket.socket, wait: float) -> None:
        conn.settimeout(wait + 5.0)
        self.conn, self.next_id, self.callbacks, self.kept, self.wait = conn, 0, {}, {}, wait
        self.graphs: dict[int, tuple[list, list]] = {}  # checker-function outputs the learner may backward through
        self.closed = False
        self.objects: dict = {}  # the checker's objects sent with the call under way, by reference id

    def request(self, message: dict) -> dict:
        if self.closed:
            raise ChannelClosed("no verdict: the notebook's kernel no longer answered")
        self.next_id += 1
        message["id"], message["limit"] = self.next_id, self.wait
        try:
            send_frame(self.conn, pickle.dumps(message))
            while True:
                frame = recv_frame(self.conn)
                if frame is None:
                    raise ChannelClosed("checking this answer ended the Python process (or closed the grader's channel) "
                                        "before a verdict")
                reply = load_plain(frame)
                if not isinstance(reply, dict):
                    raise ChannelClosed("no verdict: the notebook's kernel sent something that is not a reply")
                if reply.get("op") == "callback":
                    send_frame(self.conn, pickle.dumps(self._callback(reply)))
                elif reply.get("op") == "callback_backward":
                    send_frame(self.conn, pickle.dumps(self._callback_backward(reply)))
                elif reply.get("id") == message["id"]:
                    for text in reply.get("warnings", []):
                        warnings.warn(str(text), UserWarning, stacklevel=2)
                    return reply
        except (OSError, ValueError, pickle.PickleError, RuntimeError) as exc:
            self.closed = True
            raise ChannelClosed(f"no verdict: the notebook's kernel did not answer ({type(exc).__name__})") from None
        except ChannelClosed:
            self.closed = True
            raise

    def _callback(self, message: dict) -> dict:
        fn = self.callbacks.get(message.get("cb"))
        try:
            args = decode(message.get("args"), message.get("tensors", []), self.objects, None)
            with torch.set_grad_enabled(bool(message.get("grad_enabled"))):  # the learner's grad mode
                value = fn(*args)
            if isinstance(value, torch.Tensor) and value.requires_grad:  # keep the graph for the learner's backward
                inputs = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
                self.graphs[len(self.graphs)] = ([value], inputs)
                return {"value": value.detach().clone(), "key": len(self.graphs) - 1}
            if isinstance(value, torch.Tensor):
                value = value.detach().clone()
            return {"value": value}
        except Exception as exc:  # noqa: BLE001  (reported to the learner's code as an error)
            return {"error": f"{type(exc).__name__}: {exc}"}

    def _callback_backward(self, message: dict) -> dict:
        try:
            outputs, inputs = self.graphs[message["key"]]
            deeper = bool(message.get("create_graph")) and len(inputs) == 1
            # (the upstream gradient is taken as a constant: a second derivative through the inputs, as in
            # `grad(grad(f(x).sum(), x, create_graph=True)[0].sum(), x)`; a gradient that does not depend on
            # the inputs, f linear, then has no graph, as in-process)
            grads = torch.autograd.grad(outputs, inputs, [message["grad"]], retain_graph=True, allow_unused=True,
                                        create_graph=deeper)
            reply: dict = {"grads": [None if g is None else g.detach() for g in grads]}
            if deeper and grads[0] is not None and grads[0].requires_grad:
                self.graphs[len(self.graphs)] = ([grads[0]], list(inputs))
                reply["key"] = len(self.graphs) - 1
            return reply
        except Exception as exc:  # noqa: BLE001
            return {"error": f"{type(exc).__name__}: {exc}"}

    def call(self, target: tuple[str, ...], args: tuple, kwargs: dict) -> Any:
        """Call the learner's function on `args`; its in-place changes to the arguments come back."""
        pickler_out = io.BytesIO()
        pickler = _Pickler(pickler_out, self)
        pickler.dump((args, kwargs))
        self.objects = pickler.objects  # a callback during this call may hand our own tensors back
        reply = self.request({"op": "call", "target": target, "args": pickler_out.getvalue(), "data": pickler.data,
                              "sent": list(pickler.data), "rng": torch.get_rng_state(),
                              "grad_enabled": torch.is_grad_enabled()})
        if "rng" in reply:
            torch.set_rng_state(reply["rng"])
            torch.set_grad_enabled(bool(reply["grad_enabled"]))
            _apply_state(reply.get("state", []), pickler.objects)
        if "error" in reply:
            raise learner_exception(reply)
        inputs = [pickler.objects[rid] for rid in reply["inputs"]]
        return decode(reply["value"], reply["tensors"], pickler.objects, (self, reply["id"], inputs))

    def backward(self, call_id: int, grads: tuple) -> list:
        reply = self.request({"op": "backward", "call": call_id, "grads": list(grads)})
        if "error" in reply:
            raise learner_exception(reply)
        return reply["grads"]


class _Pickler(pickle.Pickler):
    """The checker's arguments: tensors and generators by id (their data beside), unnamed functions as callbacks."""

    def __init__(self, stream: io.BytesIO, link: Link) -> None:
        super().__init__(stream)
        self.link, self.data, self.objects = link, {}, {}

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, torch.Tensor) and obj.grad_fn is not None and id(obj) not in self.objects:
            steps = graph_steps(obj, lambda leaf: self.persistent_id(leaf)[1])
            if steps is not None:  # the learner gets the same graph, rebuilt from the same leaves
                rid = self._remember(obj)
                self.data[rid] = {"steps": steps}
                return ("graph", rid)
        if isinstance(obj, torch.Tensor):
            rid = self._remember(obj)
            self.data[rid] = {"data": obj.detach().clone(), "rg": obj.requires_grad, "leaf": obj.is_leaf,
                              "param": isinstance(obj, torch.nn.Parameter),
                              "grad": None if not obj.is_leaf or obj.grad is None else obj.grad.detach().clone()}
            return ("tensor", rid)
        if isinstance(obj, torch.Generator):
            rid = self._remember(obj)
            self.data[rid] = {"state": obj.get_state()}
            return ("gen", rid)
        if isinstance(obj, (types.FunctionType, types.MethodType)) and not _importable(obj):
            rid = self._remember(obj)
            self.link.callbacks[rid] = obj
            return ("callback", rid)
        return None

    def _remember(self, obj: Any) -> int:
        rid = id(obj)
        self.objects[rid] = obj
        self.link.kept[rid] = obj  # keep it alive: ids must not be reused while the learner may still call back
        return rid


def _importable(fn: Any) -> bool:
    import sys

    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    target: Any = module
    for part in getattr(fn, "__qualname__", "<").split("."):
        target = getattr(target, part, None)
    return target is fn


def _apply_state(state: list, objects: dict) -> None:
    """Put the learner's in-place changes to our arguments onto the rule's own objects."""
    for entry in state:
        obj = objects.get(entry.get("rid"))
        if isinstance(obj, torch.Generator) and isinstance(entry.get("gen"), torch.Tensor):
            obj.set_state(entry["gen"])
        elif isinstance(obj, torch.Tensor) and isinstance(entry.get("data"), torch.Tensor):
            data = entry["data"]
            with torch.no_grad():
                if data.shape == obj.shape and data.dtype == obj.dtype:
                    if not torch.equal(data.nan_to_num(), obj.detach().nan_to_num()):
                        obj.copy_(data)
                elif obj.is_leaf:
                    obj.data = data
            if obj.is_leaf and obj.requires_grad != bool(entry.get("rg")):
                obj.requires_grad_(bool(entry.get("rg")))
            grad = entry.get("grad")
            if obj.is_leaf and (grad is None) != (obj.grad is None) or \
                    grad is not None and obj.grad is not None and not torch.equal(grad, obj.grad):
                obj.grad = None if grad is None or grad.shape != obj.shape else grad.to(obj.dtype)


class _Remote(torch.autograd.Function):
    """Outputs of one learner call; backward asks the learner's process for the inputs' gradients."""

    @staticmethod
    def forward(ctx: Any, link: Link, call_id: int, values: list, *inputs: torch.Tensor) -> tuple:
        ctx.link, ctx.call_id, ctx.n_inputs = link, call_id, len(inputs)
        ctx.shapes = [(i.shape, i.dtype) for i in inputs]
        return tuple(v.clone() for v in values)

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> tuple:
        got = ctx.link.backward(ctx.call_id, tuple(g.detach() if g is not None else None for g in grads))
        out = []
        for g, (shape, dtype) in zip(list(got) + [None] * ctx.n_inputs, ctx.shapes):
            ok = isinstance(g, torch.Tensor) and type(g) is torch.Tensor and g.shape == shape
            out.append(g.to(dtype) if ok and (g.is_floating_point() or g.is_complex()) else None)
        return (None, None, None, *out)


def decode(value: Any, tensors: list, refs: dict, call: tuple | None) -> Any:
    """Plain data from the learner back to Python values; tensors with a graph get a remote backward."""
    built: dict[int, torch.Tensor] = {}
    graphed = [i for i, t in enumerate(tensors) if t.get("rg") and not t.get("leaf")]
    if graphed and call is not None:
        link, call_id, inputs = call
        anchor = list(inputs) or [torch.zeros((), requires_grad=True)]  # keeps a graph when no input needs grad
        outs = _Remote.apply(link, call_id, [tensors[i]["data"] for i in graphed], *anchor)
        built.update(zip(graphed, outs))

    def tensor(i: int) -> torch.Tensor:
        if i in built:
            return built[i]
        info = tensors[i]
        data = info["data"]
        if info.get("type") == "Parameter":
            data = torch.nn.Parameter(data, requires_grad=bool(info.get("rg")))
        elif info.get("type") not in ("Tensor", None):  # a learner's tensor subclass: a stand-in of that name
            data = data.as_subclass(type(str(info["type"]), (torch.Tensor,), {}))
        elif info.get("rg") and (data.is_floating_point() or data.is_complex()):
            data.requires_grad_(True)
        built[i] = data
        return data

    def walk(v: Any) -> Any:
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, tuple):
            return tuple(walk(x) for x in v)
        if not isinstance(v, dict):
            return v
        if "__tensor__" in v:
            return tensor(int(v["__tensor__"]))
        if "__ref__" in v:
            return refs.get(v["__ref__"], Opaque("tensor"))
        if "__ellipsis__" in v:
            return Ellipsis
        if "__dtype__" in v:
            return getattr(torch, str(v["__dtype__"]).removeprefix("torch."), Opaque("dtype"))
        if "__dict__" in v:
            return {_hashable(walk(k)): walk(x) for k, x in v["__dict__"]}
        if "__ndarray__" in v:
            return v["__ndarray__"].numpy()
        if "__numpy_scalar__" in v:
            import numpy as np

            return getattr(np, str(v.get("type")), lambda x: x)(walk(v["__numpy_scalar__"]))
        return Opaque(str(v.get("__object__", "object")))

    return walk(value)


def _hashable(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        return repr(key)
    return key


def learner_exception(reply: dict) -> BaseException:
    """The learner's exception as one the rules understand (its type name and message only)."""
    name, message = (str(x) for x in reply["error"][:2])
    if reply.get("not_implemented"):
        return NotImplementedError(message)
    safe = name if name.isidentifier() else "Exception"
    return type(safe, (Exception,), {})(message)


class RemoteFunction:
    """Stands in for a learner's function: calling it calls theirs, in their process."""

    def __init__(self, link: Link, target: tuple[str, ...], name: str) -> None:
        self._link, self._target, self.__name__ = link, target, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._link.call(self._target, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"


def remote_function_class(link: Link, name: str) -> type:
    """Stands in for a learner's torch.autograd.Function subclass: `.apply` runs theirs."""
    remote = RemoteFunction(link, (name, "apply"), f"{name}.apply")
    return type(name, (torch.autograd.Function,), {"apply": staticmethod(remote)})


def answer_for(link: Link, name: str) -> Any:
    """What a rule receives for one answer name (a plain value, a proxy, or None when undefined)."""
    reply = link.request({"op": "lookup", "name": name})
    kind = reply.get("kind")
    if "error" in reply or kind == "missing":
        return _MISSING
    if kind == "function_class":
        return remote_function_class(link, name)
    if kind == "callable":
        return RemoteFunction(link, (name,), str(reply.get("name", name)))
    return decode(reply.get("value"), reply.get("tensors", []), {}, None)


_MISSING = object()
