"""Where the collection is thin: isolated items, empty pockets in the map, tiny clusters.

- :func:`outliers` works on the embeddings (distance to the k nearest neighbours).
- :func:`sparse_regions` works on the 2-D map: empty cells surrounded by populated ones.
- :func:`tiny_clusters` works on cluster labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..neighbours.knn import nearest_neighbors


def outliers(
    X: np.ndarray, k: int = 10, quantile: float = 0.98, *, metric: str = "cosine"
) -> pd.DataFrame:
    """Items far from their nearest neighbours.

    Each item's score is its mean distance to its ``k`` nearest other items
    (faiss; exact below 10,000 items). Items scoring above the ``quantile`` of
    all scores are flagged, so about ``1 - quantile`` of the items always are:
    read the scores, not just the flag.

    Parameters
    ----------
    X : (N, D) array
        Embeddings (checked by :func:`workbench.core.neighbours.knn.nearest_neighbors`).
    k : int
        Neighbours averaged (capped at N - 1).
    quantile : float
        Flag items above this quantile of the scores.
    metric : {"cosine", "euclidean"}

    Returns
    -------
    DataFrame with columns ``index, knn_distance, outlier``, one row per item in
    the order of X; ``attrs["threshold"]`` holds the cut-off.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 0.01, (50, 4)) + 1, [[-1, 1, -1, 1]]])
    >>> t = outliers(X, k=5, quantile=0.98)
    >>> t.loc[t.outlier, "index"].tolist()
    [50]
    """
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1; got {quantile!r}")
    n = np.asarray(X).shape[0]
    if n < 2:
        raise ValueError(f"outliers needs at least 2 items; got {n}")
    k = int(min(max(k, 1), n - 1))
    _, dist = nearest_neighbors(X, k + 1, metric=metric)
    score = dist[:, 1:].mean(axis=1)
    threshold = float(np.quantile(score, quantile))
    table = pd.DataFrame(
        {"index": np.arange(n), "knn_distance": score, "outlier": score > threshold}
    )
    table.attrs["threshold"] = threshold
    return table


def sparse_regions(
    coords: np.ndarray,
    *,
    grid: int = 40,
    smooth: float = 1.0,
    low: float = 0.1,
    reach: int | None = None,
    n_nearest: int = 5,
) -> pd.DataFrame:
    """Empty or thin pockets of the 2-D map enclosed by populated areas.

    A binned kernel density estimate: points are counted on a ``grid x grid``
    histogram over the map's bounding box and smoothed with a Gaussian of
    ``smooth`` cells (scipy.ndimage). "Typical" density is the median over cells
    that hold points. A cell is sparse when its density is below ``low`` x typical
    and populated cells (>= half the typical density) lie on both sides of it, left
    and right or above and below (within ``reach`` cells; ``None``: anywhere): a
    hole or bay inside the map, not the empty margin around it. Touching sparse
    cells are merged into one region.

    Parameters
    ----------
    coords : (N, 2) array
        Map coordinates (e.g. from ``umap_2d``).
    grid, smooth, low, reach : see above.
    n_nearest : int
        Items listed per region: the ones nearest its centre (to look at what borders the gap).

    Returns
    -------
    DataFrame with columns ``region, n_cells, x, y, x0, x1, y0, y1, density,
    border_density, nearest``, one row per region, largest first. ``density`` is
    the region's mean smoothed count per cell; ``border_density`` the mean over the
    cells touching it.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ring = rng.normal(size=(3000, 2))
    >>> ring = ring / np.linalg.norm(ring, axis=1, keepdims=True) * rng.uniform(2, 3, (3000, 1))
    >>> t = sparse_regions(ring, grid=30)
    >>> bool(abs(t.x[0]) < 1 and abs(t.y[0]) < 1)  # the hole in the middle
    True
    """
    from scipy import ndimage

    P = np.asarray(coords, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != 2:
        raise ValueError(f"coords must have shape (N, 2); got {P.shape}")
    if not np.isfinite(P).all():
        raise ValueError("coords has NaN or infinite values")
    if len(P) < 5:
        raise ValueError(f"sparse_regions needs at least 5 points; got {len(P)}")
    if grid < 3:
        raise ValueError(f"grid must be >= 3; got {grid!r}")
    lo, hi = P.min(axis=0), P.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    edges_x = np.linspace(lo[0], lo[0] + span[0], grid + 1)
    edges_y = np.linspace(lo[1], lo[1] + span[1], grid + 1)
    counts, _, _ = np.histogram2d(P[:, 0], P[:, 1], bins=[edges_x, edges_y])
    density = ndimage.gaussian_filter(counts, sigma=smooth, mode="constant")
    typical = float(np.median(density[counts > 0]))
    populated = density >= 0.5 * typical

    def near(mask: np.ndarray, axis: int, forward: bool) -> np.ndarray:
        """Is there a populated cell further along ``axis`` (within ``reach`` cells)?"""
        m = np.moveaxis(mask, axis, 0)
        m = m if forward else m[::-1]
        out = np.zeros_like(m)
        for step in range(1, (grid - 1 if reach is None else min(reach, grid - 1)) + 1):
            out[:-step] |= m[step:]
        out = out if forward else out[::-1]
        return np.moveaxis(out, 0, axis)

    enclosed = (near(populated, 0, True) & near(populated, 0, False)) | (
        near(populated, 1, True) & near(populated, 1, False)
    )
    sparse = (density < low * typical) & enclosed
    regions, n_regions = ndimage.label(sparse)
    cx = (edges_x[:-1] + edges_x[1:]) / 2
    cy = (edges_y[:-1] + edges_y[1:]) / 2
    rows = []
    for r in range(1, n_regions + 1):
        cells = regions == r
        ix, iy = np.nonzero(cells)
        ring = ndimage.binary_dilation(cells) & ~cells
        x, y = float(cx[ix].mean()), float(cy[iy].mean())
        order = np.argsort(np.hypot(P[:, 0] - x, P[:, 1] - y), kind="stable")[:n_nearest]
        rows.append(
            {
                "region": r,
                "n_cells": int(cells.sum()),
                "x": x,
                "y": y,
                "x0": float(edges_x[ix.min()]),
                "x1": float(edges_x[ix.max() + 1]),
                "y0": float(edges_y[iy.min()]),
                "y1": float(edges_y[iy.max() + 1]),
                "density": float(density[cells].mean()),
                "border_density": float(density[ring].mean()) if ring.any() else 0.0,
                "nearest": order.tolist(),
            }
        )
    columns = [
        "region",
        "n_cells",
        "x",
        "y",
        "x0",
        "x1",
        "y0",
        "y1",
        "density",
        "border_density",
        "nearest",
    ]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["n_cells", "region"], ascending=[False, True], ignore_index=True)


def tiny_clusters(labels: np.ndarray, min_size: int = 5) -> pd.DataFrame:
    """Clusters with fewer than ``min_size`` items: islands worth a look (or more data).

    Noise (label ``-1``) is ignored.

    Returns
    -------
    DataFrame with columns ``cluster, size, share, members`` (row indices), smallest first.

    Examples
    --------
    >>> tiny_clusters(np.array([0, 0, 0, 1, 2, 2, -1]), min_size=3)["cluster"].tolist()
    [1, 2]
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D; got shape {labels.shape}")
    if min_size < 1:
        raise ValueError(f"min_size must be >= 1; got {min_size!r}")
    values, counts = np.unique(labels, return_counts=True)
    rows = [
        {
            "cluster": int(v) if np.issubdtype(labels.dtype, np.integer) else v,
            "size": int(c),
            "share": c / len(labels),
            "members": np.flatnonzero(labels == v).tolist(),
        }
        for v, c in zip(values, counts)
        if c < min_size and not (np.issubdtype(labels.dtype, np.integer) and v == -1)
    ]
    table = pd.DataFrame(rows, columns=["cluster", "size", "share", "members"])
    return table.sort_values(["size", "cluster"], ignore_index=True)
