"""Checks for the exercise notebooks: instant feedback in the notebook, and a grader.

In a notebook, after writing a function::

    from dlvision.grading import check
    check("normalize", imagenet_normalize)

prints the verdict (passed, or the input it was tried on, what was expected, what came back,
and a hint) and returns a ``CheckResult``. It never raises for a wrong answer.

``dlvision grade NOTEBOOK`` (``runner.grade_notebook``) grades a whole notebook with the same
checks: it executes a copy, saves what the notebook defines as it goes, and runs every check of
its part. The questions of each part are in ``checks/``.

Trust model
-----------
A check has two halves. ``observe`` runs the student's answer on the question's inputs and
records plain data (tensors, numbers, strings); ``decide`` recomputes the inputs, runs the
package's reference implementation and compares. While the answer runs, the package functions
that compute what the question asks (``Question.refuses``) raise "write this yourself": the
answer must be the student's own. In the notebook both halves run in the student's kernel: that
is feedback, and the student can fool only themselves. When grading, they are split across
processes:

1. the notebook runs, on a copy, in its own kernel (mini profile, a time limit per cell, a
   deadline for the whole notebook);
2. after each cell, the names the part asks for that the cell defined or changed are serialized
   there with cloudpickle, so that a later crash, hang or redefinition loses none of them;
3. a separate *sandbox* process loads them and runs ``observe`` (a time limit per answer,
   restarted after a timeout or a crash), and sends the observations back as JSON;
4. the grader process, whose references were imported before any student code ran, runs
   ``decide``. It never executes student code and never unpickles what the student produced.

So redefining ``check``, deleting ``dlvision`` or monkeypatching the references inside the
notebook (or inside an answer) changes nothing: the grade depends only on what the answers
return on the grader's inputs. What a grade does not prove: that the machine is safe. The
notebook and the answers run as the user who runs ``dlvision grade``, with that user's files and
network: grade untrusted submissions inside a disposable container or virtual machine, one
submission at a time.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

from . import checks
from .checks import all_parts, all_questions, get_part, get_question, part_ids
from .decide import decide
from .observe import observe
from .question import (
    STATUSES,
    Case,
    CheckResult,
    Part,
    Question,
    _ipython,
    chain_note,
    under_grader,
)


def check(question: str, answer: Any) -> CheckResult:
    """Check an answer to an exercise question and print the verdict.

    Parameters
    ----------
    question : the question's id, as the notebook gives it, e.g. "normalize".
    answer : the function (or class) the question asks for, not called: ``imagenet_normalize``,
        not ``imagenet_normalize(x)``.

    Returns the ``CheckResult`` (``passed``, ``points``, ``max_points``, ``message``). A wrong
    answer, one that raises, or one still raising ``NotImplementedError`` gives a result, never
    an exception; an unknown question id is a ``ValueError`` that lists the known ones.
    """
    q = get_question(question)
    # observe and decide each leave the global random state as they found it.
    verdict = decide(q, observe(q, answer))
    verdict = verdict.noted(chain_note(verdict, _upstream(q, answer, verdict.substituted)))
    shell = _ipython()
    if shell is not None:
        verdict = replace(verdict, _printed_in=shell.execution_count)
    print(verdict)
    return verdict


def _upstream(question: Question, answer: Any, names: tuple[str, ...]) -> dict[str, CheckResult]:
    """The verdicts on the student's own versions of the other answers that ``answer`` calls
    (``names``, replaced by the course's while it was checked), read from its globals, so that
    the notebook says which to fix first as the grader does. Nothing is printed."""
    if not names:
        return {}
    namespace = inspect.unwrap(answer).__globals__
    verdicts = {}
    for other in _part_of(question).questions:
        if other.name in names and other.name in namespace:
            verdicts[other.name] = decide(other, observe(other, namespace[other.name]))
    return verdicts


def _part_of(question: Question) -> Part:
    """The part that asks ``question``, its checks alone imported."""
    return next(get_part(part_id) for part_id, ids in checks.PART_QUESTIONS.items()
                if question.id in ids)


def __getattr__(name: str):
    # PARTS and QUESTIONS, the full registry, import every part's checks: only on first use.
    if name in ("PARTS", "QUESTIONS"):
        return getattr(checks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["STATUSES", "Case", "CheckResult", "Part", "Question", "all_parts", "all_questions",
           "check", "get_part", "get_question", "part_ids", "under_grader"]
