"""Deliberately wrong answers to every graded question, and right answers written differently.

One module per exercise, named like its checks module (``getting_started.py`` for
``dlvision/grading/checks/getting_started.py``), defining

- ``MUTANTS``: question id → wrong answers (off-by-one, missing normalization, wrong axis...),
  each a function whose docstring says what mistake it makes; every one must be caught;
- ``ALTERNATIVES``: question id → right answers written another way; every one must pass, so
  that a check does not demand one particular way of writing the answer.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable


def _collect(attribute: str) -> dict[str, list[Callable]]:
    merged: dict[str, list[Callable]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for question, answers in getattr(module, attribute, {}).items():
            if question in merged:
                raise RuntimeError(f"{attribute} of question {question!r} defined twice")
            merged[question] = list(answers)
    return merged


MUTANTS = _collect("MUTANTS")
ALTERNATIVES = _collect("ALTERNATIVES")
