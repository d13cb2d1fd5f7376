"""Comparisons that checks use: each returns None when the answer is right, else a short text
for the student saying what was expected and what came back."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .observe import Opaque


def describe(value: Any) -> str:
    """A short description of a value, for feedback: its type and shape, not its contents."""
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name}"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, dict):
        return f"a dict with {len(value)} entries"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)} items"
    if value is None:
        return "None (did you forget a `return`?)"
    if isinstance(value, bool | int | float | str):
        return repr(value)
    return f"an object of type {type(value).__name__}"


def _index(flat: int, shape: torch.Size) -> tuple[int, ...]:
    index = []
    for size in reversed(shape):
        index.append(flat % size)
        flat //= size
    return tuple(reversed(index))


def compare_tensors(
    expected: torch.Tensor, got: Any, *, atol: float = 1e-5, rtol: float = 1e-5
) -> str | None:
    """Same shape, same dtype, values equal within ``atol + rtol * |expected|``.

    Integer and boolean tensors must be exactly equal. NaN is never right.
    """
    if not isinstance(got, torch.Tensor):
        return f"expected {describe(expected)}, got {describe(got)}"
    if got.shape != expected.shape:
        return f"expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    if got.dtype != expected.dtype:
        return f"expected dtype {expected.dtype}, got {got.dtype}: keep the input's dtype"
    if expected.is_floating_point():
        close = torch.isclose(got, expected, atol=atol, rtol=rtol)
    else:
        close = got == expected
    if bool(close.all()):
        return None
    wrong = (~close).flatten()
    first = int(wrong.nonzero()[0])
    want, have = expected.flatten()[first].item(), got.flatten()[first].item()
    return (f"{int(wrong.sum())} of {expected.numel()} values are wrong; at index "
            f"{_index(first, expected.shape)} expected {want:.6g}, got {have:.6g}")


def _same_number(expected: int | float, got: Any) -> bool:
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, int | float):
        return False
    return math.isclose(got, expected, rel_tol=0, abs_tol=0) if isinstance(expected, int) \
        else math.isclose(got, expected, rel_tol=1e-6)


def _names(keys) -> str:
    return ", ".join(repr(k) for k in sorted(keys, key=str))


def compare_counts(expected: dict[str, int | float], got: Any) -> str | None:
    """The same keys, and the same number for every key (an integer count must be exact)."""
    if not isinstance(got, dict):
        return f"expected {describe(expected)}, got {describe(got)}"
    missing = expected.keys() - got.keys()
    extra = got.keys() - expected.keys()
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing keys {_names(missing)}")
        if extra:
            parts.append(f"unexpected keys {_names(extra)}")
        return "; ".join(parts) + f" (expected the keys {_names(expected)})"
    for key, value in expected.items():
        if not _same_number(value, got[key]):
            return f"for {key!r} expected {value}, got {describe(got[key])}"
    return None


# --- reading an answer's value ------------------------------------------------------------------


def as_tensor(value: Any) -> Any:
    """A NumPy array as a tensor (scikit-learn's and NumPy's answers are fine); else as is."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        return torch.from_numpy(np.ascontiguousarray(value))
    return value


def as_tensors(value: Any) -> Any:
    """``as_tensor`` on a value, or on each item of a tuple or list."""
    if isinstance(value, list | tuple):
        return type(value)(as_tensor(v) for v in value)
    return as_tensor(value)


def pair(got: Any, what: str) -> tuple[Any, Any] | str:
    """The two items of a returned pair, or a text saying why ``got`` is not one.

    what: the pair the question asks for, in words, e.g. "(X, y): features and labels".
    """
    if not isinstance(got, list | tuple) or len(got) != 2:
        return f"expected a pair {what}, got {describe(got)}"
    return got[0], got[1]


def number(got: Any) -> float | None:
    """``got`` as a float when it is a real number (a Python int or float, or a one-element
    floating tensor); None otherwise (booleans, strings, arrays...)."""
    if isinstance(got, torch.Tensor) and got.numel() == 1 and got.is_floating_point():
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, int | float):
        return None
    return float(got)
