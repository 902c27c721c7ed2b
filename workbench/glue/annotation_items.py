"""What the notebook editor shows for each sample of a view, in the order asked for.

:func:`editor_items` reads a view and its dataset, and hands back plain data
(:class:`EditorItem`): the file, the current caption, tags and label, and the
suggestions of :mod:`workbench.core.annotation.suggest` (the label the annotated
neighbours carry, with its confidence; caption words from the collection; CLIP
zero-shot tags when the embeddings are CLIP's). The editor (``workbench.viz.annotator``)
draws them; ``workbench.displays.annotate`` connects the two.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..core.annotation.suggest import (ORDERS, annotation_order, caption_words, doubt_scores,
                                       suggest_labels, zero_shot_tags)
from ..errors import NotEmbeddedError
from . import state
from .fields import CLUSTER_FIELD, cluster_names, default_group_field

#: Neighbours whose captions give words.
_CAPTION_NEIGHBOURS = 8
#: CLIP zero-shot tags per item.
_ZERO_SHOT_TOP = 5


@dataclass
class EditorItem:
    """One sample as the editor shows it."""

    id: str
    filepath: str
    value: object
    caption: str | None = None
    tags: list[str] = field(default_factory=list)
    label: object = None
    labels: list[tuple[object, float]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    zero_shot: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class EditorData:
    """The items of one editing pass, and what the editor needs to know about them.

    ``kind`` is ``tags`` (a list), ``label`` (one of ``options`` or a new one) or
    ``text``; ``label_field`` is the field whose neighbours' labels are suggested;
    ``notes`` are lines shown above the suggestions (CLIP weights absent...).
    """

    field: str
    kind: str
    order: str
    items: list[EditorItem]
    label_field: str | None = None
    options: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _kind(ds, field_name: str, label_field: str | None) -> str:
    if field_name == "tags":
        return "tags"
    if field_name == "caption":
        return "text"
    return "label" if field_name == label_field or field_name in ds.get_field_schema() else "text"


def editor_items(view, field: str, *, order: str = "doubtful", by: str | None = None,
                 model: str | None = None, seed: int = 0,
                 vocabulary: list[str] | None = None) -> EditorData:
    """The samples of ``view`` with what the editor shows, in ``order``.

    ``by`` is the label field whose neighbours' labels are suggested (default: ``field``
    itself unless it is ``caption`` or ``tags``, else the collection's labels). Without
    embeddings there are no neighbour suggestions, and ``order="doubtful"`` needs them.
    """
    from .embed import get_embeddings

    ds = state.dataset_of(view)
    schema = ds.get_field_schema()
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}; got {order!r}")
    if by is not None and by not in schema:
        raise ValueError(f"by={by!r} is not a field of this dataset; fields: {sorted(schema)}")
    label_field = by or (field if field not in ("caption", "tags") else
                         default_group_field(ds))
    if label_field not in schema:
        label_field = None
    ids, paths = view.values(["id", "filepath"])
    if not ids:
        raise ValueError("the view holds no sample to annotate")
    data = EditorData(field=field, kind=_kind(ds, field, label_field), order=order,
                      items=[], label_field=label_field)
    current = view.values(field) if field in schema else [None] * len(ids)
    captions = view.values("caption") if "caption" in schema else [None] * len(ids)
    tags = view.values("tags")
    labels = view.values(label_field) if label_field else [None] * len(ids)
    data.items = [EditorItem(id=i, filepath=p, value=_plain(v), caption=c, tags=list(t or []),
                             label=lab)
                  for i, p, v, c, t, lab in zip(ids, paths, current, captions, tags, labels)]
    if data.kind == "label":
        values = ds.distinct(field) if field in schema else []
        data.options = sorted({str(v) for v in values if v not in (None, "")})

    try:
        all_ids, X, fname = get_embeddings(ds, model)
    except NotEmbeddedError:
        all_ids, X, fname = [], None, None
    if X is None:
        data.notes.append("no embeddings yet: run wb.embed(ds) for neighbour suggestions")
        if order == "doubtful":
            raise NotEmbeddedError("order='doubtful' ranks by the label-issue score, which "
                                   "needs embeddings: run wb.embed(ds) first, or pass "
                                   "order='random' or order='cluster'")
    else:
        _suggest(ds, data, all_ids, X, fname, vocabulary)
    rows = _order(ds, data, order, all_ids, X, seed)
    data.items = [data.items[r] for r in rows]
    return data


def _plain(value: object) -> object:
    return list(value) if isinstance(value, (list, tuple)) else value


def _suggest(ds, data: EditorData, all_ids: list[str], X: np.ndarray, fname: str,
             vocabulary: list[str] | None) -> None:
    from ..core.neighbours.knn import nearest_to_rows

    row_of = {sid: r for r, sid in enumerate(all_ids)}
    rows = np.array([row_of.get(it.id, -1) for it in data.items])
    embedded = rows >= 0
    everyone = ds.select(all_ids, ordered=True)
    if data.label_field:
        suggestions = suggest_labels(X, everyone.values(data.label_field))
        for it, r in zip(data.items, rows):
            it.labels = suggestions[r] if r >= 0 else []
    schema = ds.get_field_schema()
    captions = everyone.values("caption") if "caption" in schema else [None] * len(all_ids)
    names = cluster_names(ds) if CLUSTER_FIELD in schema else {}
    clusters = dict(zip(all_ids, everyone.values(CLUSTER_FIELD))) if names else {}
    paths = everyone.values("filepath")
    root = os.path.commonpath([os.path.dirname(p) for p in paths]) if paths else None
    near = np.full((len(rows), 0), 0)
    if embedded.any() and len(all_ids) > 1:
        near = np.zeros((len(rows), min(_CAPTION_NEIGHBOURS, len(all_ids) - 1)), np.int64)
        near[embedded] = nearest_to_rows(X, rows[embedded], _CAPTION_NEIGHBOURS)[1]
    for k, it in enumerate(data.items):
        neighbours = [captions[j] for j in near[k]] if embedded[k] else []
        it.words = caption_words(it.filepath, root=root, neighbour_captions=neighbours,
                                 cluster_name=names.get(clusters.get(it.id)))
    run = state.embedding_runs(ds).get(fname)
    if run is None or not run.has_text:
        model = run.model if run else fname
        data.notes.append(f"CLIP weights are absent: these embeddings ({model}) are image-only, "
                          "so no zero-shot tags; embed with --model clip where CLIP weights "
                          "are present")
        return
    from ..core.maps.cluster_names import load_vocabulary
    from .embed import embedder_for_field

    words = list(vocabulary) if vocabulary is not None else load_vocabulary()
    texts = embedder_for_field(ds, fname).encode_texts(words)
    for it, r in zip(data.items, rows):
        it.zero_shot = zero_shot_tags(X[r], texts, words, top=_ZERO_SHOT_TOP) if r >= 0 else []


def _order(ds, data: EditorData, order: str, all_ids: list[str], X, seed: int) -> np.ndarray:
    n = len(data.items)
    if order == "doubtful":
        if not data.label_field:
            raise ValueError("order='doubtful' ranks by the label-issue score of a label field; "
                             "this collection has none: pass by='FIELD', or order='cluster' "
                             "or order='random'")
        everyone = ds.select(all_ids, ordered=True)
        scores = dict(zip(all_ids, doubt_scores(X, everyone.values(data.label_field))))
        return annotation_order(order, n, doubt=[scores.get(it.id, -np.inf)
                                                 for it in data.items])
    if order == "cluster":
        if CLUSTER_FIELD not in ds.get_field_schema():
            raise ValueError("order='cluster' pages cluster by cluster: run "
                             "wb.find_clusters(ds) first, or pass order='random'")
        clusters = ds.select([it.id for it in data.items], ordered=True).values(CLUSTER_FIELD)
        return annotation_order(order, n, clusters=[-1 if c is None else c for c in clusters])
    return annotation_order(order, n, seed=seed)
