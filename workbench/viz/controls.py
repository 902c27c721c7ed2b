"""Choices as widgets for the notebooks: a control shows the current value, and the cell
below reads ``control.value``.

The same pattern as the map widget's lasso, which hands its selection back to Python. Run
headless (nbclient, papermill), nobody touches a control, so ``.value`` is the default the
notebook's parameters cell set.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

_STYLE = {"description_width": "initial"}


def choice(options: Sequence[str], value: str | None, label: str):
    """One of ``options`` (buttons for a few, a drop-down for more); ``.value`` is the pick.

    Examples
    --------
    >>> c = choice(["cap", "quota", "diverse"], "cap", "strategy")   # doctest: +SKIP
    >>> c.value                                                       # doctest: +SKIP
    'cap'
    """
    import ipywidgets as widgets

    options = list(dict.fromkeys(options))
    if value is not None and value not in options:
        raise ValueError(f"{label}: {value!r} is not one of {options}")
    if len(options) <= 4:
        return widgets.ToggleButtons(options=options, value=value, description=label,
                                     style=_STYLE)
    return widgets.Dropdown(options=options, value=value, description=label, style=_STYLE)


def choices(options: Sequence[str], value: Sequence[str], label: str):
    """Several of ``options``; ``.value`` is a tuple of the picks."""
    import ipywidgets as widgets

    return widgets.SelectMultiple(options=list(options), value=tuple(value), description=label,
                                  rows=min(6, max(2, len(options))), style=_STYLE)


def number(value: int, low: int, high: int, label: str):
    """A whole number between ``low`` and ``high``; ``.value`` is it."""
    import ipywidgets as widgets

    return widgets.BoundedIntText(value=value, min=low, max=high, description=label,
                                  style=_STYLE)


def shares(groups: Sequence[str], value: Mapping[str, float] | None, label: str):
    """A target share per group (sliders); ``.value`` is ``{group: share}`` (even by default)."""
    import ipywidgets as widgets

    even = 1.0 / max(len(groups), 1)
    sliders = [widgets.FloatSlider(value=float((value or {}).get(g, even)), min=0.0, max=1.0,
                                   step=0.01, description=str(g), readout_format=".0%",
                                   style=_STYLE)
               for g in groups]
    return _shares_class()([widgets.HTML(f"<b>{label}</b>"), *sliders])


@functools.cache
def _shares_class():
    import ipywidgets as widgets

    class Shares(widgets.VBox):
        """Sliders, one per group; ``value`` is ``{group: share}``."""

        @property
        def value(self) -> dict[str, float]:
            return {s.description: s.value for s in self.children
                    if isinstance(s, widgets.FloatSlider)}

    return Shares


def controls(*items):
    """Several controls shown together, one per line; read each one's ``.value`` as usual.

    Examples
    --------
    >>> n, strategy = wb.number(60, 1, 500, "n"), wb.choice(["cap", "diverse"], "cap", "strategy")  # doctest: +SKIP
    >>> wb.controls(n, strategy)   # doctest: +SKIP
    """
    import ipywidgets as widgets

    return widgets.VBox(list(items))
