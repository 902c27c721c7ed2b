"""Image strips in a notebook: HTML fragments wrapped for display."""

from __future__ import annotations

from collections.abc import Sequence

from ..exporters.html import strip_html


def show_html(fragment: str):
    """Wrap an HTML fragment for notebook display."""
    from IPython.display import HTML

    return HTML(fragment)


def show_strip(paths: Sequence[str], captions: Sequence[str] | None = None, *,
               size: int = 112, title: str | None = None):
    """One row of thumbnails with captions, for a notebook."""
    return show_html(strip_html(paths, captions, size=size, title=title))


def subsets_figure(coords, labels, subsets: dict, title: str):
    """One map per subset, side by side: its points coloured by ``labels``, the rest of the
    collection in light grey (matplotlib Figure on the Agg canvas)."""
    import numpy as np
    import pandas as pd
    from matplotlib import colormaps

    from ..exporters.html import new_figure

    labels = pd.Series(labels).fillna("(missing)").astype(str).to_numpy()
    names = sorted(set(labels))
    colours = {name: colormaps["tab20"](k % 20) for k, name in enumerate(names)}
    fig, _ = new_figure(5.2 * len(subsets), 4.6)
    fig.clear()
    for k, (name, mask) in enumerate(subsets.items()):
        ax = fig.add_subplot(1, len(subsets), k + 1)
        mask = np.asarray(mask, dtype=bool)
        ax.scatter(coords[~mask, 0], coords[~mask, 1], s=6, color="#dddddd")
        for value in names:
            pick = mask & (labels == value)
            if pick.any():
                ax.scatter(coords[pick, 0], coords[pick, 1], s=14, color=colours[value],
                           label=f"{value} ({pick.sum()})")
        ax.set_title(f"{name}: {mask.sum()} images")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(fontsize=7, frameon=False, loc="best")
    fig.suptitle(title)
    return fig
