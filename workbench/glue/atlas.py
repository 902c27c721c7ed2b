"""The image atlas of a dataset: its thumbnails placed on the stored map, without overlap.

Reads the map (:func:`workbench.glue.maps.get_map`), the files and the groups (a field, or
the clusters and their names) from FiftyOne, samples up to ``n`` stratified by cluster
(:func:`workbench.core.maps.atlas.stratified_sample`), lays them out on a grid
(:func:`workbench.core.maps.atlas.layout_grid`) and draws them
(:func:`workbench.exporters.atlas.render_atlas`). Also the atlases of the coverage report
and the map positions an export's dataset card draws its atlas from.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..core.maps.atlas import AtlasConfig, AtlasLayout
from . import state
from .fields import CLUSTER_FIELD, check_field, field_values
from .fo import usable


@dataclass
class AtlasResult:
    """An atlas: the ``layout`` (one cell per thumbnail) and the drawn ``image`` (Pillow).

    ``to_dict()`` and ``summary()`` describe it; ``show()`` displays it, ``save(path)``
    writes the PNG.
    """

    layout: AtlasLayout
    image: object = field(repr=False)
    dataset: str = ""
    by: str | None = None
    tag: str | None = None
    method: str = ""
    candidates: int = 0
    groups: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    seed: int = 0
    seconds: float = 0.0
    path: str | None = None

    def to_dict(self) -> dict:
        out = {"dataset": self.dataset, "map": self.method, "by": self.by, "tag": self.tag,
               "candidates": self.candidates, **self.layout.to_dict(),
               "image_width": self.image.width, "image_height": self.image.height,
               "groups": dict(self.groups), "unreadable": list(self.unreadable),
               "seed": self.seed, "seconds": self.seconds}
        if self.path:
            out["out"] = self.path
        return out

    def summary(self) -> str:
        rows, cols = self.layout.grid
        sampled = "" if len(self.layout.ids) == self.candidates else \
            f" (a sample stratified by cluster, seed {self.seed})"
        text = (f"atlas of {len(self.layout.ids)} of {self.candidates} images{sampled} on the "
                f"{self.method.upper()} map of {self.dataset!r}: {cols} x {rows} cells of "
                f"{self.layout.cell_px} px, {self.image.width} x {self.image.height} px image")
        if self.groups:
            text += f"; framed by {self.by or CLUSTER_FIELD} ({len(self.groups)} groups)"
        if self.unreadable:
            text += f"; {len(self.unreadable)} unreadable (grey cells)"
        return text + (f"; saved to {self.path}" if self.path else "")

    def png(self) -> bytes:
        """The atlas as PNG bytes."""
        from ..exporters.atlas import encode

        return encode(self.image)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the atlas as a PNG (atomically); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial")
        tmp.write_bytes(self.png())
        os.replace(tmp, path)
        self.path = str(path)
        return path

    def show(self, width: int | None = None):
        """Display the atlas: inline in a notebook, else in a matplotlib window."""
        try:
            from IPython import get_ipython
            from IPython.display import Image as IPImage
            from IPython.display import display
        except ImportError:
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            from ..exporters.atlas import preview

            # The full-size PNG (``.png()``, ``.save()``) would weigh down a saved notebook.
            display(IPImage(data=preview(self.image, width or 1024), format="png"))
            return None
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(12, 12 * self.image.height / self.image.width))
        ax.imshow(self.image)
        ax.set_axis_off()
        plt.show()
        return fig


def _config(n: int, cell_px: int | None, seed: int, config: AtlasConfig | None) -> AtlasConfig:
    if config is not None and not isinstance(config, AtlasConfig):
        raise TypeError(f"config must be an AtlasConfig; got {type(config).__name__}")
    return replace(config or AtlasConfig(), n=n, cell_px=cell_px, seed=seed)


def _tagged(collection, tag: str) -> set[str]:
    ds = state.dataset_of(collection)
    tags = ds.distinct("tags")
    if tag not in tags:
        raise LookupError(f"no samples are tagged {tag!r}; tags in {ds.name!r}: {tags}. "
                          "Run `workbench select` first, or leave out the tag.")
    return set(usable(collection).match_tags(tag).values("id"))


def atlas(collection, by: str | None = None, n: int = AtlasConfig.n, *, tag: str | None = None,
          cell_px: int | None = AtlasConfig.cell_px, seed: int = AtlasConfig.seed,
          method: str | None = None, config: AtlasConfig | None = None,
          progress: bool = True) -> AtlasResult:
    """Thumbnails of the collection placed on its map, each in a grid cell of its own.

    Parameters
    ----------
    collection
        A dataset or view with a stored map (:func:`workbench.compute_map`).
    by
        A field to frame the thumbnails by (a colour per value, its name at the group's
        centre); default: the clusters, when :func:`workbench.find_clusters` has run.
    n
        At most this many thumbnails: a sample stratified by cluster (proportional, at
        least one per cluster; by ``by`` when there are no clusters).
    tag
        Only the samples with this tag (a selection).
    cell_px
        Cell size in pixels; default: the smallest that makes the image at least
        ``config.min_width`` (2,048) pixels wide.
    seed
        Seed of the sample.
    method
        Which stored map (``umap`` or ``pca``; default: UMAP if there is one).
    config
        Further settings (:class:`~workbench.core.maps.atlas.AtlasConfig`); ``n``,
        ``cell_px`` and ``seed`` override its fields.
    progress
        A progress bar over the decoding.

    Raises
    ------
    LookupError
        No map yet (run ``wb.compute_map`` / ``workbench map NAME``), or no sample tagged
        ``tag``.

    Examples
    --------
    >>> at = wb.atlas(ds, n=1024)       # doctest: +SKIP
    >>> at.show()                        # doctest: +SKIP
    >>> at.save("out/atlas.png")         # doctest: +SKIP
    """
    from ..core.maps.atlas import layout_grid, stratified_sample
    from ..exporters.atlas import render_atlas
    from .maps import get_map

    t0 = time.perf_counter()
    config = _config(n, cell_px, seed, config)
    if by is not None:
        check_field(collection, by)
    ids, coords, info = get_map(collection, method)
    if tag is not None:
        keep = _tagged(collection, tag)
        rows = [i for i, sid in enumerate(ids) if sid in keep]
        ids, coords = [ids[i] for i in rows], coords[rows]
    if not ids:
        raise LookupError(f"no sample{' tagged ' + repr(tag) if tag else ''} is on the "
                          f"{info['method']} map; run `workbench map NAME` again after "
                          "loading new images")
    view = state.dataset_of(collection).select(ids, ordered=True)
    paths = view.values("filepath")
    has_clusters = collection.has_sample_field(CLUSTER_FIELD)
    group_by = by or (CLUSTER_FIELD if has_clusters else None)
    groups = None
    if group_by is not None:
        missing = "(no cluster)" if group_by == CLUSTER_FIELD else "(missing)"
        groups = [missing if v in (None, "") else str(v) for v in field_values(view, group_by)]
    strata = view.values(CLUSTER_FIELD) if has_clusters else (groups or [0] * len(ids))
    picked = stratified_sample(strata, config.n, config.seed)
    layout = layout_grid(coords[picked], [ids[i] for i in picked], config=config)
    placed_groups = [groups[i] for i in picked] if groups is not None else None
    image, unreadable = render_atlas(layout, [paths[i] for i in picked], placed_groups,
                                     progress=progress)
    return AtlasResult(
        layout=layout, image=image, dataset=state.dataset_of(collection).name, by=group_by,
        tag=tag, method=info["method"], candidates=len(ids),
        groups=dict(Counter(placed_groups)) if placed_groups else {},
        unreadable=[str(paths[picked[i]]) for i in unreadable], seed=config.seed,
        seconds=round(time.perf_counter() - t0, 3))


# -- the coverage report and the dataset card -------------------------------------------

#: Thumbnails in each per-cluster atlas of the coverage report.
CLUSTER_ATLAS_N = 48


def report_atlases(gaps, *, selection_ids: Sequence[str] | None = None,
                   tag: str | None = None, n: int = AtlasConfig.n, seed: int = 0):
    """The atlases a coverage report shows, drawn from a :class:`~workbench.glue.gaps.Gaps`.

    The whole collection and (with ``selection_ids`` or ``tag``) the selection, side by
    side, and a small atlas per cluster. None when the gaps hold no map.
    """
    from ..core.maps.atlas import layout_grid, stratified_sample
    from ..exporters.atlas import encode, render_atlas
    from ..exporters.coverage import ReportAtlases

    if gaps.map is None:
        return None
    if tag is not None:
        from .fo import get_dataset

        selection_ids = sorted(_tagged(get_dataset(gaps.dataset), tag))
    coords = dict(zip(gaps.map.ids, gaps.map.coords))
    cluster_of, names = {}, {}
    if gaps.clusters is not None:
        cluster_of = dict(zip(gaps.clusters.ids, (int(v) for v in gaps.clusters.labels)))
        names = {str(k): str(v) for k, v in gaps.clusters.names().items()}

    def draw(ids: list[str], config: AtlasConfig, framed: bool = True) -> bytes | None:
        ids = [i for i in ids if i in coords and i in gaps.filepaths]
        if not ids:
            return None
        strata = [cluster_of.get(i, -1) for i in ids]
        ids = [ids[k] for k in stratified_sample(strata, config.n, config.seed)]
        layout = layout_grid([coords[i] for i in ids], ids, config=config)
        labels = [names.get(str(cluster_of.get(i, -1)), "(no cluster)") for i in ids] \
            if framed and cluster_of else None
        image, _ = render_atlas(layout, [gaps.filepaths[i] for i in ids], labels)
        return encode(image, "JPEG")

    config = AtlasConfig(n=n, seed=seed, min_width=1600)
    whole = draw(list(gaps.map.ids), config)
    chosen = draw(list(selection_ids), config) if selection_ids is not None else None
    per_cluster = {}
    small = AtlasConfig(n=CLUSTER_ATLAS_N, seed=seed, min_width=480)
    for cluster in sorted(set(cluster_of.values()) - {-1}):
        members = [i for i, c in cluster_of.items() if c == cluster]
        per_cluster[cluster] = draw(members, small, framed=False)
    label = f"tag {tag!r}" if tag is not None else "the selection"
    return ReportAtlases(whole=whole, selection=chosen, selection_label=label,
                         selection_size=len(selection_ids) if selection_ids is not None else 0,
                         clusters={k: v for k, v in per_cluster.items() if v})


def export_points(collection, method: str | None = None):
    """Map positions and groups of the collection's samples, for the export's card atlas
    (:class:`~workbench.exporters.atlas.AtlasPoints`); None when there is no map."""
    from ..errors import MapNotFoundError
    from ..exporters.atlas import AtlasPoints
    from .maps import get_map

    try:
        ids, coords, _ = get_map(collection, method)
    except MapNotFoundError:
        return None
    groups = None
    if collection.has_sample_field(CLUSTER_FIELD) and ids:
        view = state.dataset_of(collection).select(ids, ordered=True)
        groups = {i: ("(no cluster)" if v is None else v)
                  for i, v in zip(ids, field_values(view, CLUSTER_FIELD))}
    return AtlasPoints(coords={i: (float(x), float(y)) for i, (x, y) in zip(ids, coords)},
                       groups=groups)
