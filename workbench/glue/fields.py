"""The fields people group by: which there are, which values they take, which one to balance
by when none is named, and a clear error for one that cannot serve.

Shared by gaps, selection, label issues, comparisons and the journey, which all take a
``by`` field. A collection without labels (a flat folder, no manifest) is grouped by the
map's clusters (:data:`CLUSTER_FIELD`), named by their cluster names: a proxy for styles,
found by the embeddings, not a judgement anyone made.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import UnknownFieldError
from ..schema import is_internal
from . import state
from .fo import usable

#: The field that holds each sample's cluster (written by :func:`workbench.find_clusters`).
CLUSTER_FIELD = "cluster"
#: Manifest columns that label images, tried in this order when no ``by`` is given.
LABEL_COLUMNS = ("style", "region", "technique")


def groupable_fields(collection) -> list[str]:
    """The fields people group by: everything but FiftyOne's and the workbench's
    bookkeeping, plus the clusters once they exist."""
    schema = collection.get_field_schema()
    fields = {f for f in schema if not is_internal(f)}
    if CLUSTER_FIELD in schema:
        fields.add(CLUSTER_FIELD)
    return sorted(fields)


def cluster_names(collection) -> dict[int, str]:
    """Cluster -> its name (made unique), from the latest clustering."""
    run = state.cluster_run(collection)
    names: dict[int, str] = {}
    taken: set[str] = set()
    for key, name in sorted((run.names if run else {}).items(), key=lambda kv: int(kv[0])):
        label = name or f"cluster {key}"
        if label in taken:
            label = f"{label} ({key})"
        taken.add(label)
        names[int(key)] = label
    return names


def field_values(view, by: str) -> list:
    """The values of ``by`` on ``view``; for :data:`CLUSTER_FIELD`, each cluster's name
    (``None`` for a sample in no cluster), so that every table names the cluster."""
    values = view.values(by)
    if by != CLUSTER_FIELD:
        return values
    names = cluster_names(view)
    return [None if v is None or v < 0 else names.get(int(v), f"cluster {v}") for v in values]


def group_values(collection, by: str) -> list[str]:
    """The values ``by`` takes on the usable samples, most common first (``(missing)``
    for samples without one)."""
    from collections import Counter

    check_field(collection, by)
    counts = Counter("(missing)" if v in (None, "") else str(v)
                     for v in field_values(usable(collection), by))
    return [v for v, _ in counts.most_common()]


def check_field(collection, name: str) -> None:
    """Raise a clear error listing the fields one can group by when ``name`` is not one."""
    if name not in collection.get_field_schema():
        raise UnknownFieldError(f"field {name!r} does not exist; available fields: "
                                f"{groupable_fields(collection)}")


def distinct_count(collection, name: str) -> int:
    """How many distinct non-empty values ``name`` takes on the usable samples."""
    return len({repr(v) if isinstance(v, (list, dict)) else v  # lists (tags) count too
                for v in usable(collection).values(name) if v not in (None, "", [])})


def usable_group_fields(collection) -> list[str]:
    """Fields that can balance a selection: at least 2 distinct values, and not a different
    value on every sample (a file name groups nothing)."""
    from .fo import fiftyone

    fo = fiftyone()
    schema = collection.get_field_schema()
    n = len(usable(collection))
    out = []
    for name in groupable_fields(collection):
        # Lists, documents and vectors cannot name one group per sample.
        if name == "filepath" or not isinstance(schema[name], (fo.StringField, fo.IntField,
                                                               fo.BooleanField)):
            continue
        if 2 <= distinct_count(collection, name) < max(n, 3):
            out.append(name)
    return out


def unusable_reason(collection, name: str) -> str | None:
    """Why ``name`` cannot balance a selection (``None`` when it can)."""
    if name == CLUSTER_FIELD and CLUSTER_FIELD not in collection.get_field_schema():
        return None  # clusters are computed on demand
    if name not in collection.get_field_schema():
        return f"field {name!r} does not exist"
    k = distinct_count(collection, name)
    if k < 2:
        return f"field {name!r} has {k} distinct value{'s' if k != 1 else ''} (at least 2 needed)"
    return None


def default_group_field(collection) -> str | None:
    """The label field to balance by when none is named: the folders' labels given at load,
    else the first manifest label column with at least 2 values; ``None`` when the
    collection has no labels."""
    for name in (state.labels_field(collection), *LABEL_COLUMNS):
        if name and unusable_reason(collection, name) is None:
            return name
    return None


def resolve_group_field(collection, by: str | Sequence[str] | None, *, fallback: bool = False,
                        echo=None) -> str | list[str]:
    """The field(s) to balance by: ``by`` checked, or the default labels, or the clusters.

    With ``by=None``, the labels field (see :func:`default_group_field`) is used, and when
    the collection has none, :data:`CLUSTER_FIELD`; ``echo`` (e.g. ``print``) gets one line
    saying so. A ``by`` that does not exist or has fewer than 2 values raises
    :class:`~workbench.errors.UnknownFieldError` listing the usable fields, unless
    ``fallback`` is true: then the clusters are used and ``echo`` gets the warning.

    Examples
    --------
    >>> resolve_group_field(ds, None, echo=print)   # doctest: +SKIP
    no label field (no --by, no folder labels, no label column): balancing across the map's clusters, a proxy for styles
    'cluster'
    """
    say = echo or (lambda _line: None)
    if by is None:
        found = default_group_field(collection)
        if found is not None:
            return found
        say("no label field (no --by, no folder labels, no label column): balancing across "
            "the map's clusters, a proxy for styles found by the embeddings")
        return CLUSTER_FIELD
    names = [by] if isinstance(by, str) else list(by)
    problems = [r for r in (unusable_reason(collection, n) for n in names) if r]
    if not problems:
        return by
    usable_fields = usable_group_fields(collection)
    if CLUSTER_FIELD not in usable_fields:
        usable_fields.append(CLUSTER_FIELD)
    message = (f"{'; '.join(problems)}; fields that can balance a selection: "
               f"{usable_fields}")
    if not fallback:
        raise UnknownFieldError(message)
    say(f"warning: {message}. Balancing across the map's clusters instead.")
    return CLUSTER_FIELD
