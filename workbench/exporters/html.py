"""HTML fragments for reports and notebook displays: thumbnails, image strips, tables, figures.

Pure: file paths, tables and matplotlib figures in, self-contained HTML out (images are
inlined as data URIs). Figures are drawn on matplotlib's Agg canvas directly, so no
global plotting state (a notebook's backend) is touched.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

from workbench.core.pixels.images import ImageDecodeError, open_rgb


def thumbnail_data_uri(path: str, size: int = 128, quality: int = 80) -> str | None:
    """A JPEG data URI of the image scaled to fit ``size`` px, or None if it cannot be read."""
    try:
        img = open_rgb(path, draft_size=(size, size)).image
    except ImageDecodeError:
        return None
    img.thumbnail((size, size))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def strip_html(paths: Sequence[str], captions: Sequence[str] | None = None, *, size: int = 112,
               title: str | None = None) -> str:
    """One row of thumbnails with captions, as an HTML fragment."""
    captions = list(captions) if captions is not None else [""] * len(paths)
    cells = []
    for path, cap in zip(paths, captions):
        uri = thumbnail_data_uri(path, size)
        img = (f'<img src="{uri}" style="width:{size}px;height:{size}px;object-fit:cover;'
               f'border-radius:4px" title="{html.escape(str(path))}">' if uri else
               f'<div style="width:{size}px;height:{size}px;background:#eee">unreadable</div>')
        cells.append(f'<figure style="margin:2px;display:inline-block;text-align:center;'
                     f'font:11px sans-serif;max-width:{size}px">{img}'
                     f'<figcaption style="overflow:hidden;text-overflow:ellipsis;white-space:nowrap">'
                     f'{html.escape(str(cap))}</figcaption></figure>')
    head = f'<div style="font:bold 12px sans-serif;margin-top:6px">{html.escape(title)}</div>' \
        if title else ""
    return f'{head}<div style="display:flex;flex-wrap:wrap;gap:2px">{"".join(cells)}</div>'


def new_figure(width: float, height: float):
    """A matplotlib Figure on an Agg canvas (no pyplot), and its one Axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def fig_to_data_uri(fig) -> str:
    """A matplotlib figure as a PNG data URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
