"""Helpers for the chapters: the profile line and the mini profile's note, gluing results into
the prose, and Markdown tables.

Every number a chapter quotes is glued (``myst_nb.glue``), so text and results never disagree;
``glue_fields`` glues every field of a result under one prefix, ``glue_all`` a dict of values,
``glue_markdown`` a sentence that only one profile can say (its numbers glued values too).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from numbers import Number
from typing import Any

from .profile import Profile, current

STANDINS = {
    "ImageNet": "translated digits 0–4 (32×32, random positions)",
    "VGG16 and SqueezeNet 1.1": "MiniVGG and MiniSqueezeNet, trained on those digits at first use",
    "15 Scene": "translated digits 5–9, a few labelled images per class",
    "MNIST and CelebA": "centred digits 0–9 (the training split of scikit-learn's digits)",
}


REHEARSAL_NOTE = (
    ":::{warning}\n"
    "This page is a **rehearsal** of the full profile on generated files (`make rehearse-full`): "
    "VGG16 and SqueezeNet 1.1 with random weights, a few generated images per dataset, a few "
    "training steps. It proves that the full profile's code paths run; its numbers mean "
    "nothing.\n"
    ":::\n"
)


def standin_note_markdown(profile: str | Profile | None = None) -> str:
    """The note (MyST Markdown) that says what stands in for what; empty in the full profile,
    a warning in its rehearsal (``$DLVISION_SIZES=rehearsal``)."""
    prof = current(profile)
    if prof.is_rehearsal:
        return REHEARSAL_NOTE
    if not prof.is_mini:
        return ""
    rows = "\n".join(f"| {real} | {mini} |" for real, mini in STANDINS.items())
    return (
        ":::{note}\n"
        "This page was built in the **mini** profile: it runs offline on a laptop CPU, on small "
        "stand-ins for the course's data and networks. Its numbers describe the mini world, "
        "not ImageNet.\n\n"
        "| in the course | here |\n|---|---|\n"
        f"{rows}\n\n"
        "Rebuild with `DLVISION_PROFILE=full make book` (GPU advised) for the real data and "
        "pretrained weights.\n"
        ":::\n"
    )


def show_profile(profile: str | Profile | None = None) -> None:
    """Display the profile line, and in the mini profile the stand-in note, in a notebook."""
    from IPython.display import Markdown, display

    prof = current(profile)
    note = standin_note_markdown(prof)
    display(Markdown(f"`{prof.describe()}`\n\n{note}"))


# --- glue -----------------------------------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | Number) and not (isinstance(value, float) and math.isnan(value))


# The names glued in this kernel, so that a Markdown fragment quoting a name never glued fails
# in its cell, which names it, rather than as a build warning far from the cause.
_GLUED: set[str] = set()


def _glue(name: str, value: Any) -> None:
    try:
        from myst_nb import glue  # the "book" extra: only a book build reads glued values
    except ImportError:  # a chapter opened as a notebook, without the book's tools
        return
    glue(name, value, display=False)


class GluedNames(list):
    """The names glued, a list that shows nothing when a notebook cell ends with the call."""

    def _ipython_display_(self) -> None:
        pass


def glue_all(values: Mapping[str, Any], *, prefix: str = "") -> GluedNames:
    """Glue each value under its key (``prefix_key`` when a prefix is given), without showing
    it; returns the names glued. Values must be numbers or strings (None and NaN are skipped:
    a chapter that quotes them fails to build, which is the point).

    In a rehearsal of the full profile (random weights, a few steps) a measure may have no
    value (no attack succeeded in two steps, say): NaN is glued there, and shows as "nan" on a
    page that already says its numbers mean nothing.
    """
    keep_nan = current().is_rehearsal
    names = GluedNames()
    for key, value in values.items():
        name = f"{prefix}_{key}" if prefix else key
        if value is None or (isinstance(value, float) and math.isnan(value) and not keep_nan):
            continue
        if not (_is_scalar(value) or (keep_nan and isinstance(value, float))):
            raise TypeError(f"cannot glue {name!r}: expected a number or a string, got "
                            f"{type(value).__name__}")
        _glue(name, value)
        _GLUED.add(name)
        names.append(name)
    return names


_QUOTED = re.compile(r"\{glue:text\}`([^`:]+)")


def glue_markdown(name: str, markdown: str) -> str:
    """Glue a MyST Markdown fragment, pasted in the page with ``{glue:md}`name:myst``` (the
    ``:myst`` lets its roles work). For a sentence that only one profile can say (the mini
    profile's digits have boxes, ImageNet's images do not): every number in it is a value glued
    before, quoted with ``{glue:text}`` as in the page's own text, so the fragment holds words
    only. The other profile glues its own fragment, or ``""``, under the same name. Returns
    the name."""
    missing = sorted(set(_QUOTED.findall(markdown)) - _GLUED)
    if missing:
        raise ValueError(f"the fragment {name!r} quotes {', '.join(missing)}, not glued: glue "
                         "them (glue_all) before the fragment that quotes them")
    from IPython.display import Markdown  # a notebook's kernel always has IPython

    _glue(name, Markdown(markdown))
    _GLUED.add(name)
    return name


def result_fields(result: Any) -> dict[str, Any]:
    """The scalar fields and properties of a dataclass instance (a ``Result`` row, a training
    record...): name → value, leaving out arrays, None and NaN."""
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        raise TypeError(f"expected a dataclass instance, got {type(result).__name__}")
    names = [f.name for f in dataclasses.fields(result)]
    names += [n for n, v in vars(type(result)).items() if isinstance(v, property)]
    values = {n: getattr(result, n) for n in names if not n.startswith("_")}
    return {n: v for n, v in values.items() if _is_scalar(v)}


def glue_fields(prefix: str, result: Any) -> GluedNames:
    """Glue every scalar field and property of ``result`` as ``<prefix>_<field>``:
    ``glue_fields("course", row)`` gives ``course_accuracy``, ``course_features``... Returns
    the names glued."""
    return glue_all(result_fields(result), prefix=prefix)


# --- tables ---------------------------------------------------------------------------------------


def markdown_table(rows: Sequence[Mapping], columns: Sequence[tuple[str, str, str]]) -> str:
    """A Markdown table: one line per row, one column per ``(key, header, format)``.

    Missing values (None, absent, NaN) leave the cell empty; numbers are right-aligned.
    """
    def cell(value, fmt: str) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return fmt.format(value)

    header = "| " + " | ".join(h for _, h, _ in columns) + " |"
    numeric = [any(isinstance(r.get(k), int | float) and not isinstance(r.get(k), bool)
                   for r in rows) for k, _, _ in columns]
    rule = "|" + "|".join("---:" if num else "---" for num in numeric) + "|"
    lines = [header, rule]
    for row in rows:
        lines.append("| " + " | ".join(cell(row.get(k), fmt) for k, _, fmt in columns) + " |")
    return "\n".join(lines)


def results_table(results: Sequence[Any], *, columns: Sequence[str] | None = None) -> str:
    """Result rows (dataclasses with a ``COLUMNS`` class attribute of ``(key, header, format)``,
    like ``dlvision.transfer.Result``) as a Markdown table; ``columns`` picks and orders keys
    among ``COLUMNS`` (default: all of them)."""
    if not results:
        raise ValueError("no results to show")
    known = {key: (key, header, fmt) for key, header, fmt in type(results[0]).COLUMNS}
    unknown = [c for c in columns or () if c not in known]
    if unknown:
        raise ValueError(f"unknown columns {unknown}; choose among {', '.join(known)}")
    chosen = [known[c] for c in columns] if columns is not None else list(known.values())
    rows = [{key: getattr(r, key) for key, _, _ in chosen} for r in results]
    return markdown_table(rows, chosen)


def network_table(model: Any, *example: Any) -> str:
    """``model``'s layers as a Markdown table (``dlvision.models.layer_table``): name, kind,
    settings, parameters and, given ``example`` inputs (a batch of one), each layer's output
    shape. A page shows this rather than ``print(model)``, whose long lines overflow a cell."""
    from .models import layer_table  # torch only when a page asks for a network's table

    rows = layer_table(model, *example)
    for row in rows:
        if example:
            shape = row["output"]
            row["output"] = "×".join(str(n) for n in shape) if shape is not None else ""
    columns = [("layer", "layer", "`{}`"), ("kind", "kind", "{}"), ("settings", "settings", "{}")]
    if example:
        columns.append(("output", "output", "{}"))
    columns.append(("parameters", "parameters", "{:,}"))
    return markdown_table(rows, columns)
