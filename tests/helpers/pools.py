"""Synthetic selection pools: uneven groups, mixed rights records, planted duplicates."""

from __future__ import annotations

import numpy as np
import pandas as pd


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def make_pool(n: int, seed: int, *, groups=("ink", "oil", "wood"), dup_every: int = 0,
              clean: bool = False, dim: int = 16) -> tuple[pd.DataFrame, np.ndarray]:
    """A synthetic pool: uneven groups, mixed rights records, optional planted dups."""
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.ones(len(groups)) * 0.8)
    df = pd.DataFrame({
        "id": [f"s{i:04d}" for i in range(n)],
        "style": rng.choice(list(groups), n, p=shares),
        "region": rng.choice(["East Asia", "Europe"], n),
        "consent": "granted" if clean else rng.choice(["granted", "unknown", "opted_out"], n,
                                                      p=[0.6, 0.3, 0.1]),
        "license": "CC0-1.0" if clean else rng.choice(["CC-BY-4.0", "CC0-1.0", "MIT", None], n,
                                                      p=[0.5, 0.3, 0.1, 0.1]),
        "ai_generated": "false" if clean else rng.choice(["false", "true", "unknown"], n,
                                                         p=[0.8, 0.1, 0.1]),
        "creator": rng.choice(["creator-01", "creator-02", "creator-03", "creator-04", None], n),
        "sha256": [f"{i:064x}" for i in range(n)],
        "width": rng.integers(64, 2048, n),
        "height": rng.integers(64, 2048, n),
    })
    df["license_status"] = np.where(df["license"].isna(), "unknown", "valid")
    x = rng.normal(size=(n, dim))
    if dup_every:
        for i in range(dup_every, n, dup_every):
            x[i] = x[i - 1] + rng.normal(size=dim) * 0.02  # cos ~ 0.9998
    return df, unit(x)
