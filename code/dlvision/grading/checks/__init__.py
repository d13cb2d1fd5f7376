"""The registry of graded questions: one module per exercise notebook.

To grade a new part, write ``checks/<part>.py`` defining ``PART = Part(id=..., questions=...)``
(``getting_started.py`` is the model), add it to ``_MODULES`` below, and give every question at
least two mutants in ``tests/mutants/<part>.py``: the test suite fails until you do.
"""

from __future__ import annotations

from ..question import Part, Question
from . import getting_started, transfer_learning

_MODULES = (getting_started, transfer_learning)

PARTS: dict[str, Part] = {module.PART.id: module.PART for module in _MODULES}


def _index_questions() -> dict[str, Question]:
    questions: dict[str, Question] = {}
    for part in PARTS.values():
        for question in part.questions:
            if question.id in questions:
                raise RuntimeError(f"question id {question.id!r} is used twice; ids must be "
                                   "unique across parts, since check() finds questions by id")
            questions[question.id] = question
    return questions


QUESTIONS: dict[str, Question] = _index_questions()


def get_part(part_id: str) -> Part:
    """The part with that id; ``ValueError`` naming the known parts otherwise."""
    if part_id not in PARTS:
        raise ValueError(f"unknown exercise {part_id!r}; the graded exercises are: "
                         f"{', '.join(PARTS)}")
    return PARTS[part_id]


def get_question(question_id: str) -> Question:
    """The question with that id; ``ValueError`` naming the known questions otherwise."""
    if question_id not in QUESTIONS:
        raise ValueError(f"unknown question {question_id!r}; the questions are: "
                         f"{', '.join(QUESTIONS)}")
    return QUESTIONS[question_id]


__all__ = ["PARTS", "QUESTIONS", "get_part", "get_question"]
