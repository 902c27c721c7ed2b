"""Thumbnails and image strips as self-contained HTML (works in notebooks and reports)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

from ..core.images import ImageDecodeError, open_rgb


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


def show_html(fragment: str):
    """Wrap an HTML fragment for notebook display."""
    from IPython.display import HTML

    return HTML(fragment)


def show_samples(collection, label: str | None = None, n: int = 12, size: int = 112,
                 title: str | None = None):
    """A strip of the first ``n`` samples of a FiftyOne collection, captioned by ``label``.

    Examples
    --------
    >>> wb.show_samples(ds.match({"consent": "opted_out"}), label="creator")  # doctest: +SKIP
    """
    view = collection.limit(n)
    paths = view.values("filepath")
    captions = [str(v) if v is not None else "" for v in view.values(label)] if label else None
    return show_html(strip_html(paths, captions, size=size, title=title))
