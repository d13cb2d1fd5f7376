"""The registry of graded questions: one module per exercise notebook, imported on demand.

A part's checks import what its references need (``dlvision.transfer`` for Part 1, later
``visualize`` and ``gan``), so a module is imported only when that part is graded or one of its
questions checked. ``PART_QUESTIONS`` is the index that lets ``check("normalize", ...)`` find
its part without importing the others; the test suite checks it against the modules.

To grade a new part, write ``checks/<module>.py`` defining ``PART = Part(id=..., questions=...)``
(``getting_started.py`` is the model), add its line to ``PART_MODULES`` and ``PART_QUESTIONS``
below, and give every question at least two mutants in ``tests/mutants/<module>.py``: the test
suite fails until you do. A question is declared: its cases, its reference, the tolerance and
the common mistakes it names (``one_hot`` in ``conditional_gans.py``); ``compare=`` is for what
that cannot say.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType

from ..question import Part, Question

# part id (the notebook's file name) -> module of this package
PART_MODULES = MappingProxyType({
    "0-getting-started": "getting_started",
    "1-transfer-learning": "transfer_learning",
    "2-visualization": "visualization",
    "3-gans": "gans",
    "4-conditional-gans": "conditional_gans",
})

# part id -> its question ids, in the notebook's order
PART_QUESTIONS = MappingProxyType({
    "0-getting-started": ("normalize", "gray-to-rgb", "parameters-per-layer"),
    "1-transfer-learning": ("relu7-extractor", "preprocess-grey", "l2-features",
                            "svm-accuracy", "pca-features"),
    "2-visualization": ("saliency-map", "fooling-step", "fooling-image",
                        "class-visualization-step", "regularized-step"),
    "3-gans": ("discriminator-loss", "generator-loss", "generator", "training-step"),
    "4-conditional-gans": ("one-hot", "label-maps", "conditional-generator", "labelled-grid"),
})


def part_ids() -> list[str]:
    """Every graded exercise, in the book's order."""
    return list(PART_MODULES)


def get_part(part_id: str) -> Part:
    """The part with that id, its checks imported now; ``ValueError`` naming the known parts."""
    if part_id not in PART_MODULES:
        raise ValueError(f"unknown exercise {part_id!r}; the graded exercises are: "
                         f"{', '.join(PART_MODULES)}")
    part = importlib.import_module(f".{PART_MODULES[part_id]}", __name__).PART
    if part.id != part_id:
        raise RuntimeError(f"checks/{PART_MODULES[part_id]}.py defines part {part.id!r}, "
                           f"registered as {part_id!r}")
    return part


def get_question(question_id: str) -> Question:
    """The question with that id (importing its part only); ``ValueError`` naming the known
    questions otherwise."""
    for part_id, questions in PART_QUESTIONS.items():
        if question_id in questions:
            return next(q for q in get_part(part_id).questions if q.id == question_id)
    known = [q for questions in PART_QUESTIONS.values() for q in questions]
    raise ValueError(f"unknown question {question_id!r}; the questions are: {', '.join(known)}")


def all_parts() -> dict[str, Part]:
    """Every part, each module imported: part id -> ``Part``."""
    return {part_id: get_part(part_id) for part_id in PART_MODULES}


def all_questions() -> dict[str, Question]:
    """Every question of every part (all modules imported): question id -> ``Question``.

    Raises ``RuntimeError`` when an id is used twice, since ``check`` finds questions by id.
    """
    questions: dict[str, Question] = {}
    for part in all_parts().values():
        for question in part.questions:
            if question.id in questions:
                raise RuntimeError(f"question id {question.id!r} is used twice; ids must be "
                                   "unique across parts, since check() finds questions by id")
            questions[question.id] = question
    return questions


def __getattr__(name: str):
    # PARTS and QUESTIONS, the full registry, import every part: computed on first use only.
    if name == "PARTS":
        return all_parts()
    if name == "QUESTIONS":
        return all_questions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PART_MODULES", "PART_QUESTIONS", "all_parts", "all_questions", "get_part",
           "get_question", "part_ids"]
