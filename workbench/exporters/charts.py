"""Bar charts for the dataset card, as byte-stable PNG files.

Uses matplotlib's object API with the Agg canvas directly: no ``pyplot``, no global
backend switch, so a notebook's plotting state is untouched. PNG metadata is
stripped of the ``Software`` entry (which carries the matplotlib version), so the
same data gives the same bytes.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

#: Bars shown before the rest are summed into one "other" bar.
MAX_BARS = 30


def _top(order: list[str]) -> list[str]:
    return order if len(order) <= MAX_BARS else order[: MAX_BARS - 1]


def bar_chart(series: Mapping[str, Mapping[str, int]], path: Path, *, title: str,
              xlabel: str = "images") -> Path:
    """Horizontal grouped bars: one bar per series for each label.

    Parameters
    ----------
    series
        Series name (``"before"``, ``"after"``) to label -> count. Labels are ordered
        by the first series' counts, largest first; past ``MAX_BARS`` the rest are
        summed into ``other (k)``.
    path
        PNG file to write.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(series)
    first = series[names[0]] if names else {}
    labels = sorted({lab for s in series.values() for lab in s},
                    key=lambda lab: (-first.get(lab, 0), lab))
    shown = _top(labels)
    rest = [lab for lab in labels if lab not in shown]
    rows = [(lab, {n: series[n].get(lab, 0) for n in names}) for lab in shown]
    if rest:
        rows.append((f"other ({len(rest)})", {n: sum(series[n].get(lab, 0) for lab in rest)
                                             for n in names}))
    rows.reverse()  # largest at the top

    height = 1.2 + 0.28 * max(1, len(rows)) * max(1, len(names))
    fig = Figure(figsize=(7.0, min(height, 24.0)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bar = 0.8 / max(1, len(names))
    colours = ["#9aa5b1", "#2a6f97", "#e07a5f", "#81b29a"]
    for j, name in enumerate(names):
        ys = [i + (j - (len(names) - 1) / 2) * bar for i in range(len(rows))]
        ax.barh(ys, [r[1][name] for r in rows], height=bar, label=name,
                color=colours[j % len(colours)])
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0][:40] for r in rows])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    if len(names) > 1:
        ax.legend(loc="lower right")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs for some scripts: boxes, not errors
        fig.tight_layout()
        fig.savefig(path, format="png", metadata={"Software": None})
    return path
