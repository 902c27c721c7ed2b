"""Notebook displays that read a dataset: data from the FiftyOne glue, drawn by ``viz``.

An entry-point module: it only connects the two layers, so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence


def map_widget(collection, color_by: str | None = "cluster",
               tooltip_fields: Sequence[str] = ("style", "region", "creator", "license"),
               method: str | None = None):
    """A :class:`~workbench.viz.mapwidget.MapExplorer` for a dataset with a stored map.

    Examples
    --------
    >>> explorer = wb.map_widget(ds, color_by="style")  # doctest: +SKIP
    >>> explorer.show()                                  # doctest: +SKIP
    """
    from .glue.maps import map_frame
    from .viz.mapwidget import MapExplorer

    frame = map_frame(collection, [color_by, *tooltip_fields], method)
    if color_by is not None and color_by not in frame.columns:
        raise ValueError(f"color_by={color_by!r} is not a field of this dataset"
                         + ("; run wb.find_clusters(ds) first" if color_by == "cluster" else ""))
    return MapExplorer(frame, color_by=color_by,
                       tooltip_fields=[f for f in tooltip_fields if f in frame.columns
                                       and f != color_by])


def show_duplicates(collection, selection, *, limit: int = 12, size: int = 96):
    """Pairs of (kept image, excluded duplicate), one strip per pair, with the reason.

    Examples
    --------
    >>> wb.show_duplicates(ds, sel)  # doctest: +SKIP
    """
    from .glue.fo import filepaths
    from .schema import parse_reason
    from .viz.selection import show_pairs

    pairs = [(parse_reason(r).detail, dup) for dup, r in selection.excluded.items()
             if parse_reason(r).kind == "duplicate"]
    paths = filepaths(collection, {i for pair in pairs for i in pair})
    return show_pairs([(paths[k], paths[d], f"{d} duplicates {k}") for k, d in pairs],
                      ("kept", "excluded: duplicate"), limit=limit, size=size,
                      empty="No duplicates were excluded.")


def show_review_pairs(collection, selection, *, limit: int = 12, size: int = 96):
    """Pairs the selection kept both of, though they look alike, with why (a recolour,
    another skin tone, a mirror image): a person decides.

    Examples
    --------
    >>> wb.show_review_pairs(ds, sel)  # doctest: +SKIP
    """
    from .glue.fo import filepaths
    from .viz.selection import show_pairs

    pairs = [(p["a"], p["b"], p["why"]) for p in selection.review_pairs]
    paths = filepaths(collection, {i for a, b, _ in pairs for i in (a, b)})
    return show_pairs([(paths[a], paths[b], why) for a, b, why in pairs],
                      ("kept", "kept too"), limit=limit, size=size,
                      empty="No pair was close enough to need a look.")


def show_samples(collection, label: str | None = None, n: int = 12, size: int = 112,
                 title: str | None = None):
    """A strip of the first ``n`` samples of a FiftyOne collection, captioned by ``label``.

    Examples
    --------
    >>> wb.show_samples(ds.match({"consent": "opted_out"}), label="creator")  # doctest: +SKIP
    """
    from .glue.fo import first_samples
    from .viz.thumbs import show_strip

    paths, captions = first_samples(collection, n, label)
    return show_strip(paths, captions, size=size, title=title)


def show_flagged(collection, check: str | None = None, n: int = 12, size: int = 112):
    """Thumbnails of images the quality checks flagged (``check``, or any), captioned
    with their issues. Run :func:`workbench.check_quality` first.

    Examples
    --------
    >>> wb.show_flagged(ds, "blurry")  # doctest: +SKIP
    """
    from .core.quality.checks import CHECKS
    from .glue.quality import ISSUES_FIELD

    if check is not None and check not in CHECKS:
        raise ValueError(f"check must be one of {list(CHECKS)} or None; got {check!r}")
    if ISSUES_FIELD not in collection.get_field_schema():
        raise ValueError("no quality flags on this dataset yet; run wb.check_quality(ds) first")
    query = {ISSUES_FIELD: check} if check else {f"{ISSUES_FIELD}.0": {"$exists": True}}
    return show_samples(collection.match(query), label=ISSUES_FIELD, n=n, size=size,
                        title=f"flagged {check or 'by any check'}")


def field_choice(collection, value: str | None, label: str = "balance by"):
    """A control to pick a field people group by (internal bookkeeping is left out).

    Examples
    --------
    >>> by = wb.field_choice(ds, "style")   # doctest: +SKIP
    >>> by        # the control shows; in the next cell, by.value  # doctest: +SKIP
    """
    from .glue.fields import groupable_fields
    from .viz.controls import choice

    fields = groupable_fields(collection)
    return choice(fields, value if value in fields else None, label)


def targets_choice(collection, by: str, value=None, label: str = "target share per group"):
    """Sliders for a target share per value of ``by`` (even by default)."""
    from .glue.fields import group_values
    from .viz.controls import shares

    return shares(group_values(collection, by), value, label)


def subsets_map(collection, subsets: dict, color_by: str):
    """Subsets of a dataset on its map, side by side (a matplotlib Figure).

    Examples
    --------
    >>> wb.subsets_map(ds, {"scrape-like": scraped, "curated": sel.ids}, "style")  # doctest: +SKIP
    """
    from .glue.maps import map_frame
    from .viz.thumbs import subsets_figure

    frame = map_frame(collection, [color_by])
    ids = frame["id"].tolist()
    masks = {}
    for name, members in subsets.items():
        members = set(members)
        masks[name] = [i in members for i in ids]
    return subsets_figure(frame[["x", "y"]].to_numpy(), frame[color_by].tolist(), masks,
                          f"coloured by {color_by}")
