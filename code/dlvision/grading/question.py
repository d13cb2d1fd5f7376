"""What a graded question is, and what a check says about an answer.

A ``Question`` names what the notebook must define, how many points it is worth, the inputs it
is tried on (``cases``) and how the answer's output on each input is judged (``judge``). A
``Part`` is the list of questions of one exercise notebook. A ``CheckResult`` is the verdict.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Verdicts, from best to worst. Only "passed" earns points.
PASSED = "passed"
WRONG = "wrong"  # the answer ran and returned a wrong result
ERROR = "error"  # the answer raised, or is not the kind of object the question asks for
NOT_ANSWERED = "not answered"  # it still raises NotImplementedError
MISSING = "missing"  # the graded notebook does not define it
TIMEOUT = "timeout"  # it ran longer than the grader's time limit
STATUSES = (PASSED, WRONG, ERROR, NOT_ANSWERED, MISSING, TIMEOUT)

# Set in the kernel of a notebook that ``dlvision grade`` runs (see ``under_grader``).
GRADER_ENV = "DLVISION_GRADER"


@dataclass(frozen=True)
class Case:
    """One input a check feeds to an answer.

    description : how feedback names the input, e.g. "2 images, shape (2, 3, 4, 5), float32".
    args : the positional arguments the answer is called with.
    """

    description: str
    args: tuple[Any, ...]


def call(answer: Callable[..., Any], case: Case) -> Any:
    """The usual way to try an answer on a case: call it with the case's arguments."""
    return answer(*case.args)


@dataclass(frozen=True)
class Question:
    """One graded question of an exercise notebook.

    id : what the notebook passes to ``check``, unique across all parts, e.g. "normalize".
    name : the function or class the notebook must define, e.g. "imagenet_normalize".
    points : what a right answer earns; a wrong one earns 0.
    title : one line shown in reports.
    cases : builds the inputs. It must be deterministic (seeded), because the grader builds them
        twice, in the process that runs the answer and in the one that judges it.
    judge : ``judge(case, got)`` returns None when ``got`` is right for ``case``, else a short
        text saying what is wrong (what was expected, what came back). It compares with the
        package's reference implementation.
    hint : one or two sentences shown with a wrong answer.
    apply : how an answer is tried on a case (``call`` by default; a class question would build
        the object and run it). Its result is what ``judge`` receives.
    refuses : what the package offers that computes what the question asks the student to
        write: its functions (the reference and any other ``dlvision`` function that does the
        same, e.g. ``(normalize,)`` imported from ``dlvision.data``), its classes as a whole
        (``Generator``: building it, inheriting from it, any of its methods), and the check's
        own reference. While the answer runs on the check's inputs, calling one of them raises
        ``ReferenceRefused`` ("write this yourself; `dlvision.data.normalize` is the reference
        the grader uses"), however it was reached (an import, ``importlib``, ``getattr``,
        ``sys.modules``), so that the answer is the student's own; torch, torchvision and
        scikit-learn stay allowed. Building the inputs and judging still use them. A function
        must be plain Python (or decorate one); a new part declares its own in one line,
        ``refuses=(saliency_map,)``.
    """

    id: str
    name: str
    points: int
    title: str
    cases: Callable[[], list[Case]]
    judge: Callable[[Case, Any], str | None]
    hint: str
    apply: Callable[[Any, Case], Any] = call
    refuses: tuple[Callable[..., Any] | type, ...] = ()


@dataclass(frozen=True)
class Part:
    """The graded questions of one exercise notebook, e.g. ``0-getting-started``."""

    id: str
    title: str
    questions: tuple[Question, ...]

    @property
    def max_points(self) -> int:
        return sum(q.points for q in self.questions)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer.

    question : the question's id. status : one of ``STATUSES``. points : earned, out of
    ``max_points``. message : what to tell the student (empty when the answer passed).
    """

    question: str
    status: str
    points: int
    max_points: int
    message: str = ""
    # The IPython cell in which ``check`` printed this verdict (see ``_ipython_display_``).
    _printed_in: int | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def headline(self) -> str:
        """One line: the question, the verdict and the points."""
        mark = "✔" if self.passed else "✘"
        return f"{mark} {self.question}: {self.status} ({self.points}/{self.max_points} points)"

    def __str__(self) -> str:
        if not self.message:
            return self.headline()
        details = "\n".join("    " + line for line in self.message.splitlines())
        return f"{self.headline()}\n{details}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.question, "status": self.status, "passed": self.passed,
                "points": self.points, "max_points": self.max_points, "feedback": self.message}

    def _ipython_display_(self) -> None:
        # ``check`` prints the verdict itself, so that it shows wherever it is called. A cell
        # ending with ``check(...)`` would then show it twice: skip the echo in that same cell.
        shell = _ipython()
        if shell is not None and self._printed_in == shell.execution_count:
            return
        print(self)


def under_grader() -> bool:
    """Whether this notebook is being run by ``dlvision grade``. Grades come from the checks
    alone, so a cell may shorten what no check needs, such as a long training, and say so."""
    return os.environ.get(GRADER_ENV) == "1"


def _ipython():
    """The running IPython shell, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def result(question: Question, status: str, message: str = "") -> CheckResult:
    """The ``CheckResult`` of ``question`` with that status: full points if passed, else 0."""
    points = question.points if status == PASSED else 0
    return CheckResult(question.id, status, points, question.points, message)
