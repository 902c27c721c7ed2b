"""Launching the FiftyOne App on 127.0.0.1 (local only; nothing is exposed on the network)."""

from __future__ import annotations

DEFAULT_PORT = 5151


def open_in_app(collection, *, port: int = DEFAULT_PORT, address: str = "127.0.0.1",
                remote: bool = True, wait: bool = False, color_by: str | None = "cluster"):
    """Serve ``collection`` in the FiftyOne App at ``http://127.0.0.1:PORT``.

    The App's Embeddings panel shows the map computed by ``wb.compute_map`` (it is
    stored as a FiftyOne Brain visualization run). ``remote=True`` serves without
    opening a browser window (open the printed URL); in a notebook the App also shows
    inline.

    Examples
    --------
    >>> session = wb.open_in_app(ds)  # doctest: +SKIP
    """
    from . import state
    from .fo import fiftyone

    fo = fiftyone()
    spaces = None
    if state.map_runs(collection):  # open the Embeddings panel beside the grid, on the map
        run = state.map_run(collection)
        panel = {"brainResult": run.brain_key}
        if color_by and collection.has_sample_field(color_by):
            panel["colorByField"] = color_by
        spaces = fo.Space(orientation="horizontal", children=[
            fo.Panel(type="Samples", pinned=True),
            fo.Panel(type="Embeddings", state=panel)])
    session = fo.launch_app(collection, port=port, address=address, remote=remote,
                            auto=False, spaces=spaces)
    print(f"FiftyOne App: http://{address}:{port}", flush=True)
    if wait:
        session.wait()
    return session
