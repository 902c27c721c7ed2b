"""Balanced selection on a FiftyOne dataset: saved as a tag, a saved view and a JSON record.

The algorithm is :func:`workbench.core.selection.select_balanced`; this module builds
its ``records`` table and embedding matrix from the dataset and stores the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.selection import SelectConfig, Selection
from .embed import get_embeddings
from .fo import usable
from .gaps import check_field

INFO_KEY = "selections"
DEFAULT_TAG = "selected"
_RECORD_FIELDS = ("consent", "license", "license_status", "ai_generated", "creator",
                  "attribution", "source", "sha256", "phash", "width", "height")


def _records(collection, by: Sequence[str]) -> pd.DataFrame:
    view = usable(collection)
    fields = ["id", *dict.fromkeys(f for f in (*_RECORD_FIELDS, *by)
                                   if collection.has_sample_field(f))]
    return pd.DataFrame(dict(zip(fields, view.values(fields))))


def rights_eligibility(collection, policy=None) -> tuple[int, dict[str, int]]:
    """How many usable samples the rights filter lets through, and why the rest are not.

    Examples
    --------
    >>> eligible, why = rights_eligibility(ds)   # doctest: +SKIP
    >>> eligible, why                            # doctest: +SKIP
    (0, {'rights:license_unknown': 812})
    """
    from collections import Counter

    from ..core.rights_filter import RightsPolicy, rights_exclusions

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
            f"`workbench embed {collection._dataset.name}` first (or pass dedup=None with "
            f"strategy 'cap'/'quota')")
    return X[[pos[i] for i in ids]]


def select_balanced(collection, n: int, by: str | Sequence[str] = "style", *,
                    config: SelectConfig = SelectConfig(), model: str | None = None,
                    tag: str = DEFAULT_TAG) -> Selection:
    """Select ``n`` samples balanced by ``by``: rights-clean, deduplicated, reproducible.

    The pipeline order is fixed: rights filter, duplicates (exact and near), per-creator
    cap, balancing (``cap``, ``quota`` or ``diverse``). Every excluded sample gets its
    reason. The result is saved on the dataset as tag ``tag``, a saved view of the same
    name and a JSON record, so it can be reloaded with :func:`load_selection`.

    Examples
    --------
    >>> sel = wb.select_balanced(ds, n=120, by="style", seed=0)   # doctest: +SKIP
    >>> sel.balance_before, sel.balance_after                     # doctest: +SKIP
    """
    from ..core.selection import select_balanced as core_select

    fields = [by] if isinstance(by, str) else list(by)
    for f in fields:
        check_field(collection, f)
    records = _records(collection, fields)
    X = _aligned_embeddings(collection, records["id"].tolist(), model) \
        if _needs_embeddings(config) else None
    selection = core_select(records, X, n, by=by, config=config)
    save_selection(collection, selection, tag)
    return selection


def save_selection(collection, selection: Selection, tag: str = DEFAULT_TAG) -> None:
    """Store ``selection`` as tag ``tag`` (moved off every other sample), a saved view and
    a JSON record in ``dataset.info``."""
    ds = collection._dataset
    ds.untag_samples(tag)
    ds.select(list(selection.ids)).tag_samples(tag)
    if ds.has_saved_view(tag):
        ds.delete_saved_view(tag)
    ds.save_view(tag, ds.match_tags(tag), description=(
        f"balanced selection of {len(selection)} (seed {selection.seed})"))
    info = dict(ds.info)
    saved = dict(info.get(INFO_KEY, {}))
    saved[tag] = selection.to_dict()
    info[INFO_KEY] = saved
    ds.info = info
    ds.save()


def load_selection(collection, tag: str = DEFAULT_TAG) -> Selection:
    """The selection saved under ``tag``."""
    saved = collection._dataset.info.get(INFO_KEY, {})
    if tag not in saved:
        raise LookupError(f"no selection saved under tag {tag!r}; saved: {sorted(saved)}. "
                          "Create one with `workbench select NAME --n N --by FIELD`.")
    return Selection.from_dict(saved[tag])


def sync_hand_edits(collection, tag: str = DEFAULT_TAG, *, override: bool = False,
                    note: str = "") -> Selection:
    """Apply tag edits made by hand (in the App, or with the map widget's lasso).

    Samples newly tagged ``tag`` are added and untagged ones removed; the statistics are
    recomputed and saved. Adding a sample that the rights filter excluded raises unless
    ``override=True`` (recorded with ``note``); opt-outs can never be added.
    """
    ds = collection._dataset
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
