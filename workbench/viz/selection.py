"""Displays for a selection: excluded duplicates beside the image they duplicate."""

from __future__ import annotations

from .thumbs import show_html, strip_html


def show_duplicates(collection, selection, *, limit: int = 12, size: int = 96):
    """Pairs of (kept image, excluded duplicate), one strip per pair, with the reason.

    Examples
    --------
    >>> wb.show_duplicates(ds, sel)  # doctest: +SKIP
    """
    pairs = [(kept.split(":", 1)[1], dup) for dup, kept in selection.excluded.items()
             if kept.startswith("duplicate_of:")]
    if not pairs:
        return show_html("<i>No duplicates were excluded.</i>")
    ds = collection._dataset
    paths = dict(zip(*ds.values(["id", "filepath"])))
    parts = [strip_html([paths[k], paths[d]], ["kept", "excluded: duplicate"], size=size,
                        title=f"{d} duplicates {k}") for k, d in pairs[:limit]]
    more = f"<p>... and {len(pairs) - limit} more</p>" if len(pairs) > limit else ""
    return show_html("".join(parts) + more)
