"""Exact and near-duplicate detection, and which copy of a duplicate group to keep.

Near duplicates are found SemDeDup-style (Abbas et al., 2023): k-means the embeddings
with faiss, then compare pairs only inside each cluster. A near-duplicate pair split
across two clusters would be missed, so every point joins its ``n_assign`` nearest
clusters (2 by default); ``benchmarks/selection.py`` measures the recall that buys against
an exhaustive search. Small inputs (and ``method="brute"``) compare all pairs.

Each candidate pair is then judged by :func:`near_duplicate_pairs` on three signals:
the embedding cosine, the 64-bit pHash (``phash``) and the colour signature
(``color_signature``, :mod:`workbench.core.pixels.color`). A pair is a duplicate only when the
structure (pHash or embedding) *and* the colours agree; recolours and mirror images go
to a review list instead, and are kept. Pairs without colour signatures are judged as
before colour existed: cosine and pHash (see :class:`DedupConfig`). Where the records
carry a ``filepath``, the few pairs judged duplicates are then compared on their files
(:mod:`workbench.core.dedup.variants`): a template variant, the same frame with one
local part changed, is kept.

Pure numpy/scipy/faiss: no FiftyOne.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd

from .._threads import single_thread
from ..pixels.color import color_distance, signature_matrix
from .keep import choose_keepers, documentation_score, resolution
from .rules import (
    METHODS,
    DedupConfig,
    hamming_distance,
    judge_pairs,
    mirrored_distance,
    phash_codes,
)
from ..neighbours.embeddings import check_embeddings
from ..neighbours.faiss_index import spherical_kmeans

__all__ = ["COLOR_COLUMN", "METHODS", "PATH_COLUMN", "DedupConfig", "choose_keepers",
           "documentation_score", "duplicate_groups", "exact_duplicate_pairs", "find_near_duplicates",
           "near_duplicate_pairs", "resolution", "resolve_duplicates"]

#: The records column that holds colour signatures (one per record, or missing).
COLOR_COLUMN = "color_signature"
#: The records column that holds each image's file, for the local check.
PATH_COLUMN = "filepath"

#: Up to this many points, ``n_clusters="auto"`` compares all pairs (exact and fast).
_BRUTE_MAX = 5000
#: Pairs are re-checked in float64 in chunks of this many.
_VERIFY_CHUNK = 65536


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


def _pair_blocks(x: np.ndarray, members: np.ndarray | None, radius: float,
                 block: int = 512) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Pairs (i < j) among ``members`` (all rows if None) with inner product > radius, and
    that product (float32), one block of rows at a time.

    Blockwise matrix products (BLAS) over the upper triangle only; faiss's flat
    ``range_search`` was measured slower here (it also returns every pair twice).
    Yielding per block keeps memory bounded where most pairs pass a low radius (image
    embeddings with non-negative features sit at cosine 0.5 or more from each other).
    """
    sub = x if members is None else x[members]
    n = sub.shape[0]
    for lo in range(0, n, block):
        sims = sub[lo:lo + block] @ sub[lo:].T  # rows lo.., columns lo.. (upper part)
        r, c = np.nonzero(sims > radius)
        keep = c > r  # drop the diagonal and the lower triangle of the first block
        r, c = r[keep], c[keep]
        found = sims[r, c]
        del sims
        i, j = (r + lo).astype(np.int64), (c + lo).astype(np.int64)
        if members is not None:
            i, j = members[i], members[j]
        yield i, j, found


#: float32 products of unit vectors are within about 1e-4 of the exact cosine (D up to
#: 2048); pairs closer than this to the cut are re-computed in float64.
_EXACT_BAND = 1e-3


def _candidate_blocks(x: np.ndarray, radius: float, cfg: DedupConfig
                      ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Candidate pairs at cosine ``radius`` or more, block by block: ``(i, j, cosine)``.

    A pair may come twice (from two clusters). Cosines near the cut are re-computed in
    float64, so every pair returned really is at ``radius`` or more; re-computing all of
    them would cost a gather of two embedding rows per pair, which dominated when most
    pairs pass a low radius.
    """
    n = x.shape[0]
    k = 1 if cfg.method == "brute" else _auto_clusters(n, cfg.n_clusters)
    parts: list[np.ndarray | None] = [None] if k <= 1 else \
        list(_cluster_members(x, k, cfg.n_assign, cfg.seed))
    # A small margin below the radius: float32 products can round either way.
    margin = float(radius) - 1e-4
    with single_thread():
        for members in parts:
            for i, j, found in _pair_blocks(x, members, margin):
                sims = found.astype(np.float64)
                near = np.flatnonzero(np.abs(sims - radius) < _EXACT_BAND)
                if near.size:
                    sims[near] = _exact_cosine(x, i[near], j[near])
                ok = sims >= float(radius)
                if ok.any():
                    yield i[ok], j[ok], sims[ok]


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
        Columns ``i``, ``j`` (row indices, ``i < j``) and ``similarity`` (float64;
        re-computed exactly near the threshold, so every pair really is
        ``>= threshold``), sorted by
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
    blocks = list(_candidate_blocks(x, cfg.threshold, cfg))
    if not blocks:
        return empty
    i, j, sims = (np.concatenate(parts) for parts in zip(*blocks))
    key, first = np.unique(i * n + j, return_index=True)  # a pair from two clusters: once
    return pd.DataFrame({"i": key // n, "j": key % n, "similarity": sims[first]})


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


def near_duplicate_pairs(records: pd.DataFrame, embeddings: np.ndarray,
                         config: DedupConfig) -> pd.DataFrame:
    """Near-duplicate pairs among ``records``, and the pairs to review, with the evidence.

    Candidates are the pairs at cosine :attr:`DedupConfig.radius` or more
    (:func:`find_near_duplicates`); each is judged by
    :func:`~workbench.core.dedup.rules.judge_pairs` from the ``phash`` and
    ``color_signature`` columns where ``records`` has them (see :class:`DedupConfig`).
    With a ``filepath`` column (and :attr:`DedupConfig.local_check`), each pair judged
    ``duplicate`` is compared on its files
    (:func:`~workbench.core.dedup.variants.judge_variants`): a variant becomes
    ``"variant"`` (kept), a pair near the line ``"review"``.

    Parameters
    ----------
    records
        One row per item, aligned with ``embeddings``; optional columns ``phash`` (hex)
        and ``color_signature`` (:func:`workbench.core.pixels.color.color_signature`, or a
        missing value), ``filepath`` (the image file, for the local check).
    embeddings
        ``(N, D)`` L2-normalised embeddings.
    config
        The thresholds.

    Returns
    -------
    pandas.DataFrame
        One row per pair judged ``duplicate``, ``review`` or ``variant`` (pairs judged
        different are left out), sorted by ``(i, j)``: ``i``, ``j`` (row indices,
        ``i < j``), ``cosine``, ``phash`` (Hamming distance; <NA> without pHashes),
        ``color`` (colour distance; NaN without signatures), ``local`` (worst-tile SSIM of
        the files; NaN where not compared), ``verdict`` and ``why``.

    Examples
    --------
    >>> x = np.array([[1, 0], [0.999, 0.045], [0, 1]], dtype="float32")
    >>> x /= np.linalg.norm(x, axis=1, keepdims=True)
    >>> near_duplicate_pairs(pd.DataFrame({"id": list("abc")}), x,
    ...                      DedupConfig())[["i", "j", "verdict"]].values.tolist()
    [[0, 1, 'duplicate']]
    """
    x = check_embeddings(embeddings, n_rows=len(records))
    n = x.shape[0]
    codes = ok_hash = sigs = present = None
    if "phash" in records:
        codes, ok_hash = phash_codes(records["phash"])
    if COLOR_COLUMN in records and config.color_max is not None:
        names = records["id"].tolist() if "id" in records else None
        sigs, present = signature_matrix(records[COLOR_COLUMN].tolist(), COLOR_COLUMN,
                                         labels=names)
    # Judged block by block, keeping only duplicates and pairs to review: candidates at
    # the low radius can be most of all pairs, and never need to be held at once.
    kept = [_judge_block(i, j, cosine, codes, ok_hash, sigs, present, config)
            for i, j, cosine in (_candidate_blocks(x, config.radius, config) if n > 1 else ())]
    empty = np.empty(0, np.int64)
    pairs = pd.concat([_pairs_frame(empty, empty, np.empty(0), empty, np.empty(0),
                                    np.empty(0, object), np.empty(0, object)), *kept],
                      ignore_index=True)
    pairs = pairs.drop_duplicates(["i", "j"]).sort_values(["i", "j"], kind="stable")
    pairs = pairs.reset_index(drop=True)
    pairs.insert(5, "local", np.nan)
    if config.local_check and PATH_COLUMN in records:
        from .variants import check_pairs

        check_pairs(pairs, records[PATH_COLUMN].to_numpy(dtype=object), codes, ok_hash, config)
    return pairs


def _pairs_frame(i, j, cosine, dist, color, verdict, why) -> pd.DataFrame:
    return pd.DataFrame({"i": i, "j": j, "cosine": cosine,
                         "phash": pd.Series(dist, dtype="Int64").mask(dist < 0),
                         "color": color, "verdict": verdict, "why": why})


def _judge_block(i: np.ndarray, j: np.ndarray, cosine: np.ndarray,
                 codes: np.ndarray | None, ok_hash: np.ndarray | None,
                 sigs: np.ndarray | None, present: np.ndarray | None,
                 config: DedupConfig) -> pd.DataFrame:
    """The duplicates and pairs to review among one block of candidates."""
    dist = np.full(i.size, -1, dtype=np.int64)
    flipped = np.full(i.size, -1, dtype=np.int64)
    if codes is not None:
        both = ok_hash[i] & ok_hash[j]
        dist[both] = hamming_distance(codes, i[both], j[both])
        flipped[both] = mirrored_distance(codes, i[both], j[both])
    color = np.full(i.size, np.nan)
    if sigs is not None:
        both = present[i] & present[j]
        # First as if the colours agreed exactly: a pair still judged different differs
        # in structure whatever its colours (the rules only ever need colours to agree
        # more), so colour distances are taken for the other pairs only.
        color[both] = 0.0
        maybe = np.flatnonzero(judge_pairs(cosine, dist, flipped, color, config)[0]
                               != "different")
        i, j, cosine, dist, flipped = i[maybe], j[maybe], cosine[maybe], dist[maybe], \
            flipped[maybe]
        both = both[maybe]
        color = np.full(i.size, np.nan)
        color[both] = color_distance(sigs[i[both]], sigs[j[both]])
    verdict, why = judge_pairs(cosine, dist, flipped, color, config)
    keep = verdict != "different"
    return _pairs_frame(i[keep], j[keep], cosine[keep], dist[keep], color[keep],
                        verdict[keep], why[keep])


def resolve_duplicates(
    records: pd.DataFrame,
    embeddings: np.ndarray | None,
    config: DedupConfig | None,
    *,
    pairs: pd.DataFrame | None = None,
) -> tuple[np.ndarray, int]:
    """Collapse exact (same ``sha256``) and near duplicates among ``records``.

    Exact duplicates always collapse; near duplicates only when ``config`` is given
    (it then needs ``embeddings``, aligned with ``records``): the pairs
    :func:`near_duplicate_pairs` judges ``duplicate``. Pairs it lists for review are
    kept apart.

    Parameters
    ----------
    records, embeddings, config
        As for :func:`near_duplicate_pairs`.
    pairs
        The output of :func:`near_duplicate_pairs` for the same inputs, when the caller
        has it already (the selection also reports the review pairs).

    Returns
    -------
    (keeper, n_pairs)
        ``keeper`` as in :func:`choose_keepers`; ``n_pairs`` is the number of
        near-duplicate pairs found.

    Examples
    --------
    >>> x = np.array([[1, 0], [0.999, 0.045], [0, 1]], dtype="float32")
    >>> x /= np.linalg.norm(x, axis=1, keepdims=True)
    >>> keeper, n = resolve_duplicates(pd.DataFrame({"id": list("abc")}), x, DedupConfig())
    >>> keeper.tolist(), n
    ([0, 0, 2], 1)
    """
    n = len(records)
    if "sha256" in records:
        ei, ej = exact_duplicate_pairs(records["sha256"])
    else:
        ei, ej = np.empty(0, np.int64), np.empty(0, np.int64)
    n_pairs = 0
    if config is not None and n > 1:
        if pairs is None:
            pairs = near_duplicate_pairs(records, embeddings, config)
        dup = pairs[pairs["verdict"] == "duplicate"]
        n_pairs = len(dup)
        ei = np.concatenate([ei, dup["i"].to_numpy(np.int64)])
        ej = np.concatenate([ej, dup["j"].to_numpy(np.int64)])
    if ei.size == 0:
        return np.arange(n), n_pairs
    return choose_keepers(records, duplicate_groups(n, ei, ej)), n_pairs
