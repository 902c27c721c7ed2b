"""Suggestions for the next decision, and the order to page through items in.

* :func:`suggest_labels`: the labels an item's already-annotated neighbours carry, best
  first, each with its confidence (its share of the neighbours' similarity-weighted vote).
  On the real stamps with 20% of the folder labels hidden, the top 3 held the hidden
  label for 88% of the hidden items (seed 0, k=10; ``tests/pure/test_annotation_real.py``).
* :func:`caption_words`: words for a caption from the collection itself: the item's
  folders and file name, its cluster's name, and the captions its neighbours carry.
* :func:`zero_shot_tags`: the vocabulary phrases nearest an image in a CLIP space.
* :func:`annotation_order`: most doubtful first, cluster by cluster, or random (seeded).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePath

import numpy as np
import pandas as pd

from ..labels.label_issues import find_label_issues
from ..maps.cluster_names import words
from ..neighbours.embeddings import check_embeddings
from ..neighbours.faiss_index import flat_index

#: The orders :func:`annotation_order` knows.
ORDERS = ("doubtful", "cluster", "random")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def suggest_labels(X: np.ndarray, labels: Sequence, *, k: int = 10, bandwidth: float = 0.1,
                   top: int = 3) -> list[list[tuple[object, float]]]:
    """For every item, the labels its ``k`` nearest annotated neighbours carry.

    Parameters
    ----------
    X : (N, D) array
        Embeddings (L2-normalised here).
    labels : sequence of N values
        The annotated labels; None, NaN or "" where an item has none yet. An item's own
        label never votes for itself.
    k : int
        Annotated neighbours that vote.
    bandwidth : float
        Weights are ``exp((sim - sim_nearest) / bandwidth)``, as in
        :func:`workbench.core.labels.label_issues.find_label_issues`.
    top : int
        Suggestions per item.

    Returns
    -------
    One list per item of ``(label, confidence)``, best first; confidences are shares of
    the vote (they sum to at most 1). Empty when nothing is annotated yet.

    Examples
    --------
    >>> X = np.array([[1, 0], [0.99, 0.1], [0.98, 0.2], [0, 1], [0.1, 0.99]])
    >>> suggest_labels(X, ["sun", "sun", None, "sea", None], k=2, top=1)[2]
    [('sun', 1.0)]
    """
    X = check_embeddings(X, name="X", unit="normalize")
    values = list(labels)
    if len(values) != X.shape[0]:
        raise ValueError(f"labels must have one entry per row of X ({X.shape[0]}); "
                         f"got {len(values)}")
    if k < 1 or top < 1 or bandwidth <= 0:
        raise ValueError(f"k and top must be >= 1 and bandwidth > 0; got k={k!r}, top={top!r}, "
                         f"bandwidth={bandwidth!r}")
    rows = np.array([i for i, v in enumerate(values) if not _missing(v)], dtype=np.int64)
    if rows.size == 0:
        return [[] for _ in values]
    classes = sorted({values[i] for i in rows}, key=str)
    code = {c: j for j, c in enumerate(classes)}
    codes = np.array([code[values[i]] for i in rows])
    m = int(min(k + 1, rows.size))
    sims, idx = flat_index(X[rows]).search(X, m)
    out = []
    for i in range(X.shape[0]):
        keep = [(s, j) for s, j in zip(sims[i], idx[i]) if j >= 0 and rows[j] != i][:k]
        if not keep:
            out.append([])
            continue
        s = np.array([s for s, _ in keep])
        w = np.exp((s - s[0]) / bandwidth)
        votes = np.bincount(codes[[j for _, j in keep]], weights=w, minlength=len(classes))
        votes /= votes.sum()
        best = np.argsort(-votes, kind="stable")[:top]
        out.append([(classes[b], round(float(votes[b]), 4)) for b in best if votes[b] > 0])
    return out


def caption_words(path: str, *, root: str | None = None, cluster_name: str | None = None,
                  neighbour_captions: Sequence[str | None] = (), n: int = 10) -> list[str]:
    """Words for an item's caption, from the collection: the item's folders and file name
    (below ``root``), its cluster's name, then the words its neighbours' captions use most.

    Examples
    --------
    >>> caption_words("/stamps/animals/Brown_slug.png", root="/stamps",
    ...               neighbour_captions=["A snail on a leaf", "a slug", "leaf"])
    ['animals', 'brown', 'slug', 'leaf', 'snail']
    """
    rel = PurePath(os.path.relpath(path, root) if root else path)
    found = words(" ".join([*rel.parent.parts, rel.stem]))
    found += words(cluster_name or "")
    counts = Counter(w for c in neighbour_captions for w in dict.fromkeys(words(c or "")))
    found += [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return list(dict.fromkeys(found))[:n]


def zero_shot_tags(image: np.ndarray, texts: np.ndarray, vocabulary: Sequence[str], *,
                   top: int = 5) -> list[tuple[str, float]]:
    """The ``top`` phrases of ``vocabulary`` nearest one image, with cosine similarity.

    ``image`` and ``texts`` come from the same CLIP model (image and text towers).

    Examples
    --------
    >>> zero_shot_tags(np.array([1.0, 0.0]), np.array([[0.0, 1.0], [1.0, 0.1]]),
    ...                ["sea", "sun"], top=1)
    [('sun', 0.995)]
    """
    texts = check_embeddings(np.asarray(texts, dtype=np.float32), name="texts",
                             unit="normalize")
    if len(vocabulary) != texts.shape[0]:
        raise ValueError(f"vocabulary must have one phrase per row of texts ({texts.shape[0]}); "
                         f"got {len(vocabulary)}")
    v = np.asarray(image, dtype=np.float32).ravel()
    v = v / max(float(np.linalg.norm(v)), 1e-12)
    sims = texts @ v
    best = np.argsort(-sims, kind="stable")[:top]
    return [(str(vocabulary[b]), round(float(sims[b]), 3)) for b in best]


def doubt_scores(X: np.ndarray, labels: Sequence, *, k: int = 30) -> np.ndarray:
    """How doubtful each item's label is, lower first: the label-issue score
    (:func:`~workbench.core.labels.label_issues.find_label_issues`) for labelled items;
    ``-inf`` for items with no label yet (a missing label is the most doubtful of all).
    With fewer than 2 labels in use there is no score: every item gets 0."""
    values = np.asarray(list(labels), dtype=object)
    present = np.array([not _missing(v) for v in values])
    scores = np.zeros(len(values))
    scores[~present] = -np.inf
    if len({v for v in values[present]}) >= 2 and present.sum() >= 3:
        given = np.where(present, values, None)
        res = find_label_issues(X, given, k=min(k, int(present.sum()) - 1))
        scores[present] = res.table["label_score"].to_numpy()[present]
    return scores


def annotation_order(order: str, n: int, *, doubt: Sequence[float] | None = None,
                     clusters: Sequence[int] | None = None, seed: int = 0) -> np.ndarray:
    """Row indices ``0..n-1`` in the order to annotate them.

    ``doubtful``: lowest ``doubt`` first (:func:`doubt_scores`); ``cluster``: cluster by
    cluster, the biggest first, noise (-1) last, input order inside; ``random``: a
    permutation drawn with ``seed``.

    Examples
    --------
    >>> annotation_order("cluster", 5, clusters=[1, 0, 1, -1, 1]).tolist()
    [0, 2, 4, 1, 3]
    >>> annotation_order("doubtful", 3, doubt=[0.5, -1.0, 2.0]).tolist()
    [1, 0, 2]
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {list(ORDERS)}; got {order!r}")
    if order == "random":
        return np.random.default_rng(seed).permutation(n)
    if order == "doubtful":
        if doubt is None or len(doubt) != n:
            raise ValueError(f"order='doubtful' needs one doubt score per item ({n})")
        return np.argsort(np.asarray(doubt, dtype=float), kind="stable")
    if clusters is None or len(clusters) != n:
        raise ValueError(f"order='cluster' needs one cluster per item ({n}); run "
                         "wb.find_clusters(ds) first")
    c = pd.Series(np.asarray(clusters, dtype=np.int64))
    size = c.map(c.value_counts())
    key = pd.DataFrame({"noise": c < 0, "size": -size, "cluster": c, "row": np.arange(n)})
    return key.sort_values(["noise", "size", "cluster", "row"], kind="stable")["row"].to_numpy()
