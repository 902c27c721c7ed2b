"""The in-notebook map: a jupyter-scatter plot linked to an image grid of the selection.

Lasso or brush points (shift/ctrl-drag in the plot) and the selection flows back to
Python as sample ids, which can become a FiftyOne view or tag.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..exporters.html import strip_html, thumbnail_data_uri

#: Above this many points, hover thumbnails are skipped (they are embedded in the page).
MAX_THUMBNAILS = 5000


class MapExplorer:
    """An interactive 2-D map of samples with a linked grid of the selected images.

    Parameters
    ----------
    frame
        One row per sample with columns ``id``, ``x``, ``y``, ``filepath`` and any
        fields to colour by or show in the tooltip.
    color_by
        Column to colour points by (categorical or numeric).
    tooltip_fields
        Columns listed in the hover tooltip.
    grid_size
        Thumbnails shown in the linked grid (the first ones of the selection).

    Examples
    --------
    >>> explorer = wb.map_widget(ds, color_by="cluster")   # doctest: +SKIP
    >>> explorer.show()                                      # doctest: +SKIP
    >>> view = explorer.to_view(ds)                          # after a lasso  # doctest: +SKIP
    """

    def __init__(self, frame: pd.DataFrame, color_by: str | None = None,
                 tooltip_fields: Sequence[str] = (), grid_size: int = 24,
                 thumbnails: bool = True) -> None:
        missing = {"id", "x", "y", "filepath"} - set(frame.columns)
        if missing:
            raise ValueError(f"frame needs columns id, x, y, filepath; missing {sorted(missing)}")
        if color_by is not None and color_by not in frame.columns:
            raise ValueError(f"color_by={color_by!r} is not a column; available: "
                             f"{sorted(c for c in frame.columns if c not in ('x', 'y'))}")
        self.frame = frame.reset_index(drop=True).copy()
        self.color_by = color_by
        self.tooltip_fields = [f for f in tooltip_fields if f in self.frame.columns]
        self.grid_size = grid_size
        self.thumbnails = thumbnails and len(self.frame) <= MAX_THUMBNAILS
        self.scatter_ = None
        self.grid_ = None

    # -- building -------------------------------------------------------------
    def _build(self) -> None:
        import ipywidgets as widgets
        import jscatter

        data = self.frame.copy()
        if self.color_by is not None:
            col = data[self.color_by]
            if not pd.api.types.is_numeric_dtype(col) or col.nunique() <= 20:
                data[self.color_by] = col.astype(str).astype("category")
        kwargs = {}
        if self.thumbnails:
            data["thumb"] = [thumbnail_data_uri(p, 96) or "" for p in data["filepath"]]
            kwargs.update(tooltip_preview="thumb", tooltip_preview_type="image")
        scatter = jscatter.Scatter(data=data, x="x", y="y", height=420, legend=True,
                                   tooltip=True, **kwargs)
        if self.color_by is not None:
            scatter.color(by=self.color_by)
        props = ["color"] + self.tooltip_fields if self.color_by else self.tooltip_fields
        if props:
            scatter.tooltip(properties=[p for p in props if p != self.color_by])
        self.scatter_ = scatter
        self.grid_ = widgets.HTML(value=self._grid_html([]))
        scatter.widget.observe(self._on_selection, names=["selection"])

    def _ensure(self) -> None:
        if self.scatter_ is None:
            self._build()

    def _grid_html(self, rows: Sequence[int]) -> str:
        if len(rows) == 0:
            return "<i>Lasso or brush points on the map to see the images here.</i>"
        shown = list(rows)[: self.grid_size]
        caps = (self.frame.loc[shown, self.color_by].astype(str).tolist()
                if self.color_by else None)
        more = f" (showing {len(shown)})" if len(rows) > len(shown) else ""
        return strip_html(self.frame.loc[shown, "filepath"].tolist(), caps, size=88,
                          title=f"{len(rows)} selected{more}")

    def _on_selection(self, change) -> None:
        self.grid_.value = self._grid_html(self.selected_rows)

    # -- selection as data --------------------------------------------------------
    @property
    def selected_rows(self) -> list[int]:
        """Row positions of the selected points (from the widget's ``selection`` trait)."""
        self._ensure()
        sel = self.scatter_.widget.selection
        return [] if sel is None else [int(i) for i in np.asarray(sel).ravel()]

    @property
    def selected_ids(self) -> list[str]:
        """Sample ids of the selected points."""
        return self.frame.loc[self.selected_rows, "id"].tolist()

    def select(self, ids: Sequence[str]) -> "MapExplorer":
        """Select samples by id from Python (the plot highlights them)."""
        self._ensure()
        pos = pd.Index(self.frame["id"])
        rows = pos.get_indexer(list(ids))
        unknown = [i for i, r in zip(ids, rows) if r < 0]
        if unknown:
            raise ValueError(f"ids not on this map: {unknown[:5]}")
        self.scatter_.selection(rows.astype(np.uint32))
        self.grid_.value = self._grid_html(list(rows))
        return self

    def to_view(self, collection):
        """The selected samples as a FiftyOne view of ``collection``, in map order."""
        return collection.select(self.selected_ids, ordered=True)

    def tag(self, collection, tag: str) -> int:
        """Tag the selected samples in ``collection``; returns how many were tagged."""
        view = self.to_view(collection)
        view.tag_samples(tag)
        return len(view)

    def show(self):
        """The widget: the map above, the grid of the current selection below."""
        import ipywidgets as widgets

        self._ensure()
        return widgets.VBox([self.scatter_.show(), self.grid_])
