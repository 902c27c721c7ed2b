"""Balanced selection on a FiftyOne dataset: saved as a tag, a saved view and a JSON record.

The algorithm is :func:`workbench.core.selection.select.select_balanced`; this module builds
its ``records`` table and embedding matrix from the dataset and stores the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.selection.select import SelectConfig, Selection
from ..schema import RIGHTS_FIELDS
from . import state
from .embed import get_embeddings
from .fo import usable
from .fields import CLUSTER_FIELD, field_values, resolve_group_field

DEFAULT_TAG = "selected"
#: The fields the selection reads besides the grouping fields.
_RECORD_FIELDS = (*RIGHTS_FIELDS, "license_status", "sha256", "phash", "color_signature",
                  "width", "height", "filepath", "quality_issues")


def registry_for(collection, optout=None):
    """The opt-out registry that applies: ``optout`` if given, else the one recorded at load.

    It is read again on every call, so entries added since loading apply.

    Raises
    ------
    OptOutError
        The registry recorded at load can no longer be read: nothing is selected or
        exported until it is restored or another is given.
    """
    from ..core.rights.optout import read_optout

    path = optout or state.optout_registry(collection)
    return read_optout(path) if path else None


def _records(collection, by: Sequence[str]) -> pd.DataFrame:
    view = usable(collection)
    fields = ["id", *dict.fromkeys(f for f in (*_RECORD_FIELDS, *by)
                                   if collection.has_sample_field(f))]
    records = pd.DataFrame(dict(zip(fields, view.values(fields))))
    if CLUSTER_FIELD in by and CLUSTER_FIELD in records:  # groups named by cluster name
        records[CLUSTER_FIELD] = field_values(view, CLUSTER_FIELD)
    return records


def rights_eligibility(collection, policy=None) -> tuple[int, dict[str, int]]:
    """How many usable samples the rights filter lets through, and why the rest are not.

    Examples
    --------
    >>> eligible, why = rights_eligibility(ds)   # doctest: +SKIP
    >>> eligible, why                            # doctest: +SKIP
    (0, {'rights:license_unknown': 812})
    """
    from collections import Counter

    from ..core.rights.policy import RightsPolicy, rights_exclusions

    records = _records(collection, [])
    reasons = rights_exclusions(records, policy or RightsPolicy())
    tally = Counter(r for r in reasons if r is not None)
    return int(len(records) - sum(tally.values())), dict(tally)


def _needs_embeddings(config: SelectConfig) -> bool:
    return config.dedup is not None or config.strategy == "diverse"


def _aligned_embeddings(collection, ids: list[str], model: str | None) -> np.ndarray:
    emb_ids, X, fname = get_embeddings(collection, model)
    pos = {i: p for p, i in enumerate(emb_ids)}
    missing = [i for i in ids if i not in pos]
    if missing:
        raise LookupError(
            f"{len(missing)} usable samples have no {fname!r} embedding; run "
            f"`workbench embed {state.dataset_of(collection).name}` first (or pass dedup=None with "
            f"strategy 'cap'/'quota')")
    return X[[pos[i] for i in ids]]


def select_balanced(collection, n: int, by: str | Sequence[str] | None = None, *,
                    config: SelectConfig = SelectConfig(), model: str | None = None,
                    tag: str = DEFAULT_TAG, optout: str | None = None, echo=None) -> Selection:
    """Select ``n`` samples balanced by ``by``: rights-clean, deduplicated, reproducible.

    With ``by=None`` the collection's labels are used (the folders' labels given at load,
    else ``style``, ``region`` or ``technique``); a collection without labels is balanced
    across the map's clusters (``by="cluster"``, computed first if need be, each group
    named by its cluster's name), a proxy for styles. ``echo`` (e.g. ``print``) gets the
    line that says so, which the selection's summary repeats.

    The pipeline order is fixed: rights filter, quality (blank, dark, washed-out and
    blurry images, judged against the collection; checked first if it never was),
    duplicates (exact and near), per-creator cap, balancing (``cap``, ``quota`` or
    ``diverse``). Every excluded sample gets its reason. The opt-out registry (``optout``, else the one given at load) is read again
    first: an entry added since loading still opts its matches out, and
    ``params["optout_registry"]`` says how many it removed. The result is saved on the dataset as tag ``tag``, a saved view of the same
    name and a JSON record, so it can be reloaded with :func:`load_selection`.

    Examples
    --------
    >>> sel = wb.select_balanced(ds, n=120, by="style",
    ...                          config=wb.SelectConfig(seed=0))   # doctest: +SKIP
    >>> sel.balance_before, sel.balance_after                     # doctest: +SKIP
    """
    from ..core.selection.select import select_balanced as core_select
    from .annotation import sync_outside_edits  # edits made in the App, recorded first

    sync_outside_edits(collection)
    notes: list[str] = []
    by = resolve_group_field(collection, by, echo=notes.append)
    for line in notes if echo is not None else ():
        echo(line)
    fields = [by] if isinstance(by, str) else list(by)
    if CLUSTER_FIELD in fields and (not collection.has_sample_field(CLUSTER_FIELD)
                                    or state.cluster_run(collection) is None):
        from .gaps import find_clusters

        find_clusters(collection, model=model)
    from ..core.rights.optout import mark_opted_out

    if config.exclude_quality:
        from .quality import ensure_quality

        ensure_quality(collection)
    records, matched = mark_opted_out(_records(collection, fields), registry_for(collection, optout))
    X = _aligned_embeddings(collection, records["id"].tolist(), model) \
        if _needs_embeddings(config) else None
    selection = core_select(records, X, n, by=by, config=config)
    selection.params["optout_registry"] = {"matched_since_load": matched,
                                           "removed": sum(matched.values())}
    if notes:
        selection.params["notes"] = notes
    save_selection(collection, selection, tag)
    return selection


def save_selection(collection, selection: Selection, tag: str = DEFAULT_TAG) -> None:
    """Store ``selection`` as tag ``tag`` (moved off every other sample), a saved view and
    a JSON record in the dataset."""
    ds = state.dataset_of(collection)
    ds.untag_samples(tag)
    ds.select(list(selection.ids)).tag_samples(tag)
    if ds.has_saved_view(tag):
        ds.delete_saved_view(tag)
    ds.save_view(tag, ds.match_tags(tag), description=(
        f"balanced selection of {len(selection)} (seed {selection.seed})"))
    state.save_selection(ds, tag, selection)


def load_selection(collection, tag: str = DEFAULT_TAG) -> Selection:
    """The selection saved under ``tag``, hand edits included.

    Examples
    --------
    >>> sel = wb.load_selection(ds, "selected")   # doctest: +SKIP
    """
    return state.selection(collection, tag)


def sync_hand_edits(collection, tag: str = DEFAULT_TAG, *, override: bool = False,
                    note: str = "") -> Selection:
    """Apply tag edits made by hand (in the App, or with the map widget's lasso).

    Samples newly tagged ``tag`` are added and untagged ones removed; the statistics are
    recomputed and saved. Adding a sample that the rights filter excluded raises unless
    ``override=True`` (recorded with ``note``); opt-outs can never be added.
    """
    ds = state.dataset_of(collection)
    selection = load_selection(ds, tag)
    tagged = set(ds.match_tags(tag).values("id"))
    current = set(selection.ids)
    removed = sorted(current - tagged)
    added = sorted(tagged - current)
    if removed:
        selection = selection.remove(removed, note=note)
    if added:
        by = selection.params.get("by") or []
        records = _records(ds, [by] if isinstance(by, str) else list(by))
        try:
            selection = selection.add(added, records, override=override, note=note)
        except ValueError:
            ds.select(added).untag_samples(tag)  # keep tag and record consistent
            raise
    save_selection(ds, selection, tag)
    return selection
