"""What a graded question is, and what a check says about an answer.

A ``Question`` names what the notebook must define, how many points it is worth, the inputs it
is tried on (``cases``) and how the answer's output on each input is compared with the reference
(``compare``). A ``Part`` is the list of questions of one exercise notebook. A ``CheckResult``
is the verdict.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

# Verdicts, from best to worst. Only "passed" earns points.
PASSED = "passed"
WRONG = "wrong"  # the answer ran and returned a wrong result
ERROR = "error"  # the answer raised, or is not the kind of object the question asks for
NOT_ANSWERED = "not answered"  # it still raises NotImplementedError
MISSING = "missing"  # the graded notebook does not define it
TIMEOUT = "timeout"  # it ran longer than the grader's time limit
STATUSES = (PASSED, WRONG, ERROR, NOT_ANSWERED, MISSING, TIMEOUT)

# What a graded report shows of each answer's feedback (``dlvision grade --feedback``).
FULL = "full"  # the mistake and the hint, code included: what ``check`` shows in the notebook
MISTAKES = "mistakes"  # the mistake, named in words, without the hint or any code
SCORES = "scores"  # the points only
FEEDBACK_LEVELS = (FULL, MISTAKES, SCORES)

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


@dataclass(frozen=True)
class Feedback:
    """What a comparison says about a wrong answer, in two parts, so that a graded report can show
    the mistake without the code that fixes it.

    mistake : what is wrong, in words (what was expected, what came back, the mistake named).
    fix : how to put it right; it may show code. Shown only with the full feedback.

    ``str(feedback)`` is the full text, "mistake: fix".
    """

    mistake: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.mistake}: {self.fix}" if self.fix else self.mistake


def call(answer: Callable[..., Any], case: Case) -> Any:
    """The usual way to try an answer on a case: call it with the case's arguments."""
    return answer(*case.args)


def keywords(*names: str) -> Callable[[Any, Case], Any]:
    """An ``apply`` that passes a case's last arguments by keyword, named ``names``, leaving out
    those that are None so that the answer's own default is tried."""
    def apply(answer: Callable[..., Any], case: Case) -> Any:
        given = zip(names, case.args[-len(names):], strict=True)
        return answer(*case.args[:-len(names)], **{k: v for k, v in given if v is not None})
    return apply


def symptom(says: str | Feedback, shows: Callable[..., bool]) -> Callable[..., Any]:
    """A mistake told by what the answer returned: ``says`` when ``shows(expected, got,
    *case.args)`` is true (see ``Question.mistakes``)."""
    return lambda *seen: says if shows(*seen) else None


@dataclass(frozen=True)
class Question:
    """One graded question of an exercise notebook.

    id : what the notebook passes to ``check``, unique across all parts, e.g. "normalize".
    name : the function or class the notebook must define, e.g. "imagenet_normalize".
    points : what a right answer earns; a wrong one earns 0.
    title : one line shown in reports.
    cases : builds the inputs. It must be deterministic (seeded), because the grader builds them
        twice, in the process that runs the answer and in the one that decides.
    hint : one or two sentences shown with a wrong answer (the full feedback only: it spells
        out the answer).
    reference : the right output, ``reference(*case.args)``. A declared question is decided with
        it: ``compare_with(expected, got)`` (by default ``compare_tensors`` within
        ``tolerance``, an absolute and relative tolerance, or one number for both); when that
        finds a problem, the first of ``mistakes`` whose ``variant(*case.args)`` the answer
        matches (by the same comparison) names it: ``(says, variant)``, ``says`` a text or a
        ``Feedback`` added to the problem; a ``None`` variant matches any answer (what to say
        when no named mistake fits). A mistake may instead be a symptom, a function
        ``(expected, got, *case.args)`` that returns what to say when ``got`` shows it, else
        None (e.g. values all in [0, 1]: not normalized).
    compare : for a question that needs more than that: ``compare(case, got)`` returns None
        when ``got`` is right for ``case``, else what is wrong: a short text in words (what
        was expected, what came back), or a ``Feedback`` when it also says how to fix it in
        code. Given instead of ``reference``.
    apply : how an answer is tried on a case (``call`` by default; a class question would build
        the object and run it). Its result is what ``compare`` receives.
    refuses : the package's functions and classes that compute what the question asks the
        student to write (the reference, any other ``dlvision`` function that does the same,
        the check's own reference). While the answer runs on the check's inputs, calling one
        raises ``ReferenceRefused`` ("write this yourself"), however it was reached (see
        ``observe.refusing``: plain Python functions, or decorated ones, and whole classes);
        torch, torchvision and scikit-learn stay allowed. A new part declares its own in one
        line, ``refuses=(saliency_map,)``.
    uses : the other answers of the part that this one calls by name (``training_step`` calls
        the notebook's ``discriminator_loss``): name -> the course's version, put in their place
        while it is checked (``observe.substituting``), so that a mistake in one answer costs
        its own points only. A version must not be among ``refuses``.
    """

    id: str
    name: str
    points: int
    title: str
    cases: Callable[[], list[Case]]
    hint: str
    reference: Callable[..., Any] | None = None
    tolerance: float | tuple[float, float] = 1e-5
    compare_with: Callable[[Any, Any], str | Feedback | None] | None = None
    mistakes: tuple[tuple[str | Feedback, Callable[..., Any] | None] | Callable[..., Any],
                    ...] = ()
    compare: Callable[[Case, Any], str | Feedback | None] | None = None
    apply: Callable[[Any, Case], Any] = call
    refuses: tuple[Callable[..., Any] | type, ...] = ()
    # Left out of comparisons and of the hash: a mapping has none.
    uses: Mapping[str, Callable[..., Any]] = field(default_factory=lambda: MappingProxyType({}),
                                                   compare=False)

    def __post_init__(self) -> None:
        if (self.compare is None) == (self.reference is None):
            raise ValueError(f"question {self.id!r}: give either reference or compare")

    def decide(self, case: Case, got: Any) -> str | Feedback | None:
        """None when ``got`` is right for ``case``, else what is wrong (see ``compare``)."""
        if self.compare is not None:
            return self.compare(case, got)
        same = self.compare_with or self._within_tolerance
        expected = self.reference(*case.args)
        problem = same(expected, got)
        if problem is None:
            return None
        for mistake in self.mistakes:
            if callable(mistake):  # a symptom
                says = mistake(expected, got, *case.args)
            else:
                says, variant = mistake
                if variant is not None and same(variant(*case.args), got) is not None:
                    says = None
            if isinstance(says, Feedback):
                return Feedback(f"{problem}\n{says.mistake}", says.fix)
            if says is not None:
                return f"{problem}\n{says}"
        return problem

    def _within_tolerance(self, expected: Any, got: Any) -> str | None:
        from .compare import compare_tensors  # compare imports observe, which imports this

        atol, rtol = (self.tolerance if isinstance(self.tolerance, tuple)
                      else (self.tolerance, self.tolerance))
        return compare_tensors(expected, got, atol=atol, rtol=rtol)


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
    ``max_points``. message : what to tell the student (empty when the answer passed): the
    full feedback, hint and code included. mistake : the same without the hint and the code
    (``feedback(MISTAKES)``); None when it is the message itself. substituted : the other
    answers whose course version replaced the student's while this one was checked
    (``Question.uses``).
    """

    question: str
    status: str
    points: int
    max_points: int
    message: str = ""
    mistake: str | None = None
    substituted: tuple[str, ...] = ()
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

    def feedback(self, level: str = FULL) -> str:
        """The feedback at ``level`` (``FEEDBACK_LEVELS``): the full message, the mistake
        alone, or nothing (scores only)."""
        if level == FULL:
            return self.message
        if level == MISTAKES:
            return self.message if self.mistake is None else self.mistake
        if level == SCORES:
            return ""
        raise ValueError(f"unknown feedback level {level!r}; choose one of "
                         f"{', '.join(FEEDBACK_LEVELS)}")

    def noted(self, note: str) -> CheckResult:
        """This result with ``note`` (words, no code) added on a line of its own, at every
        feedback level but the scores."""
        if not note:
            return self
        def add(text: str) -> str:
            return f"{text}\n{note}" if text else note
        mistake = None if self.mistake is None else add(self.mistake)
        return replace(self, message=add(self.message), mistake=mistake)

    def to_dict(self, level: str = FULL) -> dict[str, Any]:
        return {"id": self.question, "status": self.status, "passed": self.passed,
                "points": self.points, "max_points": self.max_points,
                "feedback": self.feedback(level)}

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


def result(question: Question, status: str, message: str = "", *,
           mistake: str | None = None) -> CheckResult:
    """The ``CheckResult`` of ``question`` with that status: full points if passed, else 0.
    ``mistake``: the message without its hint and code, when they differ."""
    points = question.points if status == PASSED else 0
    return CheckResult(question.id, status, points, question.points, message, mistake)


def chain_note(verdict: CheckResult, upstream: Mapping[str, CheckResult]) -> str:
    """What to fix first, when ``verdict``'s answer was checked with the course's versions of
    other answers (``verdict.substituted``) and the student's own do not pass: their verdicts
    are ``upstream`` (answer's name -> verdict). Empty when there is nothing to say."""
    failing = [(name, upstream[name]) for name in verdict.substituted
               if name in upstream and not upstream[name].passed]
    if not failing or verdict.status in (NOT_ANSWERED, MISSING):  # nothing checked to explain
        return ""
    states = {WRONG: "is wrong", ERROR: "has an error", NOT_ANSWERED: "is not answered yet",
              MISSING: "is missing", TIMEOUT: "runs too long"}
    yours = "; ".join(f"your `{name}` {states.get(v.status, v.status)} (question {v.question})"
                      for name, v in failing)
    it = "it" if len(failing) == 1 else "them"
    names = " and ".join(f"`{name}`" for name, _ in failing)
    checked = f"`{verdict.question}` was checked with the course's {names} in place of yours"
    if verdict.passed:
        return f"{yours}: fix {it} first, since this answer calls {it} ({checked})"
    if verdict.status in (WRONG, ERROR, TIMEOUT):
        return (f"{yours}: fix {it} first; {checked}, so the mistake above is in this answer "
                "itself")
    return f"{yours}: fix {it} first ({checked})"
