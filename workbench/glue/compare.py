"""Subsets of a dataset side by side (see :mod:`workbench.core.selection.compare`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from .fo import usable
from .fields import check_field, group_values

_FIELDS = ("creator", "consent", "ai_generated", "license_status", "quality_issues",
           "duplicate_of")


def uncurated_sample(collection, n: int, seed: int = 0) -> list[str]:
    """Ids of ``n`` samples taken the way a scrape takes them: uniformly at random, with
    no rights filter, deduplication, quality check or balance.

    Examples
    --------
    >>> scraped = wb.uncurated_sample(ds, 60, seed=0)   # doctest: +SKIP
    """
    from ..core.selection.compare import uncurated_sample as sample

    ids = usable(collection).values("id")
    return [ids[k] for k in sample(len(ids), n, seed)]


def compare_subsets(collection, subsets: Mapping[str, Sequence[str]], by: str):
    """Figures per subset (balance, groups missing, creator concentration, opted-out,
    AI-generated, flagged and duplicate images) and their group counts.

    Examples
    --------
    >>> cmp = wb.compare_subsets(ds, {"scrape-like": scraped, "curated": sel.ids}, by="style")
    ... # doctest: +SKIP
    >>> cmp.table          # doctest: +SKIP
    """
    from ..core.selection.compare import compare_subsets as compare

    check_field(collection, by)
    view = usable(collection)
    fields = ["id", by, *(f for f in _FIELDS if collection.has_sample_field(f) and f != by)]
    # dtype object keeps FiftyOne's None as None: pandas would read a missing string as
    # NaN (truthy), and every image would then count as an exact duplicate.
    records = pd.DataFrame(dict(zip(fields, view.values(fields))), dtype=object)
    return compare(records, subsets, by, groups=group_values(collection, by))
