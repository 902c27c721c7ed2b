"""Subsets of one collection side by side: what a scrape-like sample and a curated
selection each contain.

Pure pandas/numpy. For teaching dataset design: the same collection, two ways of taking a
subset, and the figures that tell them apart (balance across groups, groups missing, the
largest creator's share, opted-out, AI-generated, unknown-licence, flagged and duplicate
images).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .balance import normalized_entropy
from ..results import axes_for, to_jsonable

#: The rows of :attr:`SubsetComparison.table`, in order.
METRICS = ("images", "groups present", "groups missing", "balance", "largest group share",
           "largest creator share", "opted out", "AI-generated", "licence unknown",
           "quality flags", "exact duplicates")
#: The rows of :data:`METRICS` that count images or groups (Python ints in the table);
#: the others are shares between 0 and 1 (floats, rounded to 3 places).
COUNTS = ("images", "groups present", "groups missing", "opted out", "AI-generated",
          "licence unknown", "quality flags", "exact duplicates")


def uncurated_sample(n_items: int, n: int, seed: int = 0) -> np.ndarray:
    """Row indices of a uniform random sample, the way a scrape takes what it finds: no
    rights filter, no deduplication, no quality check, no balance.

    Examples
    --------
    >>> uncurated_sample(10, 3, seed=0).tolist()
    [5, 6, 9]
    """
    if n < 1:
        raise ValueError(f"n must be at least 1; got {n}")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_items, size=min(n, n_items), replace=False))


@dataclass
class SubsetComparison:
    """Figures per subset (``table``: one column per subset, rows :data:`METRICS`) and the
    group counts behind them (``counts``: one row per group value, one column per subset).

    ``table`` holds counts and shares side by side, so its columns are of dtype object:
    the rows of :data:`COUNTS` hold ``int`` and show as integers, the other rows hold
    ``float`` shares. ``counts`` is of dtype int64.
    """

    by: str
    table: pd.DataFrame
    counts: pd.DataFrame

    def to_dict(self) -> dict:
        return to_jsonable({"by": self.by, "table": self.table.to_dict(),
                            "counts": self.counts.to_dict()})

    def summary(self) -> str:
        return f"subsets by {self.by!r}:\n{self.table.to_string()}"

    def plot(self, ax=None):
        """Images per group in each subset, side by side (matplotlib)."""
        ax = axes_for(ax, figsize=(7, 0.3 * len(self.counts) + 1.5))
        shares = self.counts / self.counts.sum().replace(0, 1)
        shares.iloc[::-1].plot.barh(ax=ax)
        ax.set_xlabel("share of the subset")
        ax.set_title(f"representation by {self.by}")
        return ax


def compare_subsets(records: pd.DataFrame, subsets: Mapping[str, Sequence[str]], by: str,
                    groups: Sequence[str] | None = None) -> SubsetComparison:
    """Compare subsets of ``records`` (rows with ``id`` and ``by``; ``creator``,
    ``consent``, ``ai_generated``, ``license_status``, ``quality_issues`` and
    ``duplicate_of`` are used when present).

    ``groups`` lists every group value of the whole collection, so that a group a subset
    lacks counts as missing. A missing value (None, NaN, ``pd.NA`` or empty text) counts
    as absent: no duplicate, no quality flag, ``(missing)`` as a group; a missing
    ``license_status`` reads as unknown.
    """
    if "id" not in records or by not in records:
        raise ValueError(f"records need the columns 'id' and {by!r}; got {list(records)}")
    frame = records.set_index("id")
    values = frame[by].map(lambda v: "(missing)" if _missing(v) else str(v)).astype(object)
    groups = list(groups) if groups is not None else sorted(values.unique())
    table, counts = {}, {}
    for name, ids in subsets.items():
        unknown = [i for i in ids if i not in frame.index]
        if unknown:
            raise ValueError(f"subset {name!r} holds ids that are not records: {unknown[:3]}")
        sub = frame.loc[list(ids)]
        per_group = values.loc[list(ids)].value_counts().reindex(groups, fill_value=0)
        counts[name] = per_group.astype("int64")
        table[name] = _figures(sub, per_group)
    # dtype object keeps each figure's own type: a count stays an int, a share a float.
    return SubsetComparison(by=by, table=pd.DataFrame(table, index=list(METRICS), dtype=object),
                            counts=pd.DataFrame(counts, index=groups, dtype="int64"))


def _missing(value: object) -> bool:
    """Whether a cell holds no value: None, NaN, ``pd.NA`` or empty text (pandas reads a
    missing string as NaN, which is truthy)."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value == ""


def _share(series: pd.Series) -> float:
    present = pd.Series([v for v in series.astype(object) if not _missing(v)], dtype=object)
    return float(present.value_counts(normalize=True).iloc[0]) if len(present) else 0.0


def _figures(sub: pd.DataFrame, per_group: pd.Series) -> list:
    n = len(sub)

    def count(column: str, test) -> int:
        if column not in sub:
            return 0
        return sum(1 for v in sub[column].astype(object) if test(None if _missing(v) else v))

    present = int((per_group > 0).sum())
    return [n, present, int((per_group == 0).sum()),
            round(normalized_entropy(per_group.to_numpy(), n_groups=len(per_group)), 3) + 0.0,
            round(float(per_group.max() / n), 3) if n else 0.0,
            round(_share(sub["creator"]), 3) if "creator" in sub else 0.0,
            count("consent", lambda v: v == "opted_out"),
            count("ai_generated", lambda v: v == "true"),
            count("license_status", lambda v: v != "valid"),
            count("quality_issues", lambda v: bool(set(v or []) - {"below_resolution"})),
            count("duplicate_of", lambda v: v is not None)]
