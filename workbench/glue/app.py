"""Launching the FiftyOne App on 127.0.0.1 (local only; nothing is exposed on the network).

The App opens with the Embeddings panel beside the grid, set (through the App's spaces
and panel state, the documented way) to the stored map and the group field. FiftyOne
1.22's Embeddings panel keeps which run is open and its colour field in the browser's
own state and starts on its list of runs, so the plot is one click away: the run's name.
The sidebar shows the rights record first and folds the workbench's bookkeeping away.
"""

from __future__ import annotations

from ..schema import DESCRIPTIVE_FIELDS, RIGHTS_FIELDS, is_internal

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


def open_in_app(collection, *, port: int = DEFAULT_PORT, address: str = "127.0.0.1",
                remote: bool = True, wait: bool = False, color_by: str | None = "cluster"):
    """Serve ``collection`` in the FiftyOne App at ``http://127.0.0.1:PORT``.

    The Embeddings panel opens beside the grid with the map computed by
    ``wb.compute_map`` (a FiftyOne Brain visualization run); click the run's name to see
    the plot, and colour it by ``color_by``. ``remote=True`` serves without opening a
    browser window (open the printed URL); in a notebook the App also shows inline.

    Examples
    --------
    >>> session = wb.open_in_app(ds, color_by="style")  # doctest: +SKIP
    """
    from . import state
    from .fo import fiftyone

    fo = fiftyone()
    ds = state.dataset_of(collection)
    _sidebar(ds)
    spaces, hint = None, "no map yet: run `workbench map` first"
    if state.map_runs(collection):
        run = state.map_run(collection)
        panel = {"brainResult": run.brain_key}
        if color_by and collection.has_sample_field(color_by):
            panel["colorByField"] = color_by
        spaces = fo.Space(orientation="horizontal", children=[
            fo.Panel(type="Samples", pinned=True),
            fo.Panel(type="Embeddings", state=panel)])
        hint = (f"the Embeddings panel lists the map {run.brain_key!r}: click it for the "
                f"plot" + (f", and colour it by {color_by!r}" if "colorByField" in panel
                           else ""))
    session = fo.launch_app(collection, port=port, address=address, remote=remote,
                            auto=False, spaces=spaces)
    print(f"FiftyOne App: http://{address}:{port} ({hint})", flush=True)
    if wait:
        session.wait()
    return session
