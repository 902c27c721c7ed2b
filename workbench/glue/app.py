"""Launching the FiftyOne App on 127.0.0.1 (local only; nothing is exposed on the network).

The App opens with the Palette panel (the workbench's own plugin, ``workbench/plugin``)
beside the Samples grid: the stored map, representation against targets, the clusters,
the review queue and the current selection, with no click first. FiftyOne's Embeddings
panel sits in the tab behind it (FiftyOne 1.22 opens that one on its list of runs: the
open run lives in the browser's own state, which no Python or URL route reaches). The
plugin's folder is added to the plugins directory of the App started here, and its
export operator writes only under the export root chosen here (``exports``).
The sidebar shows the rights record first and folds the workbench's bookkeeping away.
"""

from __future__ import annotations

import os

from ..schema import DESCRIPTIVE_FIELDS, RIGHTS_FIELDS, is_internal
from .plugins import PANEL_NAME, export_root, use_app_plugins

DEFAULT_PORT = 5151

#: Sidebar groups the workbench adds, in order, with whether they start open.
_RIGHTS = (*RIGHTS_FIELDS, "license_status", "rights_conflicts", "embedded_rights")
_DESCRIPTION = (*DESCRIPTIVE_FIELDS, "cluster", "quality_issues")


def _sidebar(ds) -> None:
    """Rights first, then description, FiftyOne's own groups, and bookkeeping folded away."""
    from .fo import fiftyone

    fo = fiftyone()
    defaults = fo.DatasetAppConfig.default_sidebar_groups(ds)
    present = set(ds.get_field_schema())
    taken = {f for f in (*_RIGHTS, *_DESCRIPTION) if f in present}
    internal = sorted(f for f in present if is_internal(f) and f not in taken
                      and f not in ("id", "filepath", "tags", "metadata"))
    groups = [fo.SidebarGroupDocument(name="rights", expanded=True,
                                          paths=[f for f in _RIGHTS if f in present]),
              fo.SidebarGroupDocument(name="description", expanded=True,
                                          paths=[f for f in _DESCRIPTION if f in present])]
    for group in defaults:
        group.paths = [p for p in group.paths if p not in taken and p not in internal]
        groups.append(group)
    groups.append(fo.SidebarGroupDocument(name="workbench internals", expanded=False,
                                              paths=internal))
    ds.app_config.sidebar_groups = groups
    ds.save()


def _spaces(fo, with_map: bool, color_by: str | None):
    """The Samples grid, and beside it the Palette panel (the Embeddings panel behind it)."""
    palette = fo.Panel(type=PANEL_NAME, state={"by": color_by} if color_by else {})
    side = [palette, fo.Panel(type="Embeddings")] if with_map else [palette]
    samples = fo.Panel(type="Samples", pinned=True)
    return fo.Space(orientation="horizontal", children=[
        fo.Space(children=[samples], active_child=samples.component_id),
        fo.Space(children=side, active_child=palette.component_id)])


def open_in_app(collection, *, port: int = DEFAULT_PORT, address: str = "127.0.0.1",
                remote: bool = True, wait: bool = False, color_by: str | None = None,
                exports: str | os.PathLike | None = None):
    """Serve ``collection`` in the FiftyOne App at ``http://127.0.0.1:PORT``.

    The Palette panel opens beside the grid: the map computed by ``wb.compute_map``
    coloured by ``color_by`` (``None``: the labels, else the clusters), representation
    against targets, the clusters, the review queue and the selection. A lasso or box on
    the map shows those samples. The panel's operators (embed, map, quality, gaps,
    select, export) are in the App's operator browser; exports go only under
    ``exports`` (default ``~/palette-exports``). ``remote=True`` serves without opening
    a browser window (open the printed URL); in a notebook the App also shows inline.

    Examples
    --------
    >>> session = wb.open_in_app(ds, color_by="style")  # doctest: +SKIP
    """
    from . import state
    from .fo import fiftyone

    fo = fiftyone()
    ds = state.dataset_of(collection)
    _sidebar(ds)
    use_app_plugins(exports)
    if color_by is not None and not collection.has_sample_field(color_by):
        raise ValueError(f"color_by must be a field of {ds.name!r}; got {color_by!r}")
    has_map = bool(state.map_runs(collection))
    hint = ("the Palette panel shows the map; the Embeddings panel is in the tab behind it"
            if has_map else "no map yet: run `workbench map` first (or the Palette panel's "
            "compute map operator)")
    session = fo.launch_app(collection, port=port, address=address, remote=remote,
                            auto=False, spaces=_spaces(fo, has_map, color_by))
    print(f"FiftyOne App: http://{address}:{port} ({hint}; exports go under "
          f"{export_root(exports)})", flush=True)
    if wait:
        session.wait()
    return session
