"""2-D maps of a dataset's embeddings, stored where both the App and notebooks find them.

The projection itself is :mod:`workbench.core.maps.projection`; this module registers it as a
FiftyOne Brain visualization run (so the App's Embeddings panel shows it) and keeps the
coordinates on the samples (field ``map_umap`` / ``map_pca``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from ..core.maps.projection import MapConfig
from . import state
from .embed import get_embeddings
from .fo import fiftyone, usable

METHODS = ("umap", "pca")


@dataclass
class MapResult:
    """A computed map: sample ids with their 2-D coordinates, and where it is stored."""

    ids: list[str]
    coords: np.ndarray
    method: str
    embedding_field: str
    brain_key: str
    points_field: str
    config: MapConfig
    seconds: float

    def to_dict(self) -> dict:
        return {"method": self.method, "samples": len(self.ids), "brain_key": self.brain_key,
                "points_field": self.points_field, "embedding_field": self.embedding_field,
                "config": asdict(self.config), "seconds": self.seconds}

    def summary(self) -> str:
        return (f"{self.method.upper()} map of {len(self.ids)} samples from "
                f"{self.embedding_field!r} in {self.seconds:.1f}s (seed {self.config.seed}); "
                f"App: Embeddings panel, brain key {self.brain_key!r}; "
                f"coordinates in field {self.points_field!r}")


def compute_map(collection, *, method: str = "umap", config: MapConfig = MapConfig(),
                model: str | None = None) -> MapResult:
    """Project the embeddings to 2-D and store the map on the dataset.

    Parameters
    ----------
    collection
        A dataset or view with embeddings (see :func:`workbench.embed`).
    method
        ``"umap"`` (default) or ``"pca"`` (a fast preview).
    config
        UMAP settings; ``config.seed`` makes the map reproducible.
    model
        Which embeddings to use when several models were run (default: the latest).

    Examples
    --------
    >>> m = wb.compute_map(ds, config=wb.MapConfig(n_neighbors=15, seed=0))  # doctest: +SKIP
    """
    from ..core.maps.projection import ensure_numba_cache, pca_2d, umap_2d

    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}; got {method!r}")
    t0 = time.perf_counter()
    ids, X, efield = get_embeddings(collection, model)
    if method == "umap":
        ensure_numba_cache()
        coords = umap_2d(X, config)
    else:
        coords = pca_2d(X, seed=config.seed)
    fiftyone()  # workbench defaults before FiftyOne loads
    import fiftyone.brain as fob

    ds = state.dataset_of(collection)
    brain_key = f"wb_{method}_{efield}"
    points_field = f"map_{method}"
    if brain_key in ds.list_brain_runs():
        ds.delete_brain_run(brain_key)
    view = ds.select(ids, ordered=True)
    fob.compute_visualization(view, points=coords.astype(float), brain_key=brain_key,
                              points_field=points_field, create_index=False, progress=False)
    seconds = round(time.perf_counter() - t0, 3)
    state.record_map(ds, state.MapRun(method=method, brain_key=brain_key,
                                      points_field=points_field, embedding_field=efield,
                                      config=asdict(config), samples=len(ids)))
    return MapResult(ids=ids, coords=coords, method=method, embedding_field=efield,
                     brain_key=brain_key, points_field=points_field, config=config,
                     seconds=seconds)


def get_map(collection, method: str | None = None) -> tuple[list[str], np.ndarray, dict]:
    """``(ids, coords, info)`` of a stored map (UMAP if present, else PCA).

    Raises
    ------
    LookupError
        No map yet (the message says what to run).
    """
    run = state.map_run(collection, method)
    view = usable(collection).exists(run.points_field)
    ids, pts = view.values(["id", run.points_field])
    return ids, np.asarray(pts, dtype=np.float32).reshape(-1, 2), asdict(run)


def map_frame(collection, fields, method: str | None = None):
    """The stored map as a table: ``id, x, y, filepath`` and the ``fields`` that exist.

    What the in-notebook map widget shows (:class:`workbench.viz.mapwidget.MapExplorer`).
    """
    import pandas as pd

    ids, coords, _ = get_map(collection, method)
    view = state.dataset_of(collection).select(ids, ordered=True)
    present = [f for f in dict.fromkeys(fields) if f and collection.has_sample_field(f)]
    frame = pd.DataFrame({"id": ids, "x": coords[:, 0], "y": coords[:, 1],
                          "filepath": view.values("filepath")})
    for f, values in zip(present, view.values(present)):
        frame[f] = values
    return frame
