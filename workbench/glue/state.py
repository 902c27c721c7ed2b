"""Everything the workbench keeps in a dataset's ``info``, behind typed accessors.

``dataset.info`` is one JSON document per dataset. No other module reads or writes its
keys: each kind of record has a reader that returns plain, typed values (or raises a
``LookupError`` that says what to run first) and a writer that saves the dataset.

=====================  ==========================================  ======================
key                    what                                        written by
=====================  ==========================================  ======================
``load_reports``       the last 20 load summaries                  :func:`add_load_report`
``optout_registry``    path of the opt-out registry given at load  :func:`set_optout_registry`
``embeddings``         one :class:`EmbeddingRun` per vector field  :func:`record_embedding`
``last_embedding_field``  the field the latest embed wrote         :func:`record_embedding`
``maps``               one :class:`MapRun` per method              :func:`record_map`
``clusters``           the latest :class:`ClusterRun`              :func:`record_clusters`
``quality``            the latest quality thresholds and counts    :func:`record_quality`
``selections``         saved selections by tag                     :func:`save_selection`
=====================  ==========================================  ======================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import MapNotFoundError, SelectionNotFoundError

_LOAD_REPORTS = "load_reports"
_OPTOUT = "optout_registry"
_LABELS_FIELD = "labels_field"
_EMBEDDINGS = "embeddings"
_LAST_EMBEDDING = "last_embedding_field"
_MAPS = "maps"
_CLUSTERS = "clusters"
_SELECTIONS = "selections"
_QUALITY = "quality"
_KEEP_REPORTS = 20


def dataset_of(collection):
    """The dataset behind a dataset or a view (FiftyOne keeps it in a private attribute)."""
    return getattr(collection, "_dataset", collection)


def _plain(value: Any) -> Any:
    """FiftyOne hands ``info`` back in its own dict and list types; plain copies are safer
    to keep, compare and serialise."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _info(collection) -> dict:
    return _plain(dict(dataset_of(collection).info))


def _write(collection, key: str, value: Any) -> None:
    ds = dataset_of(collection)
    info = _plain(dict(ds.info))
    info[key] = value
    ds.info = info
    ds.save()


# -- loading ---------------------------------------------------------------------------

def load_reports(collection) -> list[dict]:
    """Summaries of the latest loads, oldest first."""
    return list(_info(collection).get(_LOAD_REPORTS, []))


def add_load_report(collection, summary: dict) -> None:
    """Append one load summary, keeping the last 20."""
    _write(collection, _LOAD_REPORTS, (load_reports(collection) + [summary])[-_KEEP_REPORTS:])


def optout_registry(collection) -> str | None:
    """Path of the opt-out registry given at load, if any."""
    return _info(collection).get(_OPTOUT)


def set_optout_registry(collection, path: str) -> None:
    _write(collection, _OPTOUT, str(path))


def labels_field(collection) -> str | None:
    """The field the folders' names were loaded into (``labels_from_folders``), if any."""
    return _info(collection).get(_LABELS_FIELD)


def set_labels_field(collection, name: str) -> None:
    _write(collection, _LABELS_FIELD, str(name))


# -- embeddings ------------------------------------------------------------------------

@dataclass(frozen=True)
class EmbeddingRun:
    """How one vector field was made."""

    field: str
    model: str
    spec: str
    dim: int
    has_text: bool
    reason: str
    updated: str


def embedding_runs(collection) -> dict[str, EmbeddingRun]:
    """Every embedding field of the dataset, by field name, in the order they were made."""
    runs = _info(collection).get(_EMBEDDINGS, {})
    return {name: EmbeddingRun(field=name, **{k: v for k, v in run.items() if k != "field"})
            for name, run in runs.items()}


def last_embedding_field(collection) -> str | None:
    """The field the latest embed wrote (None before any)."""
    info = _info(collection)
    return info.get(_LAST_EMBEDDING) or next(iter(info.get(_EMBEDDINGS, {})), None)


def record_embedding(collection, run: EmbeddingRun) -> None:
    """Record ``run`` and make its field the latest."""
    ds = dataset_of(collection)
    info = _plain(dict(ds.info))
    runs = dict(info.get(_EMBEDDINGS, {}))
    runs[run.field] = {k: v for k, v in asdict(run).items() if k != "field"}
    info[_EMBEDDINGS] = runs
    info[_LAST_EMBEDDING] = run.field
    ds.info = info
    ds.save()


# -- maps ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapRun:
    """A stored 2-D map: its FiftyOne Brain run and the field holding the coordinates."""

    method: str
    brain_key: str
    points_field: str
    embedding_field: str
    config: dict
    samples: int


def map_runs(collection) -> dict[str, MapRun]:
    """Stored maps by method (``umap``, ``pca``)."""
    return {method: MapRun(method=method, **run)
            for method, run in _info(collection).get(_MAPS, {}).items()}


def map_run(collection, method: str | None = None) -> MapRun:
    """The stored map for ``method`` (default: UMAP if there is one, else any).

    Raises
    ------
    LookupError
        No map yet, or none for ``method``; the message says what to run.
    """
    runs = map_runs(collection)
    name = dataset_of(collection).name
    if not runs:
        raise MapNotFoundError(f"dataset {name!r} has no map yet; run `workbench map {name}` "
                          "(or wb.compute_map(ds)) first")
    method = method or ("umap" if "umap" in runs else next(iter(runs)))
    if method not in runs:
        raise MapNotFoundError(f"dataset {name!r} has no {method!r} map; available: "
                               f"{sorted(runs)}")
    return runs[method]


def record_map(collection, run: MapRun) -> None:
    maps = {m: {k: v for k, v in asdict(r).items() if k != "method"}
            for m, r in map_runs(collection).items()}
    maps[run.method] = {k: v for k, v in asdict(run).items() if k != "method"}
    _write(collection, _MAPS, maps)


# -- clusters --------------------------------------------------------------------------

@dataclass(frozen=True)
class ClusterRun:
    """The latest clustering: how it was made and each cluster's name."""

    k: int
    method: str
    seed: int
    embedding_field: str
    names: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def cluster_run(collection) -> ClusterRun | None:
    run = _info(collection).get(_CLUSTERS)
    return ClusterRun(**run) if run else None


def record_clusters(collection, run: ClusterRun) -> None:
    _write(collection, _CLUSTERS, asdict(run))


# -- quality ---------------------------------------------------------------------------

def quality_run(collection) -> dict | None:
    """The latest quality check: ``policy``, ``thresholds`` (with their basis),
    ``flagged`` (check -> count) and ``checked``."""
    return _info(collection).get(_QUALITY)


def record_quality(collection, run: dict) -> None:
    _write(collection, _QUALITY, run)


# -- selections ------------------------------------------------------------------------

def saved_selections(collection) -> dict[str, dict]:
    """Every saved selection as its JSON record (``Selection.to_dict()``), by tag."""
    return dict(_info(collection).get(_SELECTIONS, {}))


def saved_selection(collection, tag: str) -> dict | None:
    """The JSON record of the selection saved under ``tag``, or None."""
    return saved_selections(collection).get(tag)


def selection_record(collection, tag: str) -> dict:
    """Like :func:`saved_selection`, but a missing tag raises a ``LookupError`` that lists
    the saved ones and says how to make one."""
    saved = saved_selections(collection)
    if tag not in saved:
        name = dataset_of(collection).name
        raise SelectionNotFoundError(
            f"no selection is saved under tag {tag!r} on dataset {name!r} (saved: "
            f"{sorted(saved) or 'none'}); make one first with wb.select_balanced (notebook "
            f"04_select_balanced) or `workbench select {name} --n N --by FIELD`")
    return saved[tag]


def save_selection_record(collection, tag: str, record: dict) -> None:
    saved = saved_selections(collection)
    saved[tag] = record
    _write(collection, _SELECTIONS, saved)


def selection(collection, tag: str):
    """The :class:`~workbench.core.selection.select.Selection` saved under ``tag``.

    Raises
    ------
    LookupError
        Nothing saved under ``tag``; the message lists the saved tags.
    """
    from ..core.selection.select import Selection

    return Selection.from_dict(selection_record(collection, tag))


def save_selection(collection, tag: str, selection_) -> None:
    """Save a :class:`~workbench.core.selection.select.Selection` under ``tag``."""
    save_selection_record(collection, tag, selection_.to_dict())
