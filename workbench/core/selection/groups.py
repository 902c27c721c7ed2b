"""The group each record belongs to, for balancing: one column, several, or labels given directly.

Used by :func:`workbench.core.selection.select.select_balanced` and by
:meth:`workbench.core.selection.result.Selection.add` (for records it has not seen).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Group label for rows whose grouping field is empty.
MISSING_GROUP = "(missing)"


def group_labels(records: pd.DataFrame, by: str | Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Group label per row from one column or several (joined as ``"a|b"``).

    Returns ``(labels, columns)``; empty values read as ``"(missing)"``.

    Examples
    --------
    >>> df = pd.DataFrame({"style": ["ink", None], "region": ["Asia", "Europe"]})
    >>> group_labels(df, ["style", "region"])[0].tolist()
    ['ink|Asia', '(missing)|Europe']
    """
    columns = [by] if isinstance(by, str) else [str(c) for c in by]
    if not columns:
        raise ValueError("by must name at least one field; got an empty list")
    unknown = [c for c in columns if c not in records.columns]
    if unknown:
        raise ValueError(f"by: unknown field(s) {unknown}; available columns: "
                         f"{sorted(map(str, records.columns))}")
    parts = []
    for c in columns:
        codes, uniques = pd.factorize(records[c], use_na_sentinel=True)
        text = [str(u).strip() or MISSING_GROUP for u in uniques]
        parts.append(np.array(text + [MISSING_GROUP], dtype=object)[codes])
    labels = parts[0]
    for p in parts[1:]:
        labels = labels + "|" + p  # elementwise on object arrays
    return labels, columns


def resolve_groups(records: pd.DataFrame, by: object) -> tuple[np.ndarray, list[str] | None]:
    """Group label per row from ``by``: a column name, a list of them, or one label per row.

    Returns ``(labels, columns)``; ``columns`` is None when ``by`` gave the labels
    directly (None and NaN labels read as ``"(missing)"``).

    Examples
    --------
    >>> df = pd.DataFrame({"style": ["ink", "oil"]})
    >>> resolve_groups(df, [3, None])
    (array(['3', '(missing)'], dtype=object), None)
    """
    if isinstance(by, str):
        return group_labels(records, by)
    if isinstance(by, (list, tuple)) and all(isinstance(b, str) for b in by) and (
            len(by) != len(records) or all(b in records.columns for b in by)):
        return group_labels(records, list(by))
    arr = np.asarray(by, dtype=object)
    if arr.ndim != 1 or len(arr) != len(records):
        raise ValueError(f"by must be a column name, a list of column names, or one group "
                         f"label per record ({len(records)}); got an array of shape {arr.shape}")
    labels = np.array([MISSING_GROUP if v is None or (isinstance(v, float) and math.isnan(v))
                       else str(v) for v in arr], dtype=object)
    return labels, None
