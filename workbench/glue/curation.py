"""What the App's Palette panel shows, and the review decisions it records.

The panel (``workbench/plugin/palette``) is an entry point: it calls these functions and
draws their results. A notebook gets the same data and records the same decisions with
the same calls (``wb.curation_overview``, ``wb.review_queue``, ``wb.decide_review``).

Review decisions are hand edits of the saved selection, made the way notebook 04 makes
them: the selection's tag is moved on the samples and :func:`~.select.sync_hand_edits`
recomputes and saves the selection. Each decision is also written into the selection's
``params["edits"]`` (``action: "review"``, with who, when, the tool and the reason it
answered), so the App and the notebooks see the same decisions and a decided item leaves
the queue.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone

from ..schema import parse_reason
from . import state
from .fields import CLUSTER_FIELD, cluster_names, field_values, resolve_group_field
from .fo import usable
from .select import DEFAULT_TAG, load_selection, save_selection, sync_hand_edits

#: The decisions a person can take on a review item, by the kind of item.
DECISIONS = {"pair": ("keep_both", "drop"), "quality": ("not_a_problem", "drop")}
#: The value of a group that has none (as :func:`workbench.core.maps.gaps.representation`).
_MISSING = "(missing)"


def _group_field(collection, by: str | None) -> str | None:
    """``by`` resolved as selections resolve it; a list of fields draws by the first."""
    field = resolve_group_field(collection, by)
    field = field if isinstance(field, str) else (list(field) or [None])[0]
    if field == CLUSTER_FIELD and not collection.has_sample_field(CLUSTER_FIELD):
        return None
    return field


def map_points(collection, by: str | None = None) -> dict:
    """The stored map's points: ``ids``, ``x``, ``y`` and each point's ``group`` (its value
    of ``by``; cluster names for the clusters), plus ``by`` and ``method``.

    ``by=None`` means the labels, else the map's clusters (as ``wb.select_balanced``).
    Only coordinates, ids and groups: fit to send to a browser for 10,000 points.

    Raises
    ------
    LookupError
        No map yet (the message says what to run).
    """
    from .maps import get_map

    ids, coords, info = get_map(collection)
    field = _group_field(collection, by)
    groups: list = [None] * len(ids)
    if field is not None and ids:
        groups = field_values(state.dataset_of(collection).select(ids, ordered=True), field)
    return {"ids": list(ids), "x": coords[:, 0].round(4).tolist(),
            "y": coords[:, 1].round(4).tolist(),
            "group": [_MISSING if g is None or g == "" else str(g) for g in groups],
            "by": field, "method": info.get("method")}


def representation_rows(collection, by: str | None = None,
                        targets: dict | str | None = None) -> dict:
    """Each group's count and share against its target share, with ``status``
    (``under`` / ``ok`` / ``over``), as ``wb.find_gaps`` computes them, without clustering."""
    from ..core.maps.gaps import representation

    field = _group_field(collection, by)
    if field is None:
        note = ("no label field and no clusters yet: run `find gaps` (or `workbench gaps "
                "NAME`) to name the map's clusters")
        return {"by": None, "rows": [], "notes": [note]}
    rep = representation(field_values(usable(collection), field), targets)
    rows = rep.table.loc[:, ["value", "count", "share", "target_share", "status"]]
    return {"by": field, "rows": rows.to_dict(orient="records"), "notes": list(rep.notes)}


def cluster_rows(collection) -> list[dict]:
    """The named clusters: ``cluster``, ``name``, ``size`` and ``source`` (where the name
    came from); empty before ``wb.find_clusters`` (or ``wb.find_gaps``) ran."""
    run = state.cluster_run(collection)
    if run is None or not collection.has_sample_field(CLUSTER_FIELD):
        return []
    sizes = usable(collection).count_values(CLUSTER_FIELD)
    names = cluster_names(collection)
    sources = getattr(run, "sources", None) or {}
    return [{"cluster": int(c), "name": names.get(int(c), f"cluster {c}"),
             "size": int(sizes.get(int(c), 0)), "source": sources.get(str(c), "")}
            for c in sorted(names) if sizes.get(int(c), 0)]


def _decided(selection) -> set[frozenset]:
    return {frozenset(e.get("ids", ())) for e in selection.params.get("edits", [])
            if e.get("action") == "review"}


def review_queue(collection, tag: str = DEFAULT_TAG) -> list[dict]:
    """What is left for a person to judge in the selection saved under ``tag``.

    Near-duplicate pairs kept for review (``kind="pair"``, ids ``a`` and ``b``) and
    images excluded by a quality check (``kind="quality"``, id ``a``, ``reason``), minus
    those already decided. Each item lists its possible ``decisions``. Empty when there
    is no selection yet.

    Examples
    --------
    >>> queue = wb.review_queue(ds)                       # doctest: +SKIP
    >>> wb.decide_review(ds, queue[0], "keep_both")       # doctest: +SKIP
    """
    try:
        selection = load_selection(collection, tag)
    except LookupError:
        return []
    decided = _decided(selection)
    chosen = set(selection.ids)
    queue = []
    for pair in selection.review_pairs:
        ids = frozenset((str(pair["a"]), str(pair["b"])))
        if ids in decided or not ids & chosen:
            continue
        queue.append({"kind": "pair", "a": str(pair["a"]), "b": str(pair["b"]),
                      "why": pair.get("why", ""), "cosine": pair.get("cosine"),
                      "decisions": list(DECISIONS["pair"])})
    for sid, reason in selection.excluded.items():
        if parse_reason(reason).kind == "quality" and frozenset((sid,)) not in decided:
            queue.append({"kind": "quality", "a": sid, "b": None, "why": reason,
                          "decisions": list(DECISIONS["quality"])})
    return queue


def decide_review(collection, item: dict, decision: str, *, drop: str | None = None,
                  tag: str = DEFAULT_TAG, annotator: str | None = None, tool: str = "api",
                  note: str = "") -> object:
    """Record a person's decision on a review item, as a hand edit of the selection.

    ``keep_both`` (a pair): both images are in the selection (one dropped before is
    added back). ``drop``: the image ``drop`` (a pair: ``a`` or ``b``; a quality item:
    its image) leaves the selection (reason ``manual:removed``). ``not_a_problem`` (a
    quality flag): the image joins the selection. The tag is moved and
    ``wb.sync_hand_edits`` recomputes the selection, exactly as a notebook edit; the
    decision is recorded with who (``annotator``, else ``$WORKBENCH_ANNOTATOR``, else
    ``unknown``: never guessed), when and ``tool`` (``api``, ``notebook``, ``app``).
    Returns the new selection, so the next ``wb.export`` writes what was decided.

    Examples
    --------
    >>> item = wb.review_queue(ds)[0]                              # doctest: +SKIP
    >>> sel = wb.decide_review(ds, item, "drop", drop=item["b"])   # doctest: +SKIP
    """
    kind = item.get("kind") if isinstance(item, dict) else None
    if kind not in DECISIONS:
        raise ValueError(f"item must be an entry of wb.review_queue() with kind in "
                         f"{sorted(DECISIONS)}; got {item!r:.200}")
    if decision not in DECISIONS[kind]:
        raise ValueError(f"decision for a {kind} item must be one of {list(DECISIONS[kind])}; "
                         f"got {decision!r}")
    ids = [i for i in (item.get("a"), item.get("b")) if i]
    if decision == "drop":
        drop = drop or (ids[0] if kind == "quality" else None)
        if drop not in ids:
            raise ValueError(f"drop must name one image of the item, one of {ids}; got {drop!r}")
    ds = state.dataset_of(collection)
    selection = load_selection(ds, tag)
    chosen = set(selection.ids)
    why = note or f"review: {decision.replace('_', ' ')} ({item.get('why') or kind})"
    if decision == "drop":
        if drop in chosen:
            ds.select([drop]).untag_samples(tag)
    else:
        ds.select([i for i in ids if i not in chosen]).tag_samples(tag)
    selection = sync_hand_edits(ds, tag, note=why)
    params = dict(selection.params)
    params["edits"] = [*params.get("edits", []), {
        "action": "review", "decision": decision, "kind": kind, "ids": ids,
        "dropped": drop if decision == "drop" else None, "reason": item.get("why"),
        "note": why, "tool": tool, "by": _who(annotator),
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}]
    selection = replace(selection, params=params)
    save_selection(ds, selection, tag)
    return selection


def _who(annotator: str | None) -> str:
    """The annotator id given or set in the environment; ``unknown`` when there is none."""
    from ..core.annotation.record import ANNOTATOR_ENV, resolve_annotator

    if annotator is None and not os.environ.get(ANNOTATOR_ENV, "").strip():
        return "unknown"
    return resolve_annotator(annotator)


def selection_overview(collection, tag: str = DEFAULT_TAG) -> dict | None:
    """The saved selection at a glance: size, balance before -> after, exclusions by
    reason, counts per group and the review queue's length; None before any selection."""
    try:
        selection = load_selection(collection, tag)
    except LookupError:
        return None
    return {"tag": tag, "selected": len(selection), "seed": selection.seed,
            "by": selection.params.get("by"),
            "balance_before": float(selection.balance_before),
            "balance_after": float(selection.balance_after),
            "excluded": selection.excluded_counts(),
            "counts": selection.counts.to_dict(orient="records")}


def curation_overview(collection, *, by: str | None = None, tag: str = DEFAULT_TAG) -> dict:
    """Everything the Palette panel shows, as plain data: ``map`` (or ``map_note``),
    ``representation``, ``clusters``, ``selection`` and ``review``.

    Examples
    --------
    >>> overview = wb.curation_overview(ds)   # doctest: +SKIP
    >>> len(overview["map"]["ids"])           # doctest: +SKIP
    """
    overview: dict = {"dataset": state.dataset_of(collection).name, "tag": tag}
    try:
        overview["map"] = map_points(collection, by)
    except LookupError as exc:
        overview["map"], overview["map_note"] = None, str(exc)
    overview["representation"] = representation_rows(collection, by)
    overview["clusters"] = cluster_rows(collection)
    overview["selection"] = selection_overview(collection, tag)
    overview["review"] = review_queue(collection, tag)
    return overview


def group_view(collection, by: str, value: str):
    """The samples whose ``by`` is ``value`` (a cluster by its name or number; the
    missing group by ``"(missing)"``), for showing one bar of a chart in the App."""
    from .fo import fiftyone

    F = fiftyone().ViewField
    view = usable(collection)
    if by == CLUSTER_FIELD:
        named = {name: c for c, name in cluster_names(collection).items()}
        number = named.get(value)
        if number is None and str(value).lstrip("-").isdigit():
            number = int(value)
        if number is None:
            raise ValueError(f"value must be a cluster's name or number, one of "
                             f"{sorted(named)}; got {value!r}")
        return view.match(F(CLUSTER_FIELD) == number)
    if value == _MISSING:
        return view.match((F(by) == None) | (F(by) == ""))
    values = field_values(view, by)
    kinds = {type(v) for v in values if v is not None}
    if kinds and all(k in (int, float) for k in kinds):
        try:
            return view.match(F(by) == float(value))
        except ValueError:
            pass
    return view.match(F(by) == value)


def ids_view(collection, ids: Sequence[str]):
    """The samples ``ids`` (a lasso or box on the map), in the dataset."""
    return state.dataset_of(collection).select(list(ids))
