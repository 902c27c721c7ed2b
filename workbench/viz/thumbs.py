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
