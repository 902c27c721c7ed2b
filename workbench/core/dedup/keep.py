"""Which copy of a duplicate group to keep: the largest, then the best documented.

Pure pandas/numpy; :func:`workbench.core.dedup.candidates.resolve_duplicates` applies it to exact
and near-duplicate groups alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["choose_keepers", "documentation_score", "resolution"]


def _filled(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    col = frame[column]
    return (col.notna() & col.astype(str).str.strip().ne("")).to_numpy()


def documentation_score(records: pd.DataFrame) -> np.ndarray:
    """How well documented each rights record is (0-5).

    One point each for a creator, a source, a valid licence, an attribution and
    granted consent.
    """
    score = _filled(records, "creator").astype(np.int64)
    score += _filled(records, "source")
    score += _filled(records, "attribution")
    if "license_status" in records:
        score += (records["license_status"] == "valid").to_numpy()
    if "consent" in records:
        score += (records["consent"] == "granted").to_numpy()
    return score


def resolution(records: pd.DataFrame) -> np.ndarray:
    """``width * height`` per record (0 where unknown)."""
    if "width" not in records or "height" not in records:
        return np.zeros(len(records), dtype=np.float64)
    w = pd.to_numeric(records["width"], errors="coerce").fillna(0).to_numpy(np.float64)
    h = pd.to_numeric(records["height"], errors="coerce").fillna(0).to_numpy(np.float64)
    return w * h


def choose_keepers(records: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    """For each row, the row index that represents its duplicate group.

    Preference inside a group: higher resolution (``width * height``), then the
    better-documented rights record (:func:`documentation_score`), then the smallest
    ``id`` (a deterministic tie-break).

    Returns
    -------
    numpy.ndarray
        ``keeper[r]`` is the kept row of row ``r``'s group (``keeper[r] == r`` for kept
        rows and for rows without duplicates).
    """
    n = len(records)
    keeper = np.arange(n)
    sizes = np.bincount(labels, minlength=int(labels.max()) + 1 if n else 0)
    rows = np.flatnonzero(sizes[labels] > 1)  # only rows that have a duplicate
    if rows.size == 0:
        return keeper
    sub = records.iloc[rows]
    _, id_rank = np.unique(sub["id"].astype(str).to_numpy(), return_inverse=True)
    order = np.lexsort((id_rank, -documentation_score(sub), -resolution(sub), labels[rows]))
    ordered_labels = labels[rows][order]
    is_first = np.r_[True, ordered_labels[1:] != ordered_labels[:-1]]
    first_row_of_label = dict(zip(ordered_labels[is_first], rows[order][is_first]))
    keeper[rows] = [first_row_of_label[g] for g in labels[rows]]
    return keeper
