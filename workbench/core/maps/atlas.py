"""The atlas layout: every point of a 2-D map snapped to its own grid cell, no overlap.

An image atlas (PixPlot-style) shows a collection as thumbnails placed where the map puts
them. Thumbnails drawn at the raw map positions pile up in dense regions; this module
moves each point to a cell of a regular grid, keeping neighbours together, so that every
thumbnail gets a cell of its own. It also draws a sample stratified by cluster, so that
small clusters stay visible when only part of a collection fits on the page.

Pure numpy/scipy: coordinates and labels in, cells out. Rendering is
:mod:`workbench.exporters.atlas`; reading the map from a dataset is
:mod:`workbench.glue.atlas`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Bounds on an automatic cell size, in pixels.
MIN_CELL_PX, MAX_CELL_PX = 16, 256


@dataclass(frozen=True)
class AtlasConfig:
    """Settings of an atlas, shared by ``wb.atlas`` and ``workbench atlas``.

    Parameters
    ----------
    n
        At most this many thumbnails (a sample stratified by cluster when there are more).
    cell_px
        Size of one grid cell in pixels; ``None`` picks the smallest size that makes the
        atlas at least ``min_width`` pixels wide (between 16 and 256 px: an atlas of a few
        images stays narrower, with cells of 256 px).
    min_width
        Minimum width of the image when ``cell_px`` is automatic.
    spare
        Cells per point (>= 1): a little room lets points stay near their map position.
    block
        Largest number of points solved in one assignment; more are solved in horizontal
        strips of about this many points (the assignment's cost grows as n cubed).
    seed
        Seed of the sample.
    """

    n: int = 1024
    cell_px: int | None = None
    min_width: int = 2048
    spare: float = 1.1
    block: int = 1024
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ValueError(f"n must be a positive integer; got {self.n!r}")
        if self.cell_px is not None and (not isinstance(self.cell_px, (int, np.integer))
                                         or self.cell_px < 4):
            raise ValueError(f"cell_px must be an integer >= 4 or None (automatic); "
                             f"got {self.cell_px!r}")
        if not isinstance(self.min_width, (int, np.integer)) or self.min_width < 1:
            raise ValueError(f"min_width must be a positive integer; got {self.min_width!r}")
        if not 1.0 <= float(self.spare) <= 4.0:
            raise ValueError(f"spare must be between 1.0 and 4.0 (cells per point); "
                             f"got {self.spare!r}")
        if not isinstance(self.block, (int, np.integer)) or self.block < 16:
            raise ValueError(f"block must be an integer >= 16; got {self.block!r}")


@dataclass(frozen=True)
class AtlasLayout:
    """Where each placed item sits: ``cells[i] = (row, col)`` of ``ids[i]``.

    ``grid`` is ``(rows, cols)``; ``targets`` the map positions in grid units (``x`` along
    columns, ``y`` along rows, row 0 at the top), so ``shift`` is how far each item moved.
    """

    ids: tuple[str, ...]
    cells: np.ndarray
    grid: tuple[int, int]
    cell_px: int
    targets: np.ndarray
    blocks: int = 1

    @property
    def size_px(self) -> tuple[int, int]:
        """``(width, height)`` of the grid in pixels."""
        return self.grid[1] * self.cell_px, self.grid[0] * self.cell_px

    @property
    def shift(self) -> np.ndarray:
        """Distance (in cells) from each item's map position to its cell's centre."""
        centres = self.cells[:, ::-1] + 0.5
        return np.hypot(*(centres - self.targets).T) if len(self.ids) else np.zeros(0)

    def boxes(self) -> np.ndarray:
        """``(x0, y0, x1, y1)`` pixel box of every item's cell."""
        r, c = self.cells[:, 0], self.cells[:, 1]
        p = self.cell_px
        return np.stack([c * p, r * p, (c + 1) * p, (r + 1) * p], axis=1)

    def to_dict(self) -> dict:
        shift = self.shift
        return {"placed": len(self.ids), "grid": list(self.grid), "cell_px": self.cell_px,
                "width": self.size_px[0], "height": self.size_px[1], "blocks": self.blocks,
                "mean_shift_cells": round(float(shift.mean()), 3) if shift.size else 0.0}


def _check_coords(coords) -> np.ndarray:
    arr = np.asarray(coords, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"coords must be an (n, 2) array of map positions; got shape "
                         f"{arr.shape}")
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).any(axis=1).sum())
        raise ValueError(f"coords must be finite; {bad} of {len(arr)} rows hold NaN or inf")
    return arr


def grid_shape(n: int, aspect: float = 1.0, spare: float = 1.1) -> tuple[int, int]:
    """``(rows, cols)`` with ``rows * cols >= spare * n`` and ``cols / rows`` near ``aspect``.

    Examples
    --------
    >>> grid_shape(100)
    (11, 11)
    >>> grid_shape(100, aspect=2.0)
    (8, 15)
    """
    if n < 1:
        return (1, 1)
    aspect = float(np.clip(aspect, 0.25, 4.0))
    cells = max(n, math.ceil(spare * n))
    cols = max(1, round(math.sqrt(cells * aspect)))
    rows = max(1, math.ceil(cells / cols))
    return rows, cols


def _normalise(xy: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Map positions in grid units: ``x`` in ``[0, cols]``, ``y`` in ``[0, rows]`` (top 0).

    Scaled between the 0.5th and 99.5th percentiles, so that one far outlier does not
    squeeze the rest of the map into a corner; points beyond go to the edge.
    """
    lo = np.percentile(xy, 0.5, axis=0)
    hi = np.percentile(xy, 99.5, axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    unit = np.clip((xy - lo) / span, 0.0, 1.0)
    unit[:, 1] = 1.0 - unit[:, 1]  # the map's y grows upwards, rows grow downwards
    # Half a cell of margin keeps the extreme points on cell centres, not cell edges.
    return np.stack([0.5 + unit[:, 0] * (cols - 1), 0.5 + unit[:, 1] * (rows - 1)], axis=1)


def _assign(targets: np.ndarray, rows: int, cols: int, row0: int = 0) -> np.ndarray:
    """Optimal one-to-one assignment of ``targets`` to the cells of a ``rows x cols`` grid.

    The cost of putting a point in a cell is the squared distance to the cell's centre,
    and ``linear_sum_assignment`` minimises the sum over all points. An optimal
    assignment keeps neighbours together (moving a crowd outwards costs each member a
    little, not one member a lot) and gives every point its own cell by construction.
    Greedy snapping (each point to its nearest free cell, in some order) collides in
    dense regions and throws the late points far away.
    """
    from scipy.optimize import linear_sum_assignment

    rr, cc = np.divmod(np.arange(rows * cols), cols)
    centres = np.stack([cc + 0.5, rr + row0 + 0.5], axis=1)
    cost = ((targets[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
    point, cell = linear_sum_assignment(cost)
    out = np.empty((len(targets), 2), dtype=np.int64)
    out[point] = np.stack([rr[cell] + row0, cc[cell]], axis=1)
    return out


def layout_grid(coords, ids: Sequence[str] | None = None, *,
                config: AtlasConfig = AtlasConfig()) -> AtlasLayout:
    """Snap every map point to its own grid cell, keeping neighbours together.

    Parameters
    ----------
    coords
        ``(n, 2)`` map positions (any scale; UMAP or PCA).
    ids
        One id per point (default: ``"0"``, ``"1"``, ...).
    config
        Grid spare room, block size and cell size (``cell_px``, ``min_width``).

    Returns
    -------
    AtlasLayout
        ``cells[i]`` is the ``(row, col)`` of point ``i``; no two points share a cell.

    Examples
    --------
    >>> lay = layout_grid([[0, 0], [0, 0], [1, 1]])
    >>> len({tuple(c) for c in lay.cells})
    3
    """
    xy = _check_coords(coords)
    n = len(xy)
    ids = tuple(str(i) for i in (range(n) if ids is None else ids))
    if len(ids) != n:
        raise ValueError(f"ids must have one entry per row of coords ({n}); got {len(ids)}")
    if n == 0:
        raise ValueError("coords holds no points; an atlas needs at least one")
    span = np.ptp(xy, axis=0) if n > 1 else np.ones(2)
    aspect = float(span[0] / span[1]) if span[1] > 0 else (4.0 if span[0] > 0 else 1.0)
    rows, cols = grid_shape(n, aspect, config.spare)
    targets = _normalise(xy, rows, cols)
    cells = np.empty((n, 2), dtype=np.int64)
    strips = max(1, math.ceil(n / config.block))
    strips = min(strips, rows)
    # Horizontal strips, each with its own rows of the grid and the points whose y falls
    # there (taken in y order, in proportion to the strip's cells): each strip is a
    # smaller assignment, and together they still give one cell per point.
    edges = np.linspace(0, rows, strips + 1).round().astype(int)
    capacity = np.diff(edges) * cols
    quota = np.floor(np.cumsum(capacity) * n / capacity.sum()).astype(int)
    quota[-1] = n
    order = np.lexsort((targets[:, 0], targets[:, 1]))
    start = 0
    for s in range(strips):
        members = order[start:quota[s]]
        start = quota[s]
        if len(members):
            cells[members] = _assign(targets[members], int(edges[s + 1] - edges[s]), cols,
                                     row0=int(edges[s]))
    cell_px = config.cell_px or int(np.clip(math.ceil(config.min_width / cols),
                                            MIN_CELL_PX, MAX_CELL_PX))
    return AtlasLayout(ids=ids, cells=cells, grid=(rows, cols), cell_px=cell_px,
                       targets=targets, blocks=strips)


def stratified_sample(labels, n: int, seed: int = 0) -> np.ndarray:
    """Indices of up to ``n`` items, stratified by ``labels``: proportional, at least one each.

    Each label (a cluster; ``-1``, noise, counts as one more) gets a share of ``n`` in
    proportion to its size, and at least one item, drawn at random with ``seed``. When
    ``n`` is below the number of labels, the ``n`` largest get one each. Every item is
    returned (in order) when there are no more than ``n``.

    Examples
    --------
    >>> stratified_sample(["a"] * 90 + ["b"] * 10, 10).size
    10
    >>> labels = np.asarray(["a"] * 90 + ["b"])
    >>> sorted(set(labels[stratified_sample(labels, 5)].tolist()))
    ['a', 'b']
    """
    labels = np.asarray(labels, dtype=object)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional; got shape {labels.shape}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")
    total = len(labels)
    if total <= n:
        return np.arange(total)
    keys = np.asarray([str(v) for v in labels])
    values, inverse, sizes = np.unique(keys, return_inverse=True, return_counts=True)
    rng = np.random.default_rng(seed)
    if n < len(values):
        by_size = np.lexsort((values, -sizes))[:n]
        quota = np.zeros(len(values), dtype=int)
        quota[by_size] = 1
    else:
        ideal = n * sizes / total
        quota = np.clip(np.floor(ideal).astype(int), 1, sizes)
        while quota.sum() > n:  # the floor of one pushed the sum over
            over = np.where(quota > 1, quota - ideal, -np.inf)
            quota[int(np.argmax(over))] -= 1
        while quota.sum() < n:  # hand out the remainders, largest first
            under = np.where(quota < sizes, ideal - quota, -np.inf)
            quota[int(np.argmax(under))] += 1
    picked = [rng.choice(np.flatnonzero(inverse == g), size=q, replace=False)
              for g, q in enumerate(quota) if q]
    return np.sort(np.concatenate(picked))
