"""Displays for a selection: excluded duplicates beside the image they duplicate."""

from __future__ import annotations

from collections.abc import Sequence

from ..exporters.html import strip_html
from .thumbs import show_html


def show_pairs(pairs: Sequence[tuple[str, str, str]], labels: tuple[str, str], *,
               limit: int = 12, size: int = 96, empty: str = "No pairs."):
    """One strip per pair ``(left path, right path, title)``, at most ``limit`` of them."""
    if not pairs:
        return show_html(f"<i>{empty}</i>")
    parts = [strip_html([left, right], list(labels), size=size, title=title)
             for left, right, title in pairs[:limit]]
    more = f"<p>... and {len(pairs) - limit} more</p>" if len(pairs) > limit else ""
    return show_html("".join(parts) + more)
