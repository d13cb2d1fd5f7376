"""The side of a check that decides: compare what an answer did with the reference.

``decide(question, observation)`` rebuilds the question's cases, computes the reference result of
each with the package's own implementation, and compares it with what ``observe`` recorded. It
only reads plain data: it never calls the student's code.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from .observe import ReferenceRefused, one_thread
from .question import (
    ERROR,
    NOT_ANSWERED,
    PASSED,
    WRONG,
    CheckResult,
    Feedback,
    Question,
    result,
)

MODIFIED_INPUT = Feedback(
    "it changed its input in place", "compute a new tensor instead (`x - m`, not `x -= m` or "
    "`x.sub_(m)`): the caller still needs the original")


def decide(question: Question, observation: dict[str, Any]) -> CheckResult:
    """The verdict on ``observation``, as recorded by ``observe(question, answer)``; it
    names the other answers that the course's versions replaced (``substituted``)."""
    verdict = _verdict(question, observation)
    substituted = observation.get("substituted", [])
    if isinstance(substituted, list) and substituted:
        # Only names the question declares: the observation comes from the student's side.
        names = tuple(n for n in question.uses if n in substituted)
        verdict = replace(verdict, substituted=names)
    return verdict


def _verdict(question: Question, observation: dict[str, Any]) -> CheckResult:
    name = question.name
    if "not_callable" in observation:
        return result(question, ERROR,
                      f"expected the function `{name}` itself, got an object of type "
                      f"{observation['not_callable']}: pass the function, without calling it")
    if "load_error" in observation:
        return result(question, ERROR,
                      f"`{name}` could not be passed to the grader: {observation['load_error']}")
    cases = question.cases()
    seen = observation["cases"]
    # The references must not move the caller's RNG; tiny tensors need no thread pool.
    with one_thread(), torch.random.fork_rng(devices=[]):
        for case, obs in zip(cases, seen, strict=False):
            if obs.get("not_implemented"):
                return result(question, NOT_ANSWERED,
                              f"not answered yet: replace `raise NotImplementedError()` in "
                              f"`{name}` with your code")
            if "refused" in obs:
                refused = ReferenceRefused(str(obs["refused"]))
                return result(question, ERROR,
                              f"`{name}` calls `{refused.name}`: {refused}\n"
                              f"on input: {case.description}")
            if "error" in obs:
                return result(question, ERROR,
                              f"`{name}` raised {obs['error']}\non input: {case.description}")
            problem = question.decide(case, obs["output"])
            if problem is None and obs.get("modified_input"):
                problem = MODIFIED_INPUT
            if problem is not None:
                where = f"on input: {case.description}"
                mistake = problem.mistake if isinstance(problem, Feedback) else problem
                return result(question, WRONG, f"{where}\n{problem}\nhint: {question.hint}",
                              mistake=f"{where}\n{mistake}")
    if len(seen) < len(cases):
        return result(question, ERROR, f"`{name}` was tried on {len(seen)} of the "
                      f"{len(cases)} inputs only")
    return result(question, PASSED)
