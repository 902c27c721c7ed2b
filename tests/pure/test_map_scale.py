"""Maps of large collections: UMAP fitted on a stratified sample, the rest placed by their
nearest sampled neighbours, so a million points map in minutes (benchmarks/scale.py)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_blobs

from workbench.core.maps.projection import MapConfig, stratified_sample, umap_2d


def test_a_sampled_map_keeps_every_cluster_together_and_apart():
    X, y = make_blobs(12_000, n_features=32, centers=8, cluster_std=1.0, random_state=0)
    coords = umap_2d(X.astype(np.float32), MapConfig(fit_sample=2_000, seed=0))
    assert coords.shape == (12_000, 2) and np.isfinite(coords).all()
    centres = np.stack([np.median(coords[y == c], axis=0) for c in range(8)])
    nearest = np.argmin(((coords[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    accuracy = float((nearest == y).mean())
    print(f"\nsampled map: {accuracy:.1%} of points nearest their own cluster's centre")
    assert accuracy >= 0.97


def test_the_stratified_sample_keeps_a_small_region():
    rng = np.random.default_rng(1)
    big = rng.normal(size=(20_000, 16)).astype(np.float32)
    small = (rng.normal(size=(60, 16)) * 0.05 + 25).astype(np.float32)  # far away, 0.3%
    data = np.concatenate([big, small])
    idx = stratified_sample(data, 1_000, seed=0)
    assert len(idx) == 1_000 and len(np.unique(idx)) == 1_000
    kept = int((idx >= 20_000).sum())
    assert kept >= 5, f"the small region kept {kept} rows; a uniform sample expects 3"


def test_below_the_sample_size_every_point_is_fitted():
    X, _ = make_blobs(600, n_features=8, centers=3, random_state=0)
    a = umap_2d(X.astype(np.float32), MapConfig(seed=0))
    b = umap_2d(X.astype(np.float32), MapConfig(seed=0, fit_sample=None))
    assert np.array_equal(a, b)
