"""Clusters of embeddings, their most representative items, and readable names.

Clustering runs on the embeddings themselves (not on 2-D map coordinates, which
distort distances). Names come from CLIP zero-shot against a style vocabulary
(``workbench/data/style_vocabulary.txt``), or ImageNet classes, plus the metadata
values that dominate a cluster ("mostly style=ink-wash (93%)").
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

METHODS = ("auto", "kmeans", "hdbscan")
NOISE = -1  # hdbscan's label for items in no cluster
_TRAIN_SIZE = 20_000  # items the final k-means is fitted on (all are then assigned)
#: ``method="auto"`` uses HDBSCAN up to this many items, k-means above.
AUTO_HDBSCAN_MAX = 20_000


@dataclass(frozen=True)
class ClusterConfig:
    """Settings for :func:`cluster_embeddings`.

    Parameters
    ----------
    method : {"auto", "kmeans", "hdbscan"}
        ``"auto"`` is HDBSCAN (minimum cluster size about N/30) up to 20,000 items,
        falling back to k-means when it finds fewer than 2 clusters, and k-means with
        k chosen by silhouette above that. ``"hdbscan"`` finds clusters of varying
        density and labels outliers ``-1``; it is slow above ~20,000 samples.
    k_range : (int, int)
        Smallest and largest k tried by k-means (inclusive).
    seed : int
        Seed for k-means initialisation and for the scoring sample.
    sample_size : int
        Items used to choose k: k-means is fitted on them for every k and scored by
        silhouette (cosine); scoring all 50,000 would need a 50,000 x 50,000
        distance matrix. The chosen k is then refitted on up to 20,000 items.
    n_init : int
        k-means++ restarts for the final fit; the tightest run is kept.
    min_cluster_size : int
        HDBSCAN's smallest cluster.
    pca_dims : int
        HDBSCAN runs on this many principal components (density estimates in
        hundreds of dimensions are slow and unreliable).

    Examples
    --------
    >>> ClusterConfig(k_range=(4, 12), seed=1).k_range
    (4, 12)
    """

    method: str = "auto"
    k_range: tuple[int, int] = (2, 30)
    seed: int = 0
    sample_size: int = 5000
    n_init: int = 3
    min_cluster_size: int = 10
    pca_dims: int = 32

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(
                f"ClusterConfig.method must be one of {list(METHODS)}; got {self.method!r}"
            )
        lo, hi = self.k_range
        if not (2 <= lo <= hi):
            raise ValueError(
                "ClusterConfig.k_range must be (low, high) with 2 <= low <= high; "
                f"got {self.k_range!r}"
            )
        if self.sample_size < 50:
            raise ValueError(f"ClusterConfig.sample_size must be >= 50; got {self.sample_size!r}")


@dataclass
class ClusterResult:
    """Cluster labels for N items, and how they were found.

    ``labels[i]`` is item i's cluster (0..k-1; ``-1`` = noise, hdbscan only).
    ``score`` is the mean silhouette (cosine) on a sample; ``scores`` lists it
    for every k tried (k-means only).
    """

    labels: np.ndarray
    k: int
    method: str
    seed: int
    score: float
    scores: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["k", "silhouette"]))

    def sizes(self) -> pd.DataFrame:
        """Items per cluster: columns ``cluster, size, share``, largest first."""
        values, counts = np.unique(self.labels, return_counts=True)
        table = pd.DataFrame(
            {"cluster": values, "size": counts, "share": counts / max(len(self.labels), 1)}
        )
        return table.sort_values(["size", "cluster"], ascending=[False, True], ignore_index=True)

    def plot_scores(self, ax=None):
        """Silhouette against k, the chosen k marked (matplotlib)."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(5, 3))[1]
        ax.plot(self.scores["k"], self.scores["silhouette"], marker="o")
        ax.axvline(self.k, color="grey", linestyle="--")
        ax.set(xlabel="k", ylabel="silhouette (cosine)", title=f"{self.method}: k={self.k}")
        return ax


def _unit(X: np.ndarray) -> np.ndarray:
    from .projection import _as_matrix

    X = _as_matrix(X)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1.0, norms)


def _kmeans(train: np.ndarray, k: int, seed: int, n_init: int):
    """Spherical k-means on unit vectors; returns a faiss index of the unit centroids.

    k-means++ seeding (scikit-learn's ``kmeans_plusplus``), then faiss's Lloyd
    iterations. faiss's own random seeding often merges well-separated clusters of
    unequal size (mean ARI 0.83 vs 0.92 over 10 seeds on six test blobs); with
    k-means++ the result matches ``sklearn.cluster.KMeans`` at ~5x its speed.
    Of ``n_init`` restarts the one with the highest total similarity wins.
    """
    import faiss
    from sklearn.cluster import kmeans_plusplus

    best = None
    train = np.ascontiguousarray(train, dtype=np.float32)
    # float64 input takes scikit-learn's plain BLAS path (float32 is upcast chunk by chunk).
    train64 = train.astype(np.float64)
    for r in range(n_init):
        init, _ = kmeans_plusplus(train64, k, random_state=seed + r)
        km = faiss.Kmeans(
            train.shape[1],
            k,
            niter=20,
            seed=seed + r,
            spherical=True,
            max_points_per_centroid=1 << 30,  # train on all of `train` (already a sample)
            verbose=False,
        )
        km.train(train, init_centroids=np.ascontiguousarray(init, dtype=np.float32))
        fit = float(km.index.search(train, 1)[0].sum())
        if best is None or fit > best[0]:
            best = (fit, km.index)
    return best[1]


def _assign(index, X: np.ndarray) -> np.ndarray:
    return index.search(X, 1)[1][:, 0].astype(np.int64)


def _silhouette(dist: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import silhouette_score

    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(silhouette_score(dist, labels, metric="precomputed"))


def cluster_embeddings(X: np.ndarray, config: ClusterConfig | None = None) -> ClusterResult:
    """Cluster embeddings, choosing k automatically.

    k-means (faiss, spherical, so cosine) is fitted for every k in ``k_range``
    and scored by mean silhouette on a seeded sample; the best k wins.

    Parameters
    ----------
    X : (N, D) array
        Embeddings (L2-normalised here).
    config : ClusterConfig, optional

    Returns
    -------
    ClusterResult

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, _ = make_blobs(600, n_features=32, centers=5, random_state=0)
    >>> res = cluster_embeddings(X, ClusterConfig(k_range=(2, 8)))
    >>> res.k
    5
    """
    config = config or ClusterConfig()
    X = _unit(X)
    n = X.shape[0]
    if n < 3:
        raise ValueError(f"clustering needs at least 3 embedded samples; got {n}")
    rng = np.random.default_rng(config.seed)
    sample = np.sort(rng.choice(n, size=min(n, config.sample_size), replace=False))
    Xs = X[sample]
    dist = np.clip(1.0 - Xs @ Xs.T, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)

    if config.method == "hdbscan":
        return _hdbscan(X, config, dist, sample)
    if config.method == "auto" and n <= AUTO_HDBSCAN_MAX:
        # Density clusters follow the families of a curated collection better than
        # k-means, whose silhouette rewards splitting a large family into its variants
        # (on sample_data: ARI 0.98 against 0.45). Above AUTO_HDBSCAN_MAX it gets slow.
        size = max(config.min_cluster_size, min(100, round(n / 30)))
        result = _hdbscan(X, replace(config, min_cluster_size=size), dist, sample)
        if result.k >= 2:
            return result

    lo, hi = config.k_range
    hi = min(hi, len(sample) - 1)
    lo = min(lo, hi)
    from threadpoolctl import threadpool_limits

    # Scan k on the scoring sample (one k-means++ start each), then refit the chosen
    # k on a larger sample with restarts and assign every item to its nearest centroid.
    # The scan is many small fits, where thread hand-offs cost more than they save
    # (5-10x slower with 2 threads on a busy 2-core machine), so it runs on one thread.
    rows = []
    with threadpool_limits(limits=1):
        for k in range(lo, hi + 1):
            labels_s = _assign(_kmeans(Xs, k, config.seed, 1), Xs)
            rows.append({"k": k, "silhouette": _silhouette(dist, labels_s)})
    scores = pd.DataFrame(rows)
    finite = scores.dropna()
    k = int(finite.loc[finite["silhouette"].idxmax(), "k"]) if len(finite) else lo
    train = X if n <= _TRAIN_SIZE else X[np.sort(rng.choice(n, _TRAIN_SIZE, replace=False))]
    labels = _assign(_kmeans(train, k, config.seed, config.n_init), X)
    return ClusterResult(
        labels=labels,
        k=k,
        method="kmeans",
        seed=config.seed,
        score=_silhouette(dist, labels[sample]),
        scores=scores,
    )


def _hdbscan(
    X: np.ndarray, config: ClusterConfig, dist: np.ndarray, sample: np.ndarray
) -> ClusterResult:
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    dims = min(config.pca_dims, X.shape[0], X.shape[1])
    Z = PCA(n_components=dims, random_state=config.seed).fit_transform(X)
    with warnings.catch_warnings():  # scikit-learn 1.8+ announces a new `copy` default
        warnings.filterwarnings(
            "ignore", message=".*default value of `copy`.*", category=FutureWarning
        )
        labels = HDBSCAN(min_cluster_size=config.min_cluster_size).fit_predict(Z).astype(np.int64)
    k = len(set(labels.tolist()) - {NOISE})
    keep = labels[sample] != NOISE
    score = (
        _silhouette(dist[np.ix_(keep, keep)], labels[sample][keep])
        if keep.sum() > 2
        else float("nan")
    )
    return ClusterResult(labels=labels, k=k, method="hdbscan", seed=config.seed, score=score)


def _labels_of(result: ClusterResult | np.ndarray, n: int) -> np.ndarray:
    labels = np.asarray(result.labels if isinstance(result, ClusterResult) else result)
    if labels.shape != (n,):
        raise ValueError(f"labels must have one entry per row of X ({n}); got shape {labels.shape}")
    return labels


def _cluster_means(X: np.ndarray, labels: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Unit-length mean embedding of each cluster (one sparse matrix product)."""
    from scipy.sparse import csr_matrix

    pos = np.searchsorted(clusters, labels)
    onehot = csr_matrix(
        (np.ones(len(labels), np.float32), (pos, np.arange(len(labels)))),
        shape=(len(clusters), len(labels)),
    )
    means = np.asarray(onehot @ X)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return means / np.where(norms == 0, 1.0, norms)


def medoids(
    X: np.ndarray, labels: np.ndarray | ClusterResult, per_cluster: int = 5
) -> dict[int, np.ndarray]:
    """The items closest (cosine) to each cluster's mean embedding.

    Parameters
    ----------
    X : (N, D) array
    labels : (N,) array or ClusterResult
        Noise (``-1``) is skipped.
    per_cluster : int
        Items returned per cluster (fewer for smaller clusters).

    Returns
    -------
    dict mapping cluster -> row indices into X, most representative first.

    Examples
    --------
    >>> X = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.4, 0.6], [0.2, 0.8]], dtype="float32")
    >>> medoids(X, np.array([0, 0, 1, 1, 1]), per_cluster=1)[1].tolist()
    [4]
    """
    X = _unit(X)
    labels = _labels_of(labels, X.shape[0])
    if per_cluster < 1:
        raise ValueError(f"per_cluster must be >= 1; got {per_cluster!r}")
    clusters = np.array(sorted(set(labels.tolist()) - {NOISE}))
    if clusters.size == 0:
        return {}
    means = _cluster_means(X, labels, clusters)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], clusters)
    ends = np.searchsorted(labels[order], clusters, side="right")
    out: dict[int, np.ndarray] = {}
    for c, mean, a, b in zip(clusters.tolist(), means, bounds, ends):
        members = order[a:b]
        sims = X[members] @ mean
        top = np.argsort(-sims, kind="stable")[:per_cluster]
        out[int(c)] = members[top]
    return out


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
    X = _unit(X)
    n = X.shape[0]
    labels = _labels_of(result, n)
    clusters = np.array(sorted(set(labels.tolist())))
    real = clusters[clusters != NOISE]
    means = _cluster_means(X, labels, real) if real.size else np.zeros((0, X.shape[1]), np.float32)

    terms: dict[int, list[str]] = {}
    source = ""
    if text_vocab is not None:
        words, T = text_vocab
        T = _unit(np.asarray(T))
        if len(words) != T.shape[0]:
            raise ValueError(
                f"text_vocab has {len(words)} terms but {T.shape[0]} embeddings; they must match"
            )
        if T.shape[1] != X.shape[1]:
            raise ValueError(
                f"text_vocab embeddings have {T.shape[1]} dims but X has {X.shape[1]}; "
                "encode the vocabulary with the same model as the images"
            )
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
