"""2-D maps of embeddings: UMAP (on neighbours from :mod:`workbench.core.neighbours.knn`) and a PCA preview.

Array in, array out. The FiftyOne glue passes an ``(N, D)`` float32 array of
L2-normalised embeddings and stores the ``(N, 2)`` coordinates it gets back.

Why not call ``umap.UMAP(...).fit_transform(X)`` directly (as FiftyOne Brain does)?
With a seed, UMAP runs single-threaded, and on wide embeddings much of its time
goes to NN-descent in the full dimension. Here the embeddings are first projected
to 50 principal components; the k nearest neighbours come from faiss (exact for
small sets, an inverted-file index above that; multi-threaded and deterministic)
and are handed to UMAP as ``precomputed_knn``; the layout starts from PCA and
runs a number of epochs scaled to the map's size. The layout itself is UMAP's.
``benchmarks/map.py`` compares speed and trustworthiness against FiftyOne Brain.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._threads import single_thread
from ..neighbours.embeddings import check_embeddings
from ..neighbours.knn import METRICS, nearest_neighbors

#: The fewest embedded samples a map is computed for.
MIN_MAP_SAMPLES = 5
INITS = ("pca", "spectral", "random")


@dataclass(frozen=True)
class MapConfig:
    """Settings for :func:`umap_2d`.

    Parameters
    ----------
    n_neighbors, min_dist, metric
        UMAP's own parameters (same meaning and defaults as ``umap.UMAP``);
        ``metric`` is ``"cosine"`` or ``"euclidean"``.
    seed
        Random seed. ``None`` lets UMAP run its layout on all cores, at the cost
        of a map that differs from run to run.
    n_epochs
        Layout epochs. ``None``: 500 up to 10,000 points (as UMAP does), then
        about four million point-epochs (200 at 20,000 points, 80 at 50,000,
        at least 50): a large map makes more updates per epoch, so it converges
        in fewer epochs.
    pca_dims
        Project to this many principal components first (``None``: no PCA). The
        neighbour search and the layout then work in that space: much faster on
        wide embeddings, and PCA drops the noisiest directions.
    init
        Starting layout: ``"pca"`` (default), ``"spectral"`` (UMAP's default) or
        ``"random"``. PCA starts keep global structure as well as spectral ones
        (Kobak & Linderman, Nature Biotechnology 2021) and skip an eigensolver
        run that takes seconds on large maps.
    exact_knn
        ``True`` exact neighbours, ``False`` faiss IVF (recall about 0.98),
        ``None`` exact below 10,000 samples and IVF above.
    fit_sample
        Above this many samples, UMAP is fitted on a sample of this size, stratified by
        k-means cells of the (PCA) embeddings so that small regions keep their share,
        and every other point is placed at the distance-weighted mean of its nearest
        sampled neighbours' positions (the start UMAP's own ``transform`` takes).
        ``None`` fits every point. At a million points the whole fit would need hours
        and about 20 GB on 2 cores; the sampled one takes minutes (``benchmarks/scale.py``).

    Examples
    --------
    >>> MapConfig(n_neighbors=30, seed=1).n_neighbors
    30
    """

    n_neighbors: int = 15
    min_dist: float = 0.1
    metric: str = "cosine"
    seed: int | None = 0
    n_epochs: int | None = None
    pca_dims: int | None = 50
    init: str = "pca"
    exact_knn: bool | None = None
    fit_sample: int | None = 200_000

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(
                f"MapConfig.metric must be one of {list(METRICS)}; got {self.metric!r}"
            )
        if not isinstance(self.n_neighbors, int) or self.n_neighbors < 2:
            raise ValueError(
                f"MapConfig.n_neighbors must be an integer >= 2; got {self.n_neighbors!r}"
            )
        if not 0.0 <= self.min_dist:
            raise ValueError(f"MapConfig.min_dist must be >= 0; got {self.min_dist!r}")
        if self.n_epochs is not None and self.n_epochs < 1:
            raise ValueError(f"MapConfig.n_epochs must be None or >= 1; got {self.n_epochs!r}")
        if self.pca_dims is not None and self.pca_dims < 2:
            raise ValueError(f"MapConfig.pca_dims must be None or >= 2; got {self.pca_dims!r}")
        if self.init not in INITS:
            raise ValueError(f"MapConfig.init must be one of {list(INITS)}; got {self.init!r}")
        if self.fit_sample is not None and (not isinstance(self.fit_sample, int)
                                            or self.fit_sample < 1000):
            raise ValueError(f"MapConfig.fit_sample must be None or an int >= 1000; got "
                             f"{self.fit_sample!r}")


def ensure_numba_cache() -> str:
    """Give numba a persistent on-disk cache, so new processes skip recompiling UMAP.

    Sets ``NUMBA_CACHE_DIR`` to ``~/.cache/palette-workbench/numba`` unless it is
    already set, and returns the directory in use. Call it before importing
    ``umap`` (the FiftyOne glue does); :func:`umap_2d` also turns on caching for
    UMAP's own kernels, which umap-learn compiles afresh in every process otherwise.

    Examples
    --------
    >>> path = ensure_numba_cache()
    >>> os.environ["NUMBA_CACHE_DIR"] == path
    True
    """
    path = os.environ.get("NUMBA_CACHE_DIR")
    if not path:
        path = str(Path.home() / ".cache" / "palette-workbench" / "numba")
        os.environ["NUMBA_CACHE_DIR"] = path
    Path(path).mkdir(parents=True, exist_ok=True)
    import sys

    numba = sys.modules.get("numba")
    if numba is not None and not getattr(numba.config, "CACHE_DIR", ""):
        numba.config.CACHE_DIR = path  # numba read the environment before we set it
    return path


_UMAP_KERNELS_CACHED = False


def _cache_umap_kernels() -> None:
    """Turn on numba's disk cache for umap-learn's jitted functions (once per process).

    umap-learn declares almost all of them without ``cache=True``, so every new
    process spends ~15 s compiling them. ``Dispatcher.enable_caching()`` is numba's
    public switch for the same thing; it must run before the first compilation.
    This only saves time: if it fails, the map is still computed, just slower.
    """
    global _UMAP_KERNELS_CACHED
    if _UMAP_KERNELS_CACHED:
        return
    _UMAP_KERNELS_CACHED = True
    import importlib

    from numba.core.registry import CPUDispatcher

    for name in ("umap.umap_", "umap.layouts", "umap.utils", "umap.spectral", "umap.distances"):
        try:
            module = importlib.import_module(name)
        except ImportError:  # a future umap-learn moved things: lose speed, not function
            continue
        for value in list(vars(module).values()):
            if isinstance(value, CPUDispatcher):
                try:
                    value.enable_caching()
                except RuntimeError as exc:  # no writable cache location
                    warnings.warn(
                        f"numba cache unavailable, UMAP will recompile: {exc}", stacklevel=3
                    )
                    return


def _check_map_input(X: np.ndarray, metric: str) -> np.ndarray:
    X = check_embeddings(X, name="X", unit="normalize" if metric == "cosine" else "any")
    if X.shape[0] < MIN_MAP_SAMPLES:
        raise ValueError(
            f"the map needs at least {MIN_MAP_SAMPLES} embedded samples; got {X.shape[0]}. "
            "Embed more images (or load a larger dataset) before computing a map"
        )
    return X


def _auto_epochs(n: int) -> int:
    """500 epochs up to 10,000 points (UMAP's default), then ~4 million point-epochs.

    UMAP itself gives every map above 10,000 points 200 epochs, whatever its size;
    a larger map makes more updates per epoch, so it needs fewer epochs (200 at
    20,000 points, 80 at 50,000, never fewer than 50).
    """
    if n <= 10_000:
        return 500
    return int(max(50, round(4_000_000 / n)))


def umap_2d(X: np.ndarray, config: MapConfig | None = None) -> np.ndarray:
    """Project embeddings to 2-D with UMAP.

    Parameters
    ----------
    X : (N, D) array
        Embeddings, one row per sample, N >= 5, all values finite.
    config : MapConfig, optional
        Settings; ``MapConfig()`` by default (seed 0: the same input gives the same map).

    Returns
    -------
    (N, 2) float32 array of map coordinates.

    Raises
    ------
    ValueError
        Fewer than 5 samples, a non-2-D array, rows with NaN/inf values, or (with
        the cosine metric) all-zero rows; see
        :func:`workbench.core.neighbours.embeddings.check_embeddings`.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, _ = make_blobs(200, n_features=16, centers=4, random_state=0)
    >>> umap_2d(X, MapConfig(seed=0)).shape  # doctest: +SKIP
    (200, 2)
    """
    config = config or MapConfig()
    X = _check_map_input(X, config.metric)
    n = X.shape[0]
    n_neighbors = min(config.n_neighbors, n - 1)

    data = X
    if config.pca_dims is not None and X.shape[1] > config.pca_dims and n > config.pca_dims:
        reduced = _pca(X, config.pca_dims, config.seed)
        # All-identical rows centre to zero and lose their direction: keep X then.
        if (np.linalg.norm(reduced, axis=1) > 1e-6).all():
            data = reduced
    if config.fit_sample is not None and n > config.fit_sample:
        return _sampled_umap(data, config)
    knn_idx, knn_dist = nearest_neighbors(
        data,
        n_neighbors,
        metric=config.metric,
        exact=config.exact_knn,
        seed=0 if config.seed is None else config.seed,
    )

    init = config.init
    if init == "spectral" and n <= n_neighbors + 2:
        init = "random"  # the spectral eigensolver needs more points than neighbours
    if init == "pca" and data.shape[1] < 2:
        init = "random"

    ensure_numba_cache()
    import umap

    _cache_umap_kernels()
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=n_neighbors,
        min_dist=config.min_dist,
        metric=config.metric,
        random_state=config.seed,
        n_jobs=1 if config.seed is not None else -1,
        n_epochs=config.n_epochs or _auto_epochs(n),
        precomputed_knn=(knn_idx, knn_dist),
        init=init,
        low_memory=True,
        verbose=False,
    )
    with warnings.catch_warnings(), single_thread():
        # Expected with precomputed neighbours ("transform will be unavailable")
        # and with tiny inputs (spectral init falling back); neither concerns the map.
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*")
        warnings.filterwarnings("ignore", message=".*knn_search_index.*")
        warnings.filterwarnings("ignore", message=".*[Ss]pectral initialisation failed.*")
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        coords = reducer.fit_transform(data)
    return np.ascontiguousarray(coords, dtype=np.float32)


def stratified_sample(data: np.ndarray, size: int, *, seed: int | None = 0,
                      cells: int = 64) -> np.ndarray:
    """Row indices of a sample of ``size`` rows, stratified by k-means cells of ``data``:
    each cell gives its share, and at least a few rows, so a small region is not lost.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(5000, 8)).astype("float32")
    >>> idx = stratified_sample(X, 1000, seed=0)
    >>> len(idx), len(set(idx.tolist())) == len(idx)
    (1000, True)
    """
    import faiss

    rng = np.random.default_rng(seed)
    n = data.shape[0]
    if size >= n:
        return np.arange(n)
    km = faiss.Kmeans(data.shape[1], cells, niter=10, seed=int(seed or 0), verbose=False,
                      max_points_per_centroid=256)
    km.train(np.ascontiguousarray(data, dtype=np.float32))
    cell = km.index.search(np.ascontiguousarray(data, dtype=np.float32), 1)[1][:, 0]
    counts = np.bincount(cell, minlength=cells)
    quota = np.minimum(counts, np.maximum(np.round(counts * size / n).astype(int), 5))
    # Trim (or top up) the largest cells so the quotas add up to ``size`` exactly.
    order = np.argsort(-counts)
    k = 0
    while quota.sum() != size:
        c = order[k % cells]
        step = 1 if quota.sum() < size else -1
        if 0 <= quota[c] + step <= counts[c] and quota[c] + step >= min(5, counts[c]):
            quota[c] += step
        k += 1
    picks = [rng.choice(np.flatnonzero(cell == c), quota[c], replace=False)
             for c in range(cells) if quota[c]]
    return np.sort(np.concatenate(picks))


def _sampled_umap(data: np.ndarray, config: MapConfig) -> np.ndarray:
    """UMAP on a stratified sample; the rest placed among their nearest sampled points."""
    from ..neighbours.knn import nearest_in

    n = data.shape[0]
    sample = stratified_sample(data, config.fit_sample, seed=config.seed)
    coords = np.empty((n, 2), dtype=np.float32)
    coords[sample] = umap_2d(data[sample], MapConfig(
        n_neighbors=config.n_neighbors, min_dist=config.min_dist, metric=config.metric,
        seed=config.seed, n_epochs=config.n_epochs, pca_dims=None, init=config.init,
        exact_knn=config.exact_knn, fit_sample=None))
    rest = np.setdiff1d(np.arange(n), sample)
    k = min(config.n_neighbors, len(sample))
    for lo in range(0, len(rest), 100_000):  # bounded memory for the neighbour lists
        rows = rest[lo:lo + 100_000]
        idx, dist = nearest_in(data[sample], data[rows], k, metric=config.metric,
                               seed=0 if config.seed is None else config.seed)
        weights = 1.0 / (dist + 1e-3)
        weights /= weights.sum(axis=1, keepdims=True)
        coords[rows] = np.einsum("qk,qkd->qd", weights, coords[sample][idx])
    return coords


def _pca(X: np.ndarray, n_components: int, seed: int | None) -> np.ndarray:
    from sklearn.decomposition import PCA

    n_components = int(min(n_components, X.shape[0], X.shape[1]))
    with single_thread():
        Z = PCA(n_components=n_components, random_state=seed).fit_transform(X)
    return Z.astype(np.float32)


def pca_2d(X: np.ndarray, seed: int | None = 0) -> np.ndarray:
    """A fast linear 2-D preview of the embeddings (first two principal components).

    Parameters
    ----------
    X : (N, D) array
        Embeddings, N >= 5, all values finite.
    seed : int or None
        Seed for the randomised SVD solver that scikit-learn may use on wide data.

    Returns
    -------
    (N, 2) float32 array.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(100, 32))
    >>> pca_2d(X).shape
    (100, 2)
    """
    X = _check_map_input(X, "euclidean")
    if X.shape[1] < 2:
        raise ValueError(f"X must have at least 2 features for a 2-D map; got {X.shape[1]}")
    return np.ascontiguousarray(_pca(X, 2, seed), dtype=np.float32)
