"""Nearest neighbours in embedding space, exact (faiss flat) or approximate (faiss IVF).

* :func:`nearest_neighbors`: the k nearest rows of every row, the row itself first
  (what UMAP and the outlier score take).
* :func:`nearest_to_rows`: the k nearest *other* rows of a few rows, with their cosine
  similarities (what the neighbour browser shows).

``exact=None`` searches exactly below 10,000 rows and with an inverted-file index
above (:func:`workbench.core.neighbours.faiss_index.ivf_sq_index`); rows the index cannot fill
are searched again exactly.
"""

from __future__ import annotations

import numpy as np

from .embeddings import check_embeddings
from .faiss_index import METRICS, flat_index, ivf_sq_index

#: Below this many rows, ``exact=None`` searches exactly (a brute-force scan is cheap).
EXACT_BELOW = 10_000


def nearest_neighbors(
    X: np.ndarray, k: int, *, metric: str = "cosine", exact: bool | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours of every row among all rows, the row itself first.

    Parameters
    ----------
    X : (N, D) array
        Embeddings; rows are L2-normalised here when ``metric="cosine"``.
    k : int
        Neighbours per row, counting the row itself (capped at N).
    metric : {"cosine", "euclidean"}
        Cosine distance is ``1 - cos``; euclidean is the L2 distance.
    exact : bool or None
        Exact brute-force search, or a faiss inverted-file index with float16
        codes (recall about 0.98 on clustered data). ``None``: exact below 10,000 rows.
    seed : int
        Seed for the IVF index's k-means training.

    Returns
    -------
    indices : (N, k) int32 and distances : (N, k) float32, nearest first.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(50, 8)).astype("float32")
    >>> idx, dist = nearest_neighbors(X, 5)
    >>> bool((idx[:, 0] == np.arange(50)).all())
    True
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}; got {metric!r}")
    X = check_embeddings(X, name="X", unit="normalize" if metric == "cosine" else "any")
    n = X.shape[0]
    k = int(min(k, n))
    rows = np.arange(n)
    # One spare neighbour, so the row itself can be put first even when duplicates tie.
    scores, idx = _search(X, X, min(k + 1, n), metric=metric,
                          exact=n < EXACT_BELOW if exact is None else exact, seed=seed)
    if metric == "cosine":
        dist = np.clip(1.0 - scores, 0.0, 2.0)
    else:
        dist = np.sqrt(np.maximum(scores, 0.0))
    others, other_dist = _others(idx, dist, rows, k - 1)
    out_idx = np.concatenate([rows[:, None], others], axis=1)
    out_dist = np.concatenate([np.zeros((n, 1), dist.dtype), other_dist], axis=1)
    return out_idx.astype(np.int32), out_dist.astype(np.float32)


def nearest_to_rows(
    X: np.ndarray, rows: np.ndarray, k: int, *, exact: bool = True, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar other rows of ``X`` (cosine) for each row index in ``rows``.

    Parameters
    ----------
    X : (N, D) array
        L2-normalised embeddings.
    rows : (Q,) int array
        The rows to find neighbours for.
    k : int
        Neighbours per row (capped at N - 1).
    exact : bool
        Exact by default: a few queries scan the rows faster than an IVF index
        trains. ``False`` uses the index of :func:`nearest_neighbors`.
    seed : int
        Seed for the IVF index's k-means training.

    Returns
    -------
    similarities : (Q, min(k, N - 1)) float32 and indices : (Q, min(k, N - 1)) int64,
    most similar first.

    Examples
    --------
    >>> X = np.eye(3, dtype=np.float32)
    >>> nearest_to_rows(X, np.array([0]), 2)[1].shape
    (1, 2)
    """
    X = check_embeddings(X, name="X")
    rows = np.asarray(rows, dtype=np.int64)
    m = min(k + 1, len(X))
    sims, idx = _search(X, X[rows], m, metric="cosine", exact=exact, seed=seed)
    out_i, out_s = _others(idx, sims, rows, m - 1)
    return out_s.astype(np.float32), out_i.astype(np.int64)


def nearest_in(X: np.ndarray, queries: np.ndarray, k: int, *, metric: str = "cosine",
               exact: bool | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of ``X`` for each row of ``queries`` (another set).

    Returns indices ``(Q, k)`` int64 and distances ``(Q, k)`` float32 (``1 - cos`` or L2),
    nearest first. ``exact=None``: exact below 10,000 rows of ``X``, IVF above.

    Examples
    --------
    >>> X = np.eye(3, dtype=np.float32)
    >>> nearest_in(X, X[[2]], 1)[0].tolist()
    [[2]]
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}; got {metric!r}")
    unit = "normalize" if metric == "cosine" else "any"
    X = check_embeddings(X, name="X", unit=unit)
    queries = check_embeddings(queries, name="queries", unit=unit)
    k = int(min(k, len(X)))
    scores, idx = _search(X, queries, k, metric=metric,
                          exact=len(X) < EXACT_BELOW if exact is None else exact, seed=seed)
    dist = np.clip(1.0 - scores, 0.0, 2.0) if metric == "cosine" else np.sqrt(
        np.maximum(scores, 0.0))
    return idx.astype(np.int64), dist.astype(np.float32)


def _search(X: np.ndarray, queries: np.ndarray, m: int, *, metric: str, exact: bool,
            seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``m`` best rows of ``X`` for each query: (scores, indices), best first.

    Scores are inner products for ``"cosine"`` and squared L2 distances for
    ``"euclidean"``.
    """
    if exact:
        index = flat_index(X, metric)
    else:
        # faiss's SIMD float16 kernels need a multiple of 16 dims; zero columns change
        # no inner product or distance.
        X, queries = _pad16(X), _pad16(queries)
        index = ivf_sq_index(X, metric, seed=seed)
    scores, idx = index.search(queries, m)
    short = np.flatnonzero((idx < 0).any(axis=1))
    if short.size:  # IVF found fewer than m candidates in the probed lists: redo exactly
        scores[short], idx[short] = flat_index(X, metric).search(queries[short], m)
    return scores, idx


def _pad16(X: np.ndarray) -> np.ndarray:
    d = X.shape[1]
    return X if d % 16 == 0 else np.pad(X, ((0, 0), (0, 16 - d % 16)))


def _others(idx: np.ndarray, values: np.ndarray, rows: np.ndarray, n_others: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n_others`` neighbours of each query row that are not the row itself.

    Exact duplicates tie with the row itself, and an approximate search can miss it,
    so the row is found by index, not by rank. A stable sort on "is self" moves the
    row's own entry (if any) to the end and keeps the others in order; each query has
    at least ``n_others`` others.
    """
    order = np.argsort(idx == rows[:, None], axis=1, kind="stable")[:, :n_others]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(values, order, axis=1)
