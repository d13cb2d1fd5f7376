"""Sliders that redraw a figure in a live notebook (Colab, Binder, Jupyter).

A chapter builds a panel with ``slider_panel(draw, {"l2_reg": (...), "lr": (...)})``: each
time a slider is released, ``draw`` runs again with the sliders' values and its figure replaces
the previous one. A page of the built site is static and cannot run it: there the chapter shows
the grid of images that the sliders walk through, and tags the cell that builds the panel
``remove-cell``, so that no page shows a widget without its fallback.

While the book builds, no one can move a slider, and a cell that creates widgets can hang its
non-interactive execution for good (a race between the widgets' messages and the cell's
reply: jupyter/nbconvert#2029, jupyter/nbclient#312). ``make book`` and the rehearsal set
``$DLVISION_STATIC_WIDGETS``: ``slider_panel`` then calls ``draw`` once with the initial
values, so the drawing code still runs, and creates no widget.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

STATIC_ENV = "DLVISION_STATIC_WIDGETS"  # set (to anything but "" or "0"): no widgets


def slider_panel(draw: Callable[..., Any], options: Mapping[str, Sequence[Any]], *,
                 value: Mapping[str, Any] | None = None,
                 labels: Mapping[str, str] | None = None):
    """A panel of sliders over ``options`` that calls ``draw(**values)`` when one is released.

    draw : draws a figure (ending with ``plt.show()``) or prints, from one keyword argument per
        slider. It is called once when the panel is built, with the initial values.
    options : slider name (``draw``'s keyword) → the values it offers, in order. A slider over a
        list of values rather than a range, because the settings worth trying (λ, η, ε) are
        spread on a log scale, which a linear slider would crowd at one end.
    value : initial value of each slider (default: the middle of its values).
    labels : what each slider is called on screen (default: its name).

    Returns an ``ipywidgets.interactive``: end a cell with it, or ``display`` it; with
    ``$DLVISION_STATIC_WIDGETS`` set (a build), calls ``draw`` once and returns None.
    """
    import ipywidgets as widgets

    value, labels = dict(value or {}), dict(labels or {})
    unknown = (value.keys() | labels.keys()) - options.keys()
    if unknown:
        raise ValueError(f"no slider named {', '.join(sorted(unknown))}; the sliders are "
                         f"{', '.join(options)}")
    controls, initial = {}, {}
    for name, values in options.items():
        values = list(values)
        if not values:
            raise ValueError(f"slider {name!r} has no values to offer")
        start = value.get(name, values[len(values) // 2])
        if start not in values:
            raise ValueError(f"the initial value {start!r} of slider {name!r} is not one of its "
                             f"values {values}")
        initial[name] = start
        controls[name] = widgets.SelectionSlider(
            options=[(f"{v:g}" if isinstance(v, float) else str(v), v) for v in values],
            value=start, description=labels.get(name, name), continuous_update=False,
            style={"description_width": "initial"})
    if os.environ.get(STATIC_ENV, "") not in ("", "0"):
        draw(**initial)
        return None
    return widgets.interactive(draw, **controls)


__all__ = ["slider_panel"]
