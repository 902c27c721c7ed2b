"""The 2-D map: input validation, neighbour search, UMAP and PCA projections."""

from __future__ import annotations

import os

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

from workbench.core.neighbours.knn import nearest_neighbors
from workbench.core.maps.projection import MapConfig, ensure_numba_cache, pca_2d, umap_2d


def _unit(X):
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=[120, 80, 60], n_features=32, cluster_std=1.0, random_state=0)
    return _unit(X), y


# --- validation (no UMAP import needed) --------------------------------------


@pytest.mark.parametrize("fn", [umap_2d, pca_2d])
def test_fewer_than_five_samples_is_a_clear_error(fn):
    X = _unit(np.random.default_rng(0).normal(size=(4, 8)))
    with pytest.raises(ValueError, match=r"at least 5 embedded samples; got 4"):
        fn(X)


def test_nan_rows_are_named():
    X = _unit(np.random.default_rng(0).normal(size=(20, 8)))
    X[7, 3] = np.nan
    X[11, 0] = np.inf
    with pytest.raises(ValueError, match=r"2 row\(s\) with NaN or infinite.*\[7, 11\]"):
        umap_2d(X)


@pytest.mark.parametrize("shape", [(10,), (4, 5, 6)])
def test_wrong_ndim_is_a_clear_error(shape):
    with pytest.raises(ValueError, match=r"must be a 2-D array"):
        umap_2d(np.ones(shape, dtype=np.float32))


def test_zero_rows_cannot_use_cosine():
    X = _unit(np.random.default_rng(0).normal(size=(10, 4)))
    X[2] = 0
    with pytest.raises(ValueError, match="all-zero"):
        umap_2d(X)


def test_map_config_validates_and_is_frozen():
    with pytest.raises(
        ValueError, match=r"metric must be one of \['cosine', 'euclidean'\]; got 'manhattan'"
    ):
        MapConfig(metric="manhattan")
    with pytest.raises(ValueError, match="n_neighbors"):
        MapConfig(n_neighbors=1)
    with pytest.raises(AttributeError):
        MapConfig().seed = 3  # type: ignore[misc]


# --- neighbours --------------------------------------------------------------


def test_exact_neighbours_match_sklearn(blobs):
    X, _ = blobs
    idx, dist = nearest_neighbors(X, 6, exact=True)
    ref = (
        NearestNeighbors(n_neighbors=6, metric="cosine").fit(X).kneighbors(X, return_distance=False)
    )
    assert (idx[:, 0] == np.arange(len(X))).all()
    overlap = np.mean([len(set(a) & set(b)) / 6 for a, b in zip(idx, ref)])
    assert overlap > 0.99
    assert (np.diff(dist, axis=1) >= -1e-6).all()  # nearest first
    assert dist[:, 0].max() == 0


def test_ivf_neighbours_have_high_recall():
    X, _ = make_blobs(n_samples=3000, n_features=48, centers=12, random_state=1)
    X = _unit(X)
    exact, _ = nearest_neighbors(X, 10, exact=True)
    approx, dist = nearest_neighbors(X, 10, exact=False, seed=0)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx)])
    assert recall > 0.9
    assert (approx[:, 0] == np.arange(len(X))).all() and np.isfinite(dist).all()


def test_duplicates_still_put_each_row_first():
    base = _unit(np.random.default_rng(0).normal(size=(10, 8)))
    X = np.repeat(base, 4, axis=0)  # every row has 3 exact twins
    idx, dist = nearest_neighbors(X, 5)
    assert (idx[:, 0] == np.arange(len(X))).all()
    assert np.allclose(dist[:, :4], 0, atol=1e-5)
    assert all(len(set(row)) == 5 for row in idx)


def test_euclidean_neighbours():
    X = np.array([[0, 0], [1, 0], [3, 0], [10, 0], [10, 1]], dtype=np.float32)
    idx, dist = nearest_neighbors(X, 2, metric="euclidean")
    assert idx[:, 1].tolist() == [1, 0, 1, 4, 3]
    assert np.allclose(dist[:, 1], [1, 1, 2, 1, 1])


# --- PCA preview -------------------------------------------------------------


def test_pca_2d_is_deterministic_and_ordered(blobs):
    X, _ = blobs
    a, b = pca_2d(X, seed=0), pca_2d(X, seed=0)
    assert a.shape == (len(X), 2) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert a[:, 0].var() >= a[:, 1].var()


# --- numba cache -------------------------------------------------------------


def test_ensure_numba_cache_sets_default_only_when_unset(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    path = ensure_numba_cache()
    assert path == str(tmp_path / ".cache" / "palette-workbench" / "numba")
    assert os.environ["NUMBA_CACHE_DIR"] == path and os.path.isdir(path)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert ensure_numba_cache() == str(tmp_path / "mine")


# --- UMAP (slow: imports umap and may compile numba kernels) -----------------


@pytest.mark.slow
def test_umap_2d_separates_blobs_and_is_reproducible(blobs):
    X, y = blobs
    cfg = MapConfig(n_neighbors=10, seed=0)
    a = umap_2d(X, cfg)
    assert a.shape == (len(X), 2) and a.dtype == np.float32 and np.isfinite(a).all()
    assert np.array_equal(a, umap_2d(X, cfg))
    # Neighbourhoods survive: a 5-NN vote in 2-D recovers the blob of (almost) every point.
    knn = KNeighborsClassifier(5).fit(a, y)
    assert knn.score(a, y) > 0.97


@pytest.mark.slow
@pytest.mark.parametrize("n", [5, 8, 40])
def test_umap_2d_handles_tiny_inputs(n):
    X = _unit(np.random.default_rng(n).normal(size=(n, 16)))
    coords = umap_2d(X, MapConfig(seed=0))
    assert coords.shape == (n, 2) and np.isfinite(coords).all()


@pytest.mark.slow
@pytest.mark.parametrize(
    "cfg",
    [
        MapConfig(pca_dims=None, init="spectral", n_neighbors=10),
        MapConfig(pca_dims=8, exact_knn=False, n_neighbors=10),
        MapConfig(metric="euclidean", init="random", n_neighbors=10, n_epochs=200),
    ],
)
def test_umap_2d_config_variants(blobs, cfg):
    X, y = blobs
    coords = umap_2d(X, cfg)
    assert KNeighborsClassifier(5).fit(coords, y).score(coords, y) > 0.97


@pytest.mark.slow
def test_umap_2d_identical_rows_give_finite_coordinates():
    row = _unit(np.random.default_rng(0).normal(size=(1, 16)))
    coords = umap_2d(np.repeat(row, 12, axis=0))
    assert coords.shape == (12, 2) and np.isfinite(coords).all()
