"""Readable names for clusters: zero-shot terms, and the metadata that dominates each one.

Names come from CLIP zero-shot against a style vocabulary
(``workbench/data/style_vocabulary.txt``, read by :func:`load_vocabulary`), or
ImageNet classes, plus the metadata values that dominate a cluster ("mostly
style=ink-wash (93%)"). The clusters themselves come from
:mod:`workbench.core.clustering`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .clustering import NOISE, ClusterResult, cluster_labels, cluster_means, medoids
from .embeddings import check_embeddings, check_text_embeddings


def _is_missing(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def _dominant_metadata(
    metadata: pd.DataFrame, labels: np.ndarray, clusters: np.ndarray
) -> list[dict]:
    """Per cluster: {field: (top non-missing value, its share of the cluster)}."""
    sizes = pd.Series(labels).value_counts()
    out: list[dict] = [{} for _ in clusters]
    index = {c: i for i, c in enumerate(clusters.tolist())}
    for col in metadata.columns:
        values = metadata[col].reset_index(drop=True)
        present = ~_is_missing(values)
        if not present.any():
            continue
        frame = pd.DataFrame(
            {"cluster": labels[present.to_numpy()], "value": values[present].astype(str)}
        )
        counts = frame.groupby(["cluster", "value"]).size().reset_index(name="n")
        counts = counts.sort_values(["cluster", "n", "value"], ascending=[True, False, True])
        for row in counts.drop_duplicates("cluster").itertuples(index=False):
            if row.cluster in index:
                out[index[row.cluster]][col] = (
                    row.value,
                    round(float(row.n / sizes[row.cluster]), 4),
                )
    return out


def _pick_terms(ranked: list[tuple[str, float]], max_terms: int, ratio: float) -> list[str]:
    """The top term, plus following ones scoring at least ``ratio`` x the top score."""
    if not ranked:
        return []
    top = ranked[0][1]
    terms = [ranked[0][0]]
    for term, score in ranked[1:max_terms]:
        if top > 0 and score >= ratio * top:
            terms.append(term)
    return terms


def name_clusters(
    result: ClusterResult | np.ndarray,
    X: np.ndarray,
    *,
    metadata: pd.DataFrame | None = None,
    text_vocab: tuple[list[str], np.ndarray] | None = None,
    imagenet_top: Callable[[np.ndarray], list[list[tuple[str, float]]]] | None = None,
    min_share: float = 0.6,
    per_cluster: int = 5,
    max_terms: int = 2,
    second_term_ratio: float = 0.8,
) -> pd.DataFrame:
    """Name each cluster from zero-shot terms and dominant metadata.

    Parameters
    ----------
    result : ClusterResult or (N,) labels
    X : (N, D) array
        The image embeddings that were clustered.
    metadata : DataFrame, optional
        One row per item (same order as X); every column is considered, e.g.
        ``style``, ``region``, ``creator``. Missing values (None/NaN/"") never
        dominate but count in the share.
    text_vocab : (terms, (V, D) text embeddings), optional
        CLIP text embeddings of vocabulary phrases, from the same model as X.
        Each cluster's mean image embedding is compared (cosine) with every term;
        with 3+ clusters the term's mean similarity over all clusters is
        subtracted first, so a cluster is named by what sets it apart rather than
        by generic terms that match everything.
    imagenet_top : callable, optional
        Used when ``text_vocab`` is not given: takes the (k, D) unit cluster mean
        embeddings and returns, per cluster, ``[(label, score), ...]`` best first.
    min_share : float
        A metadata value goes into the name when it covers at least this share.
    per_cluster : int
        Medoids listed per cluster.
    max_terms, second_term_ratio : int, float
        Up to ``max_terms`` terms; later terms need ``second_term_ratio`` x the top score.

    Returns
    -------
    DataFrame with columns ``cluster, size, share, name, name_source, medoids,
    top_metadata`` (``top_metadata``: {field: (value, share)} of the most common
    value of each field), one row per cluster, largest first.

    Examples
    --------
    >>> X = np.eye(4, dtype="float32")[[0, 0, 1, 1]]
    >>> meta = pd.DataFrame({"style": ["ink-wash", "ink-wash", "batik", None]})
    >>> name_clusters(np.array([0, 0, 1, 1]), X, metadata=meta)["name"].tolist()
    ['mostly style=ink-wash (100%)', 'cluster 1']
    """
    X = check_embeddings(X, name="X", unit="normalize")
    n = X.shape[0]
    labels = cluster_labels(result, n)
    clusters = np.array(sorted(set(labels.tolist())))
    real = clusters[clusters != NOISE]
    means = cluster_means(X, labels, real) if real.size else np.zeros((0, X.shape[1]), np.float32)

    terms: dict[int, list[str]] = {}
    source = ""
    if text_vocab is not None:
        words, T = text_vocab
        T = check_text_embeddings(T, words, X, name="text_vocab")
        sims = means @ T.T
        if len(real) >= 3:
            sims = sims - sims.mean(axis=0, keepdims=True)
        for c, row in zip(real.tolist(), sims):
            order = np.argsort(-row, kind="stable")[:max_terms]
            terms[c] = _pick_terms(
                [(words[j], float(row[j])) for j in order], max_terms, second_term_ratio
            )
        source = "clip"
    elif imagenet_top is not None and real.size:
        tops = imagenet_top(means)
        if len(tops) != len(real):
            raise ValueError(f"imagenet_top returned {len(tops)} rows for {len(real)} clusters")
        for c, ranked in zip(real.tolist(), tops):
            terms[c] = _pick_terms(
                [(str(a), float(b)) for a, b in ranked], max_terms, second_term_ratio
            )
        source = "imagenet"

    tops_meta: list[dict] = [{} for _ in clusters]
    if metadata is not None:
        if len(metadata) != n:
            raise ValueError(
                f"metadata must have one row per row of X ({n}); got {len(metadata)} rows"
            )
        tops_meta = _dominant_metadata(metadata, labels, clusters)

    reps = medoids(X, labels, per_cluster=per_cluster)
    counts = pd.Series(labels).value_counts()
    rows = []
    for c, top in zip(clusters.tolist(), tops_meta):
        dominant = [f"{f}={v} ({round(s * 100)}%)" for f, (v, s) in top.items() if s >= min_share]
        word = " / ".join(terms.get(c, []))
        meta = ("mostly " + ", ".join(dominant)) if dominant else ""
        sources = [s for s, part in ((source, word), ("metadata", meta)) if part]
        if c == NOISE:
            name, sources = "noise (in no cluster)", []
        else:
            name = " · ".join(p for p in (word, meta) if p) or f"cluster {c}"
        rows.append(
            {
                "cluster": int(c),
                "size": int(counts[c]),
                "share": counts[c] / n,
                "name": name,
                "name_source": "+".join(sources) or "none",
                "medoids": reps.get(int(c), np.array([], np.int64)).tolist(),
                "top_metadata": top,
            }
        )
    table = pd.DataFrame(
        rows, columns=["cluster", "size", "share", "name", "name_source", "medoids", "top_metadata"]
    )
    return table.sort_values(["size", "cluster"], ascending=[False, True], ignore_index=True)


def load_vocabulary(
    path: str | Path | None = None, extra: Iterable[str] | None = None
) -> list[str]:
    """Style/technique phrases for CLIP zero-shot naming, one per line.

    Blank lines and lines starting with ``#`` are skipped; duplicates (ignoring
    case and spacing) are dropped, first spelling kept.

    Parameters
    ----------
    path : path, optional
        A text file; default the bundled ``workbench/data/style_vocabulary.txt``.
    extra : iterable of str, optional
        More phrases appended after the file's (e.g. terms from your community).

    Examples
    --------
    >>> vocab = load_vocabulary(extra=["Andean textile"])
    >>> "Andean textile" in vocab
    True
    """
    if path is None:
        from importlib import resources

        text = resources.files("workbench").joinpath("data/style_vocabulary.txt").read_text("utf-8")
    else:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"vocabulary file not found: {path}")
        text = path.read_text("utf-8")
    if isinstance(extra, str):
        raise TypeError(f"extra must be a list of phrases, not a single string; got {extra!r}")
    seen: set[str] = set()
    out: list[str] = []
    for line in [*text.splitlines(), *(extra or [])]:
        phrase = re.sub(r"\s+", " ", str(line)).strip()
        if not phrase or phrase.startswith("#"):
            continue
        key = phrase.casefold()
        if key not in seen:
            seen.add(key)
            out.append(phrase)
    return out
