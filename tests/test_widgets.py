"""Sliders of the chapters: a panel calls its drawing function with the sliders' values."""

from __future__ import annotations

import pytest

from dlvision.widgets import STATIC_ENV, slider_panel


def test_a_panel_draws_at_once_then_on_each_change(monkeypatch):
    monkeypatch.delenv(STATIC_ENV, raising=False)
    calls = []
    panel = slider_panel(lambda l2_reg, lr: calls.append((l2_reg, lr)),
                         {"l2_reg": (0.0, 1e-3, 1e-1), "lr": (1, 5, 25)}, value={"lr": 5},
                         labels={"l2_reg": "λ"})
    assert calls == [(1e-3, 5)]  # the middle of λ's values, the given η
    l2_reg, lr = panel.children[:2]
    assert (l2_reg.description, lr.description) == ("λ", "lr")
    assert not l2_reg.continuous_update  # redraw when released, not at every pixel of travel
    assert [label for label, _ in l2_reg.options] == ["0", "0.001", "0.1"]
    lr.value = 25
    assert calls[-1] == (1e-3, 25)


def test_while_the_book_builds_a_panel_draws_once_and_makes_no_widget(monkeypatch):
    monkeypatch.setenv(STATIC_ENV, "1")
    calls = []
    panel = slider_panel(lambda l2_reg, lr: calls.append((l2_reg, lr)),
                         {"l2_reg": (0.0, 1e-3, 1e-1), "lr": (1, 5, 25)}, value={"lr": 5})
    assert panel is None and calls == [(1e-3, 5)]
    with pytest.raises(ValueError, match="initial value 7"):  # still checked
        slider_panel(lambda lr: None, {"lr": (1, 5, 25)}, value={"lr": 7})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"value": {"eta": 5}}, "no slider named eta; the sliders are lr"),
    ({"value": {"lr": 7}}, "initial value 7 of slider 'lr' is not one of its values"),
])
def test_a_wrong_slider_is_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        slider_panel(lambda lr: None, {"lr": (1, 5, 25)}, **kwargs)


def test_a_slider_needs_values():
    with pytest.raises(ValueError, match="slider 'lr' has no values"):
        slider_panel(lambda lr: None, {"lr": ()})
