"""Loaded networks, kept for reuse within one process.

Loading a network costs from a third of a second (the bundled model) to several
seconds (CLIP from a checkpoint). A notebook embeds a collection, asks text
queries of the map, then embeds a new folder: each of those steps resolves the
embedder afresh. An embedder holds no state besides its network once loaded,
so one instance per (name, device) serves them all.

At most :data:`MAX_SHARED` instances are kept (least recently used first out),
which bounds the memory held: a CLIP ViT-B-32 network is about 600 MB.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from workbench.models.base import Embedder

#: Embedders kept at most; older ones are dropped (their networks freed when unused).
MAX_SHARED = 2

_pool: OrderedDict[tuple[str, str], Embedder] = OrderedDict()
_lock = threading.Lock()


def shared(embedder: Embedder) -> Embedder:
    """The pooled instance with ``embedder``'s name and device, else ``embedder`` itself.

    ``embedder`` joins the pool unloaded; it loads on first use as usual, and later
    calls then get the loaded network. Names identify weights (a checkpoint file's
    name includes its content hash), so a pooled network is never stale.

    Examples
    --------
    >>> a = shared(EfficientNetLite0(device="cpu"))
    >>> shared(EfficientNetLite0(device="cpu")) is a
    True
    """
    key = (embedder.name, embedder.device)
    with _lock:
        found = _pool.get(key)
        if found is not None and type(found) is type(embedder):
            _pool.move_to_end(key)
            return found
        _pool[key] = embedder
        _pool.move_to_end(key)
        while len(_pool) > MAX_SHARED:
            _pool.popitem(last=False)
        return embedder


def clear() -> None:
    """Forget every pooled embedder (their networks are freed once nothing else holds them)."""
    with _lock:
        _pool.clear()
