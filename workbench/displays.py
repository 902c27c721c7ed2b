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
    from .glue.fields import CLUSTER_FIELD
    from .glue.maps import map_frame
    from .viz.mapwidget import MapExplorer

    if color_by == CLUSTER_FIELD and not collection.has_sample_field(CLUSTER_FIELD):
        from .glue.gaps import find_clusters

        find_clusters(collection)
    frame = map_frame(collection, [color_by, *tooltip_fields], method)
    if color_by is not None and color_by not in frame.columns:
        raise ValueError(f"color_by={color_by!r} is not a field of this dataset")
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
    ``value=None`` picks the collection's labels, or the map's clusters when it has none; a
    field that does not exist or has fewer than 2 values stops with the usable ones listed.

    >>> by = wb.field_choice(ds, "style")   # doctest: +SKIP
    >>> by        # the control shows; in the next cell, by.value  # doctest: +SKIP
    """
    from .glue.fields import CLUSTER_FIELD, groupable_fields, resolve_group_field
    from .viz.controls import choice

    fields = sorted({*groupable_fields(collection), CLUSTER_FIELD})
    # None: the labels, else the map's clusters; a field that cannot balance: a clear error.
    value = resolve_group_field(collection, value)
    return choice(fields, value, label)


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


def annotate(view, field: str = "caption", *, order: str = "doubtful",
             annotator: str | None = None, by: str | None = None, model: str | None = None,
             seed: int = 0, tool: str = "notebook", config=None, vocabulary=None,
             image_px: int = 480):
    """A notebook editor for ``field`` on the samples of ``view``; every save is recorded.

    Parameters
    ----------
    view
        The samples to page through (a dataset or a view).
    field : str
        ``caption``, ``tags``, a label field or a rights field.
    order : {"doubtful", "cluster", "random"}
        Most doubtful label first (the label-issue score; unlabelled first of all),
        cluster by cluster, or random (``seed``).
    annotator : str, optional
        Who edits (else ``config.annotator``, else ``$WORKBENCH_ANNOTATOR``).
    by : str, optional
        The label field whose neighbours' labels are suggested (default ``field``, or the
        collection's labels when editing a caption or tags).
    tool : {"notebook", "adjudication"}
        How the edits are recorded (``adjudication`` to settle a disagreement queue).

    Examples
    --------
    >>> editor = wb.annotate(ds.take(40, seed=0), field="caption", order="random",
    ...                      annotator="expert-1")   # doctest: +SKIP
    >>> editor                                       # doctest: +SKIP
    """
    from .core.annotation.record import resolve_annotator
    from .glue.annotation import edit
    from .glue.annotation_items import editor_items
    from .viz.annotator import Annotator

    if tool not in ("notebook", "adjudication"):
        raise ValueError(f"tool must be 'notebook' or 'adjudication'; got {tool!r}")
    who = resolve_annotator(annotator, config)
    data = editor_items(view, field, order=order, by=by, model=model, seed=seed,
                        vocabulary=vocabulary)

    def save(sample_id: str, value) -> None:
        edit(view, field, {sample_id: value}, annotator=who, tool=tool)

    return Annotator(data, save, image_px=image_px)
