"""Exact cosine nearest neighbours on L2-normalised vectors (faiss inner product)."""

from __future__ import annotations

import numpy as np


def _index(X: np.ndarray):
    import faiss

    index = faiss.IndexFlatIP(X.shape[1])
    index.add(X)
    return index


def _as_matrix(X: np.ndarray, name: str) -> np.ndarray:
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (N, D); got shape {X.shape}")
    return X


def nearest(X: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar rows of ``X`` for each query vector, most similar first.

    Returns ``(similarities, indices)``, both (Q, min(k, N)).
    """
    X, queries = _as_matrix(X, "X"), _as_matrix(queries, "queries")
    if X.shape[1] != queries.shape[1]:
        raise ValueError(f"queries have width {queries.shape[1]}; X has {X.shape[1]}")
    return _index(X).search(queries, min(k, len(X)))


def nearest_to_rows(X: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest other rows of ``X`` for each row index in ``rows``.

    Examples
    --------
    >>> X = np.eye(3, dtype=np.float32)
    >>> nearest_to_rows(X, np.array([0]), 2)[1].shape
    (1, 2)
    """
    X = _as_matrix(X, "X")
    rows = np.asarray(rows, dtype=np.int64)
    kk = min(k + 1, len(X))
    sims, idx = _index(X).search(X[rows], kk)
    out_s = np.empty((len(rows), kk - 1), np.float32)
    out_i = np.empty((len(rows), kk - 1), np.int64)
    for n, row in enumerate(rows):
        keep = idx[n] != row
        if keep.all():  # the row itself tied with exact duplicates and fell off the end
            keep[-1] = False
        out_s[n], out_i[n] = sims[n][keep], idx[n][keep]
    return out_s, out_i
