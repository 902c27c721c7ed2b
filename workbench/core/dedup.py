"""Exact and near-duplicate detection, and which copy of a duplicate group to keep.

Near duplicates are found SemDeDup-style (Abbas et al., 2023): k-means the embeddings
with faiss, then compare pairs only inside each cluster. A near-duplicate pair split
across two clusters would be missed, so every point joins its ``n_assign`` nearest
clusters (2 by default); ``benchmarks/selection.py`` measures the recall that buys against
an exhaustive search. Small inputs (and ``method="brute"``) compare all pairs.

Pure numpy/scipy/faiss: no FiftyOne.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._threads import single_thread
from .embeddings import check_embeddings
from .faiss_index import spherical_kmeans

METHODS = ("semdedup", "brute")

#: Up to this many points, ``n_clusters="auto"`` compares all pairs (exact and fast).
_BRUTE_MAX = 5000
#: Pairs are re-checked in float64 in chunks of this many.
_VERIFY_CHUNK = 65536


@dataclass(frozen=True)
class DedupConfig:
    """How near duplicates are found.

    Attributes
    ----------
    threshold
        Cosine similarity at or above which two items are near duplicates. 0.95 is a
        conservative starting point for CLIP-like embeddings; tune it on your data.
    method
        ``"semdedup"`` (k-means, then pairs within clusters; scales to millions) or
        ``"brute"`` (all pairs; exact, quadratic).
    n_clusters
        Number of k-means clusters for ``semdedup``; ``"auto"`` uses ``round(sqrt(N))``,
        or all pairs when ``N <= 5000``.
    n_assign
        Each point joins this many nearest clusters, so pairs straddling a cluster
        border are still compared.
    seed
        Seed for k-means.
    phash_max
        When records carry a perceptual hash (``phash``, as the loader stores), a pair
        found by the embeddings must also be within this many bits (Hamming distance of
        the 64-bit pHash) to count. Two signals that agree: a general image embedding
        sees two different designs of one family as near-identical, the pixel-level hash
        does not; re-encoded, resized and lightly cropped copies pass both. ``None``
        uses the embeddings alone.

    Examples
    --------
    >>> DedupConfig(threshold=0.97).threshold
    0.97
    """

    threshold: float = 0.95
    method: str = "semdedup"
    n_clusters: int | str = "auto"
    n_assign: int = 2
    seed: int = 0
    phash_max: int | None = 12

    def __post_init__(self) -> None:
        if not -1.0 <= float(self.threshold) <= 1.0:
            raise ValueError(f"DedupConfig.threshold is a cosine similarity, so it must lie "
                             f"in [-1, 1]; got {self.threshold}")
        if self.method not in METHODS:
            raise ValueError(f"DedupConfig.method must be one of {list(METHODS)}; "
                             f"got {self.method!r}")
        if self.n_clusters != "auto" and not (isinstance(self.n_clusters, (int, np.integer))
                                              and self.n_clusters >= 1):
            raise ValueError("DedupConfig.n_clusters must be 'auto' or a positive int; "
                             f"got {self.n_clusters!r}")
        if not (isinstance(self.n_assign, (int, np.integer)) and self.n_assign >= 1):
            raise ValueError(f"DedupConfig.n_assign must be an int >= 1; got {self.n_assign!r}")


def _auto_clusters(n: int, n_clusters: int | str) -> int:
    if n_clusters == "auto":
        return 1 if n <= _BRUTE_MAX else round(math.sqrt(n))
    return max(1, min(int(n_clusters), n))


def _cluster_members(x: np.ndarray, k: int, n_assign: int, seed: int) -> list[np.ndarray]:
    """Row indices of each k-means cluster, every row in its ``n_assign`` nearest ones."""
    centroids = spherical_kmeans(x, k, seed=seed, niter=10, max_points_per_centroid=64)
    a = min(n_assign, k)
    _, assign = centroids.search(x, a)
    flat = assign.ravel()
    rows = np.repeat(np.arange(x.shape[0]), a)
    order = np.argsort(flat, kind="stable")  # rows stay ascending inside each cluster
    bounds = np.cumsum(np.bincount(flat, minlength=k))
    return [m for m in np.split(rows[order], bounds[:-1]) if m.size > 1]


def _pairs_within(x: np.ndarray, members: np.ndarray | None, radius: float,
                  block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) among ``members`` (all rows if None) with inner product > radius.

    Blockwise matrix products (BLAS) over the upper triangle only; faiss's flat
    ``range_search`` was measured slower here (it also returns every pair twice).
    """
    sub = x if members is None else x[members]
    n = sub.shape[0]
    found_i, found_j = [], []
    for lo in range(0, n, block):
        sims = sub[lo:lo + block] @ sub[lo:].T  # rows lo.., columns lo.. (upper part)
        r, c = np.nonzero(sims > radius)
        keep = c > r  # drop the diagonal and the lower triangle of the first block
        found_i.append(r[keep] + lo)
        found_j.append(c[keep] + lo)
    i = np.concatenate(found_i).astype(np.int64)
    j = np.concatenate(found_j).astype(np.int64)
    if members is not None:
        i, j = members[i], members[j]
    return i, j


def find_near_duplicates(
    embeddings: np.ndarray,
    threshold: float = 0.95,
    *,
    method: str = "semdedup",
    n_clusters: int | str = "auto",
    n_assign: int = 2,
    seed: int = 0,
) -> pd.DataFrame:
    """Pairs of rows whose cosine similarity is at least ``threshold``.

    Parameters
    ----------
    embeddings
        ``(N, D)`` L2-normalised embeddings.
    threshold
        Cosine similarity cut-off (inclusive). FiftyOne Brain's ``thresh`` is a cosine
        *distance* on mean-centred embeddings: ``thresh = 1 - threshold`` only when the
        embeddings are centred first.
    method, n_clusters, n_assign, seed
        See :class:`DedupConfig`.

    Returns
    -------
    pandas.DataFrame
        Columns ``i``, ``j`` (row indices, ``i < j``) and ``similarity`` (float64,
        re-computed exactly, so every pair really is ``>= threshold``), sorted by
        ``(i, j)``. ``df.itertuples(index=False)`` gives ``(i, j, sim)`` tuples.

    Examples
    --------
    >>> x = np.array([[1, 0], [0.999, 0.045], [0, 1]], dtype="float32")
    >>> x /= np.linalg.norm(x, axis=1, keepdims=True)
    >>> find_near_duplicates(x, 0.99)[["i", "j"]].values.tolist()
    [[0, 1]]
    """
    cfg = DedupConfig(threshold=threshold, method=method, n_clusters=n_clusters,
                      n_assign=n_assign, seed=seed)
    x = check_embeddings(embeddings)
    n = x.shape[0]
    empty = pd.DataFrame({"i": np.empty(0, np.int64), "j": np.empty(0, np.int64),
                          "similarity": np.empty(0, np.float64)})
    if n < 2:
        return empty
    k = 1 if cfg.method == "brute" else _auto_clusters(n, cfg.n_clusters)
    # A small margin below the threshold: float32 products can round either way, and
    # every candidate is re-checked in float64 below.
    radius = float(cfg.threshold) - 1e-4
    if k <= 1:
        parts: list[np.ndarray | None] = [None]
    else:
        parts = list(_cluster_members(x, k, cfg.n_assign, cfg.seed))
    with single_thread():
        found = [_pairs_within(x, members, radius) for members in parts]
    i = np.concatenate([f[0] for f in found]) if found else np.empty(0, np.int64)
    j = np.concatenate([f[1] for f in found]) if found else np.empty(0, np.int64)
    if i.size == 0:
        return empty
    key = np.unique(i * n + j)  # a pair seen in two shared clusters counts once
    i, j = key // n, key % n
    sims = _exact_cosine(x, i, j)
    ok = sims >= float(cfg.threshold)
    return pd.DataFrame({"i": i[ok], "j": j[ok], "similarity": sims[ok]})


def _exact_cosine(x: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    out = np.empty(i.size, dtype=np.float64)
    for lo in range(0, i.size, _VERIFY_CHUNK):
        a = x[i[lo:lo + _VERIFY_CHUNK]].astype(np.float64)
        b = x[j[lo:lo + _VERIFY_CHUNK]].astype(np.float64)
        out[lo:lo + _VERIFY_CHUNK] = np.einsum("ij,ij->i", a, b) / (
            np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return out


def duplicate_groups(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Label each of ``n`` rows with its duplicate group (connected components of pairs).

    Duplicates chain: if a~b and b~c, all three share a group even when a and c are
    not similar themselves.

    Examples
    --------
    >>> duplicate_groups(5, np.array([0, 1]), np.array([1, 2])).tolist()
    [0, 0, 0, 1, 2]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    graph = coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


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


def exact_duplicate_pairs(sha256: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (first row, other row) of rows sharing a non-empty ``sha256``."""
    s = sha256.astype("object").where(sha256.notna(), None)
    s = s.map(lambda v: str(v).strip().lower() if v is not None else "")
    codes, _ = pd.factorize(s.where(s != "", None), use_na_sentinel=True)
    rows = np.flatnonzero(codes >= 0)
    if rows.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    first = pd.Series(rows).groupby(codes[rows]).transform("min").to_numpy()
    dup = rows != first
    return first[dup].astype(np.int64), rows[dup].astype(np.int64)


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


def phash_distance(phash: pd.Series, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Hamming distance between the 64-bit hex pHashes of rows ``i`` and ``j``.

    A missing or malformed hash counts as infinitely far (the pair is not confirmed).
    """
    def as_int(h: object) -> int:
        try:
            return int(str(h), 16)
        except ValueError:
            return -1

    codes = np.array([as_int(h) for h in phash.tolist()], dtype=object)
    out = np.empty(len(i), dtype=np.int64)
    for n, (a, b) in enumerate(zip(codes[i], codes[j])):
        out[n] = (a ^ b).bit_count() if a >= 0 and b >= 0 else 1 << 30
    return out


def resolve_duplicates(
    records: pd.DataFrame,
    embeddings: np.ndarray | None,
    config: DedupConfig | None,
) -> tuple[np.ndarray, int]:
    """Collapse exact (same ``sha256``) and near duplicates among ``records``.

    Exact duplicates always collapse; near duplicates only when ``config`` is given
    (it then needs ``embeddings``, aligned with ``records``).

    Returns
    -------
    (keeper, n_pairs)
        ``keeper`` as in :func:`choose_keepers`; ``n_pairs`` is the number of
        near-duplicate pairs found.
    """
    n = len(records)
    if "sha256" in records:
        ei, ej = exact_duplicate_pairs(records["sha256"])
    else:
        ei, ej = np.empty(0, np.int64), np.empty(0, np.int64)
    n_pairs = 0
    if config is not None and n > 1:
        pairs = find_near_duplicates(embeddings, config.threshold, method=config.method,
                                     n_clusters=config.n_clusters,
                                     n_assign=config.n_assign, seed=config.seed)
        pi, pj = pairs["i"].to_numpy(), pairs["j"].to_numpy()
        if config.phash_max is not None and "phash" in records and len(pi):
            keep = phash_distance(records["phash"], pi, pj) <= config.phash_max
            pi, pj = pi[keep], pj[keep]
        n_pairs = len(pi)
        ei = np.concatenate([ei, pi])
        ej = np.concatenate([ej, pj])
    if ei.size == 0:
        return np.arange(n), n_pairs
    return choose_keepers(records, duplicate_groups(n, ei, ej)), n_pairs
