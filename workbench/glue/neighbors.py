"""Nearest neighbours of samples in embedding space, as a table with an image-strip display."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.neighbours.knn import nearest_to_rows
from .embed import get_embeddings


@dataclass
class Neighbors:
    """Nearest neighbours of a few query samples.

    ``table`` has one row per (query, neighbour): ``query_id, rank, id, similarity`` plus
    ``filepath`` and the label field of both.
    """

    table: pd.DataFrame
    field: str
    label: str | None

    def show(self, size: int = 96):
        """One strip per query: the query first, then its neighbours with similarities."""
        from IPython.display import HTML

        from ..exporters.html import strip_html

        parts = []
        for _, rows in self.table.groupby("query_id", sort=False):
            labels = rows["label"].fillna("").tolist() if "label" in rows else [""] * len(rows)
            query_label = rows["query_label"].iloc[0] if "query_label" in rows else ""
            paths = [rows["query_filepath"].iloc[0]] + rows["filepath"].tolist()
            caps = [f"query {query_label or ''}"] + [
                f"{s:.2f} {lab}" for s, lab in zip(rows["similarity"], labels)]
            parts.append(strip_html(paths, caps, size=size))
        return HTML("".join(parts))


def neighbors(collection, ids: list[str] | None = None, *, n: int = 4, k: int = 5,
              seed: int = 0, label: str | None = "style", model: str | None = None) -> Neighbors:
    """Nearest neighbours of ``ids`` (or of ``n`` samples drawn with ``seed``).

    Examples
    --------
    >>> wb.neighbors(ds, n=4, k=5).show()  # doctest: +SKIP
    """
    all_ids, X, fname = get_embeddings(collection, model)
    pos = {i: p for p, i in enumerate(all_ids)}
    if ids is None:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(len(all_ids), size=min(n, len(all_ids)), replace=False))
    else:
        missing = [i for i in ids if i not in pos]
        if missing:
            raise ValueError(f"ids not embedded or not in this collection: {missing[:5]}")
        rows = np.array([pos[i] for i in ids])
    sims, idx = nearest_to_rows(X, rows, k)
    fields = ["id", "filepath"] + ([label] if label and collection.has_sample_field(label)
                                   else [])
    values = dict(zip(fields, collection.values(fields)))
    meta = {i: {f: values[f][p] for f in fields} for p, i in enumerate(values["id"])}
    records = []
    for q, row in enumerate(rows):
        qid = all_ids[row]
        for rank, (s, j) in enumerate(zip(sims[q], idx[q]), 1):
            nid = all_ids[j]
            rec = {"query_id": qid, "query_filepath": meta[qid]["filepath"], "rank": rank,
                   "id": nid, "filepath": meta[nid]["filepath"], "similarity": float(s)}
            if label in fields:
                rec["query_label"], rec["label"] = meta[qid][label], meta[nid][label]
            records.append(rec)
    return Neighbors(table=pd.DataFrame.from_records(records), field=fname,
                     label=label if label in fields else None)
