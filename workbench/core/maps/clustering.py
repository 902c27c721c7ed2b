"""Clusters of embeddings and their most representative items.

Clustering runs on the embeddings themselves, not on 2-D map coordinates (which distort
distances): HDBSCAN on the leading principal components, its noise then reassigned by a
neighbour vote (:func:`workbench.core.labels.label_issues.propagate_labels`), or spherical
k-means with k chosen by silhouette. Naming is :mod:`workbench.core.maps.cluster_names`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .._threads import single_thread
from ..neighbours.embeddings import check_embeddings
from ..neighbours.faiss_index import spherical_kmeans
from ..results import axes_for, to_jsonable

METHODS = ("auto", "kmeans", "hdbscan")
NOISE = -1  # the label of items in no cluster
_TRAIN_SIZE = 20_000  # items the final k-means is fitted on (all are then assigned)
#: ``method="auto"`` uses HDBSCAN up to this many items, k-means above.
AUTO_HDBSCAN_MAX = 20_000


@dataclass(frozen=True)
class ClusterConfig:
    """Settings for :func:`cluster_embeddings`.

    Parameters
    ----------
    method : {"auto", "kmeans", "hdbscan"}
        ``"auto"``: HDBSCAN up to 20,000 items with a minimum cluster size of
        ``max(min_cluster_size, sqrt(N) / 2)`` (14 at 800 items, 45 at 8,000), k-means
        when that finds fewer than 2 clusters or above 20,000 items. ``"hdbscan"``
        uses ``min_cluster_size`` as given; it is slow above ~20,000 samples.
    k_range : (int, int)
        Smallest and largest k tried by k-means (inclusive).
    seed : int
        Seed for k-means and the scoring sample. The HDBSCAN path (exact PCA, HDBSCAN,
        neighbour vote) gives the same labels for every seed.
    sample_size : int
        Items used to choose k: k-means is fitted on them for every k and scored by
        silhouette (cosine); scoring all 50,000 would need a 50,000 x 50,000
        distance matrix. The chosen k is then refitted on up to 20,000 items.
    n_init : int
        k-means++ restarts for the final fit; the tightest run is kept.
    min_cluster_size : int
        HDBSCAN's smallest cluster (the floor of the ``"auto"`` size).
    min_samples : int
        HDBSCAN's density neighbourhood (items that must lie close for a dense region);
        10 keeps sample_data's families whole where 5 splits one into its variants.
    pca_dims : int
        HDBSCAN runs on this many principal components (at 32, a 13-image family lost
        its own directions and merged into a big one on sample_data).
    reassign_quantile : float or None
        Items HDBSCAN leaves in no cluster join the cluster their neighbours vote for,
        across links at least as similar as this quantile of the collection's
        nearest-neighbour similarities (``propagate_labels``); ``None``: no reassignment.

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
    min_samples: int = 10
    pca_dims: int = 48
    reassign_quantile: float | None = 0.05

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(
                f"ClusterConfig.method must be one of {list(METHODS)}; got {self.method!r}")
        lo, hi = self.k_range
        if not (2 <= lo <= hi):
            raise ValueError("ClusterConfig.k_range must be (low, high) with 2 <= low <= high; "
                             f"got {self.k_range!r}")
        if self.sample_size < 50:
            raise ValueError(f"ClusterConfig.sample_size must be >= 50; got {self.sample_size!r}")
        for name, value in (("min_cluster_size", self.min_cluster_size),
                            ("min_samples", self.min_samples), ("pca_dims", self.pca_dims)):
            if value < 2:
                raise ValueError(f"ClusterConfig.{name} must be >= 2; got {value!r}")
        q = self.reassign_quantile
        if q is not None and not 0.0 <= q <= 1.0:
            raise ValueError(f"ClusterConfig.reassign_quantile must be None or in [0, 1]; got {q!r}")


@dataclass
class ClusterResult:
    """Cluster labels for N items, and how they were found.

    ``labels[i]`` is item i's cluster (0..k-1; ``-1`` = in no cluster, HDBSCAN only).
    ``score`` is the mean silhouette (cosine) of the clustered items on a sample;
    ``scores`` lists it for every k tried (k-means only). ``noise_before``: share in no
    cluster before reassignment (``None`` for k-means); ``noise_after`` (property): now.
    ``reassign_threshold``: the similarity a link needed; ``reassign_basis``: its source.

    Examples
    --------
    >>> res = cluster_embeddings(X)  # doctest: +SKIP
    >>> res.summary(), res.to_dict()["noise_after"], res.plot()  # doctest: +SKIP
    """

    labels: np.ndarray
    k: int
    method: str
    seed: int
    score: float
    scores: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["k", "silhouette"]))
    noise_before: float | None = None
    reassign_threshold: float | None = None
    reassign_basis: str = ""

    @property
    def noise_after(self) -> float:
        """Share of items in no cluster (label ``-1``)."""
        return float((self.labels == NOISE).mean()) if len(self.labels) else 0.0

    def sizes(self) -> pd.DataFrame:
        """Items per cluster: columns ``cluster, size, share``, largest first."""
        values, counts = np.unique(self.labels, return_counts=True)
        table = pd.DataFrame(
            {"cluster": values, "size": counts, "share": counts / max(len(self.labels), 1)}
        )
        return table.sort_values(["size", "cluster"], ascending=[False, True], ignore_index=True)

    def to_dict(self) -> dict:
        """JSON-ready: the fields, ``noise_after``, ``sizes`` and ``labels``."""
        return to_jsonable({
            "k": self.k, "method": self.method, "seed": self.seed, "score": self.score,
            "noise_before": self.noise_before, "noise_after": self.noise_after,
            "reassign_threshold": self.reassign_threshold,
            "reassign_basis": self.reassign_basis,
            "scores": self.scores.to_dict(orient="records"),
            "sizes": self.sizes().to_dict(orient="records"),
            "labels": self.labels.tolist(),
        })

    def summary(self) -> str:
        """One line for people: method, k, silhouette, seed, the sizes and the noise.

        Examples
        --------
        >>> ClusterResult(np.array([0, 0, 1]), k=2, method="kmeans", seed=0, score=0.5).summary()
        'kmeans: 2 clusters (silhouette 0.500, seed 0); sizes 2, 1'
        >>> ClusterResult(np.array([0, 0, 1, -1]), k=2, method="hdbscan", seed=0, score=0.5,
        ...               noise_before=0.5).summary().split("; ")[-1]
        '1 in no cluster (50% before reassignment)'
        """
        table = self.sizes()
        sizes = ", ".join(str(s) for s in table.loc[table["cluster"] != NOISE, "size"])
        noise = int((self.labels == NOISE).sum())
        extra = f"; {noise} in no cluster" if noise or self.noise_before else ""
        if self.noise_before:
            extra += f" ({self.noise_before:.0%} before reassignment)"
        return (f"{self.method}: {self.k} clusters (silhouette {self.score:.3f}, seed "
                f"{self.seed}); sizes {sizes}{extra}")

    def plot(self, ax=None):
        """Silhouette against k, the chosen k marked (matplotlib); returns the Axes.

        k-means only: HDBSCAN tries no k, so its plot shows just the marker.
        """
        ax = axes_for(ax, (5, 3))
        ax.plot(self.scores["k"], self.scores["silhouette"], marker="o")
        ax.axvline(self.k, color="grey", linestyle="--")
        ax.set(xlabel="k", ylabel="silhouette (cosine)", title=f"{self.method}: k={self.k}")
        return ax


def _kmeans(train: np.ndarray, k: int, seed: int, n_init: int):
    """Spherical k-means on unit vectors; returns a faiss index of the unit centroids.

    k-means++ seeding (scikit-learn's ``kmeans_plusplus``), then faiss's Lloyd
    iterations. faiss's own random seeding often merges well-separated clusters of
    unequal size (mean ARI 0.83 vs 0.92 over 10 seeds on six test blobs); with
    k-means++ the result matches ``sklearn.cluster.KMeans`` at ~5x its speed.
    Of ``n_init`` restarts the one with the highest total similarity wins.
    """
    from sklearn.cluster import kmeans_plusplus

    best = None
    train = np.ascontiguousarray(train, dtype=np.float32)
    # float64 input takes scikit-learn's plain BLAS path (float32 is upcast chunk by chunk).
    train64 = train.astype(np.float64)
    for r in range(n_init):
        init, _ = kmeans_plusplus(train64, k, random_state=seed + r)
        centroids = spherical_kmeans(
            train, k, seed=seed + r, niter=20,
            max_points_per_centroid=1 << 30,  # train on all of `train` (already a sample)
            init=np.ascontiguousarray(init, dtype=np.float32),
        )
        fit = float(centroids.search(train, 1)[0].sum())
        if best is None or fit > best[0]:
            best = (fit, centroids)
    return best[1]


def _assign(index, X: np.ndarray) -> np.ndarray:
    return index.search(X, 1)[1][:, 0].astype(np.int64)


def _silhouette(dist: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import silhouette_score

    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(silhouette_score(dist, labels, metric="precomputed"))


def cluster_embeddings(X: np.ndarray, config: ClusterConfig | None = None) -> ClusterResult:
    """Cluster embeddings: density clusters with their noise reassigned, or k-means.

    See :class:`ClusterConfig` for how the method is chosen. k-means (faiss,
    spherical, so cosine) is fitted for every k in ``k_range`` and scored by mean
    silhouette on a seeded sample; the best k wins.

    Parameters
    ----------
    X : (N, D) array
        Embeddings (L2-normalised here; see
        :func:`workbench.core.neighbours.embeddings.check_embeddings`).
    config : ClusterConfig, optional

    Returns
    -------
    ClusterResult
        With the seed, the method, and the noise share before and after reassignment.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, _ = make_blobs(600, n_features=32, centers=5, random_state=0)
    >>> res = cluster_embeddings(X, ClusterConfig(k_range=(2, 8)))
    >>> res.k, res.noise_after
    (5, 0.0)
    """
    config = config or ClusterConfig()
    X = check_embeddings(X, name="X", unit="normalize")
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
        size = max(config.min_cluster_size, round(math.sqrt(n) / 2))
        result = _hdbscan(X, replace(config, min_cluster_size=size), dist, sample)
        if result.k >= 2:
            return result

    lo, hi = config.k_range
    hi = min(hi, len(sample) - 1)
    lo = min(lo, hi)
    # Scan k on the scoring sample (one k-means++ start each), then refit the chosen
    # k on a larger sample with restarts and assign every item to its nearest centroid.
    # The scan is many small fits, where thread hand-offs cost more than they save
    # (5-10x slower with 2 threads on a busy 2-core machine), so it runs on one thread.
    rows = []
    with single_thread(None):
        for k in range(lo, hi + 1):
            labels_s = _assign(_kmeans(Xs, k, config.seed, 1), Xs)
            rows.append({"k": k, "silhouette": _silhouette(dist, labels_s)})
    scores = pd.DataFrame(rows)
    finite = scores.dropna()
    k = int(finite.loc[finite["silhouette"].idxmax(), "k"]) if len(finite) else lo
    train = X if n <= _TRAIN_SIZE else X[np.sort(rng.choice(n, _TRAIN_SIZE, replace=False))]
    labels = _assign(_kmeans(train, k, config.seed, config.n_init), X)
    return ClusterResult(labels=labels, k=k, method="kmeans", seed=config.seed,
                         score=_silhouette(dist, labels[sample]), scores=scores)


def _principal_components(X: np.ndarray, dims: int) -> np.ndarray:
    """``X`` centred and projected on its ``dims`` leading principal axes (exact, no seed).

    An eigen-decomposition of the D x D covariance, fast while D is in the thousands. A
    randomised SVD's seed alone moved HDBSCAN's clusters (ARI 0.8-0.9 between seeds).
    """
    centred = X - X.mean(axis=0, dtype=np.float64).astype(np.float32)
    cov = (centred.T @ centred).astype(np.float64)
    with single_thread():  # a small eigh: threads only slow it down (see _threads)
        _, vectors = np.linalg.eigh(cov)
    dims = min(dims, X.shape[0], X.shape[1])
    return centred @ vectors[:, ::-1][:, :dims].astype(np.float32)


def _hdbscan(
    X: np.ndarray, config: ClusterConfig, dist: np.ndarray, sample: np.ndarray
) -> ClusterResult:
    from sklearn.cluster import HDBSCAN

    Z = _principal_components(X, config.pca_dims)
    with warnings.catch_warnings():  # scikit-learn 1.8+ announces a new `copy` default
        warnings.filterwarnings(
            "ignore", message=".*default value of `copy`.*", category=FutureWarning
        )
        labels = HDBSCAN(
            min_cluster_size=config.min_cluster_size,
            min_samples=min(config.min_samples, X.shape[0] - 1),
        ).fit_predict(Z).astype(np.int64)
    noise_before = float((labels == NOISE).mean())
    threshold, basis = None, ""
    if config.reassign_quantile is not None and (labels != NOISE).any() and noise_before:
        from ..labels.label_issues import propagate_labels

        labels, threshold = propagate_labels(X, labels, quantile=config.reassign_quantile)
        basis = (f"collection p{100 * config.reassign_quantile:g} of nearest-neighbour "
                 "similarity; 10 nearest neighbours vote")
    k = len(set(labels.tolist()) - {NOISE})
    keep = labels[sample] != NOISE
    score = (_silhouette(dist[np.ix_(keep, keep)], labels[sample][keep]) if keep.sum() > 2
             else float("nan"))
    return ClusterResult(labels=labels, k=k, method="hdbscan", seed=config.seed, score=score,
                         noise_before=noise_before, reassign_threshold=threshold,
                         reassign_basis=basis)


def cluster_labels(result: ClusterResult | np.ndarray, n: int) -> np.ndarray:
    """The ``(n,)`` label array of a :class:`ClusterResult` or of labels given directly."""
    labels = np.asarray(result.labels if isinstance(result, ClusterResult) else result)
    if labels.shape != (n,):
        raise ValueError(f"labels must have one entry per row of X ({n}); got shape {labels.shape}")
    return labels


def cluster_means(X: np.ndarray, labels: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Unit-length mean embedding of each of ``clusters`` (sorted labels), in one sparse product."""
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
    X = check_embeddings(X, name="X", unit="normalize")
    labels = cluster_labels(labels, X.shape[0])
    if per_cluster < 1:
        raise ValueError(f"per_cluster must be >= 1; got {per_cluster!r}")
    clusters = np.array(sorted(set(labels.tolist()) - {NOISE}))
    if clusters.size == 0:
        return {}
    means = cluster_means(X, labels, clusters)
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
