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
    from .fo import fiftyone

    fo = fiftyone()
    spaces = None
    maps = collection._dataset.info.get("maps", {})
    if maps:  # open the Embeddings panel beside the grid, on the stored map
        run = maps.get("umap") or next(iter(maps.values()))
        state = {"brainResult": run["brain_key"]}
        if color_by and collection.has_sample_field(color_by):
            state["colorByField"] = color_by
        spaces = fo.Space(orientation="horizontal", children=[
            fo.Panel(type="Samples", pinned=True),
            fo.Panel(type="Embeddings", state=state)])
    session = fo.launch_app(collection, port=port, address=address, remote=remote,
                            auto=False, spaces=spaces)
    print(f"FiftyOne App: http://{address}:{port}", flush=True)
    if wait:
        session.wait()
    return session
