"""The side of a check that runs the student's answer: try it on every case, keep only data.

``observe(question, answer)`` calls the answer on the question's cases and records, per case,
what came back, or the exception it raised, and whether it changed its input. What it records
is plain data (tensors, numbers, strings, lists, tuples, dicts), so that ``dlvision grade`` can
run it in a separate process and send the result back as JSON: the process that decides the
grade never runs the student's code and never unpickles anything the student produced.

While the answer runs, the package functions the question asks the student to write
(``Question.refuses``) raise ``ReferenceRefused``: see ``refusing``.
"""

from __future__ import annotations

import inspect
import json
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, NamedTuple, NoReturn

import torch

from .question import Question

MAX_DEPTH = 20  # nesting kept in an output; deeper values become an Opaque


class Opaque(NamedTuple):
    """Stands for a returned value that is not plain data (a NumPy array, a module...)."""

    type_name: str


def _type_name(value: Any) -> str:
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def to_data(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` made only of plain data; anything else becomes an ``Opaque``.

    Tensors are detached, moved to the CPU and copied (a subclass becomes a plain tensor);
    NumPy scalars become Python numbers, because ``np.prod(shape)`` is a fine way to count.
    """
    if depth > MAX_DEPTH:
        return Opaque("a value nested too deeply")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, torch.Tensor):
        try:
            return value.detach().cpu().as_subclass(torch.Tensor).clone()
        except Exception:  # sparse, quantized, meta... tensors: nothing a check expects
            return Opaque(f"torch.Tensor ({value.layout}, {value.dtype})")
    if isinstance(value, list | tuple):
        items = [to_data(v, depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {_plain_key(k): to_data(v, depth + 1) for k, v in value.items()}
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(
            value, "ndim", None) == 0:
        return value.item()
    return Opaque(_type_name(value))


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread inside the block, then restore the thread count.

    Checks work on tiny tensors, which several threads only share out at a loss; on a busy
    machine, threads that wait on each other make a check of milliseconds last seconds.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class ReferenceRefused(Exception):
    """An answer called a package function that its question asks the student to write."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name  # e.g. "dlvision.data.normalize"

    def __str__(self) -> str:
        return (f"write this yourself; `{self.name}` is the package's own code, refused while "
                "your answer is checked")


def public_name(function: Callable[..., Any]) -> str:
    """The shortest import path of a package function: ``dlvision.data.normalize`` rather
    than ``dlvision.data.transforms.normalize``, where the package re-exports it."""
    parts = function.__module__.split(".")
    while len(parts) > 1 and getattr(sys.modules.get(".".join(parts[:-1])),
                                     function.__name__, None) is function:
        parts.pop()
    return ".".join([*parts, function.__qualname__])


def _refuse(name: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ReferenceRefused(name)


def _call_instead(*args, __dlvision_instead__=None, **kwargs):
    # The code a refused function runs: it calls what its keyword default holds, ``_refuse``.
    return __dlvision_instead__(*args, **kwargs)


def _methods(cls: type) -> list[str]:
    """The names of what a refused class runs: each function, class method and static method
    it defines, and ``__init__`` even when it inherits it."""
    own = [name for name, value in vars(cls).items()
           if isinstance(value, types.FunctionType | classmethod | staticmethod)]
    return list(dict.fromkeys(["__init__", *own]))


@contextmanager
def refusing(functions: Sequence[Callable[..., Any] | type]) -> Iterator[None]:
    """Inside the block, calling any of ``functions`` raises ``ReferenceRefused``.

    A notebook that ran ``from dlvision.data import normalize`` holds the function object
    itself, and cloudpickle hands the sandbox that very object: replacing the attribute of
    ``dlvision.data`` would not reach it. So the function object's own code is swapped, which
    every reference to it sees, and restored on leaving the block. A decorated function (e.g.
    by ``torch.inference_mode()``) is refused through the function it wraps.

    A class is refused as a whole: building it, and every method it defines, whether called on
    it or reached through a subclass (``class Mine(Generator)`` that keeps its ``__init__`` or
    calls ``super().forward``). Its methods are replaced in the class itself, which every
    instance and subclass looks them up in, and put back on leaving the block.
    """
    swapped: list[tuple[types.FunctionType, types.CodeType, dict | None]] = []
    replaced: list[tuple[type, str, Any]] = []  # (class, name, what it held; _MISSING: none)
    try:
        for item in dict.fromkeys(functions):  # each once, in order
            if isinstance(item, type):
                refuse = partial(_refuse, public_name(item))
                for name in _methods(item):
                    replaced.append((item, name, vars(item).get(name, _MISSING)))
                    setattr(item, name, refuse)
                continue
            target = inspect.unwrap(item)
            if not isinstance(target, types.FunctionType) or target.__closure__:
                raise TypeError(f"cannot refuse {item!r}: Question.refuses holds classes and "
                                "plain functions only")
            swapped.append((target, target.__code__, target.__kwdefaults__))
            target.__kwdefaults__ = {"__dlvision_instead__": partial(_refuse,
                                                                     public_name(item))}
            target.__code__ = _call_instead.__code__
        yield
    finally:
        for target, code, kwdefaults in reversed(swapped):
            target.__code__ = code
            target.__kwdefaults__ = kwdefaults
        for cls, name, value in reversed(replaced):
            if value is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value)


_MISSING = object()


@contextmanager
def substituting(answer: Any, versions: Mapping[str, Callable[..., Any]]) -> Iterator[list[str]]:
    """Inside the block, the names of ``versions`` that ``answer``'s globals hold (the other
    answers it calls, such as ``discriminator_loss`` in ``training_step``) are the course's
    versions; the block receives the names replaced. They are put back on leaving.

    The globals are changed in place rather than copied: the helpers the answer calls share
    them (in the notebook, and as cloudpickle rebuilds them in the sandbox), and must see the
    same versions. So a mistake in one answer costs that answer's points only, not those of
    every answer built on it.
    """
    function = inspect.unwrap(answer) if callable(answer) else answer
    namespace = getattr(function, "__globals__", None)
    if not isinstance(function, types.FunctionType) or not isinstance(namespace, dict):
        yield []
        return
    saved = {name: namespace[name] for name in versions if name in namespace}
    try:
        for name in saved:
            namespace[name] = versions[name]
        yield list(saved)
    finally:
        namespace.update(saved)


def observe(question: Question, answer: Any) -> dict[str, Any]:
    """Try ``answer`` on every case of ``question``; stop at the first exception.

    Returns ``{"cases": [...], "substituted": [...]}`` with one entry per case tried:
    ``{"output": data, "modified_input": bool}``, ``{"not_implemented": True}``,
    ``{"refused": "dlvision.x.y"}`` (it called a function of ``question.refuses``) or
    ``{"error": "Type: message"}``; and the names of the other answers that the course's
    versions replaced while it ran (``Question.uses``, see ``substituting``).
    The global random state is restored afterwards and seeded before, so that an answer that
    draws random numbers behaves the same in the notebook and in the grader. Torch runs on one
    thread meanwhile (``one_thread``).
    """
    if not callable(answer):
        return {"not_callable": _type_name(answer)}
    observations: list[dict[str, Any]] = []
    with one_thread(), torch.random.fork_rng(devices=[]), \
            substituting(answer, question.uses) as substituted:
        torch.manual_seed(0)
        for case in question.cases():
            before = [a.detach().clone() if isinstance(a, torch.Tensor) else None
                      for a in case.args]
            try:
                with refusing(question.refuses):
                    got = question.apply(answer, case)
            except NotImplementedError:
                observations.append({"not_implemented": True})
                break
            except ReferenceRefused as err:
                observations.append({"refused": err.name})
                break
            except (Exception, SystemExit) as err:  # the student's bug, reported, not raised
                observations.append({"error": f"{type(err).__name__}: {err}"})
                break
            unchanged = all(b is None or (a.shape == b.shape and torch.equal(a, b))
                            for a, b in zip(case.args, before, strict=True))
            observations.append({"output": to_data(got), "modified_input": not unchanged})
    return {"cases": observations, "substituted": substituted}


# JSON for observations: tensors, tuples, dicts with any plain keys and Opaque values are
# tagged objects, so that what arrives is exactly what was sent.
_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.uint8, torch.int8,
    torch.int16, torch.int32, torch.int64, torch.bool)}


def _encode(value: Any) -> Any:
    if isinstance(value, Opaque):
        return {"__opaque__": value.type_name}
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        if dtype not in _DTYPES:
            return {"__opaque__": f"torch.Tensor ({value.dtype})"}
        return {"__tensor__": {"dtype": dtype, "shape": list(value.shape),
                               "values": value.flatten().tolist()}}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    return value


def _decode_object(obj: dict[str, Any]) -> Any:
    if set(obj) == {"__opaque__"}:
        return Opaque(str(obj["__opaque__"]))
    if set(obj) == {"__tensor__"}:
        spec = obj["__tensor__"]
        dtype = _DTYPES[spec["dtype"]]
        return torch.tensor(spec["values"], dtype=dtype).reshape(spec["shape"])
    if set(obj) == {"__tuple__"}:
        return tuple(obj["__tuple__"])
    if set(obj) == {"__dict__"}:
        return {_plain_key(k): v for k, v in obj["__dict__"]}
    return obj


def _plain_key(key: Any) -> Any:
    """A dict key as data: a string, a number, None, or an Opaque naming its type."""
    if key is None or isinstance(key, str | int | float | bool | Opaque):
        return key
    return Opaque(_type_name(key))


def encode(observation: dict[str, Any]) -> bytes:
    """Observations as JSON bytes (tensors included)."""
    return json.dumps(_encode(observation)).encode()


def decode(data: bytes) -> dict[str, Any]:
    """The inverse of ``encode``; only ever builds plain data."""
    return json.loads(data.decode(), object_hook=_decode_object)
