"""The embedding loop: cache lookup, parallel decode, batched inference, chunked commits.

Pure: no FiftyOne. The glue layer passes ``(key, sha256, path)`` triples (``key`` is
usually a sample id) and receives vectors by key.

* Only images whose content hash is not cached are computed; several keys with the
  same hash are computed once.
* Decoding, resizing and cropping run in DataLoader worker processes while the model
  runs in the main process (with a GPU, or 4+ CPU cores; see :func:`auto_num_workers`).
  JPEGs decode at reduced size (DCT scaling) when the model only needs 224 px.
* A file that fails to decode is skipped and reported in ``failed``; the batch goes on.
* Every ``chunk_size`` new vectors are committed to the cache in one transaction and
  handed to ``on_chunk``: a run killed at any moment loses at most that much work.
* Memory stays bounded: pixels stream through in batches; only vectors are kept.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.core.pixels.images import ImageDecodeError, open_rgb
from workbench.models.base import Embedder
from workbench.models.cache import EmbeddingCache
from workbench.models.parallelism import auto_num_workers, auto_torch_threads

Key = Hashable
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
OnChunk = Callable[[dict], Any]


@dataclass
class EmbedResult:
    """What :func:`embed_items` did.

    Attributes
    ----------
    vectors
        ``{key: unit vector (dim,) float32}`` for every item that has one.
    norms
        ``{key: pre-normalisation norm}`` (NaN for old cache entries without one).
    computed, cached
        Items whose vector was computed in this run / read from the cache.
        ``computed + cached + len(failed) == number of items``.
    unique_computed
        Images actually run through the model (items sharing a hash count once).
    failed
        ``[{"key", "path", "reason", "detail"}]`` for items that could not be embedded;
        ``reason`` is a short code such as ``corrupt`` or ``missing``.
    model
        The embedder's ``name``.
    seconds
        Wall time of the call.
    """

    vectors: dict[Key, np.ndarray]
    norms: dict[Key, float]
    computed: int
    cached: int
    unique_computed: int
    failed: list[dict]
    model: str
    seconds: float

    def matrix(self, keys: Sequence[Key]) -> np.ndarray:
        """Stack the vectors of ``keys`` into an ``(N, dim)`` array (KeyError if one is missing)."""
        if not keys:
            return np.zeros((0, 0), np.float32)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32, copy=False)

    def norm_array(self, keys: Sequence[Key]) -> np.ndarray:
        """The norms of ``keys`` as an ``(N,)`` array."""
        return np.asarray([self.norms[k] for k in keys], dtype=np.float32)

    def summary(self) -> dict:
        """JSON-ready counts (the ``workbench embed --json`` keys)."""
        return {
            "model": self.model,
            "computed": self.computed,
            "cached": self.cached,
            "failed": [dict(f, key=str(f["key"]), path=str(f["path"])) for f in self.failed],
            "seconds": round(self.seconds, 3),
        }


class _DecodeDataset:
    """Map-style dataset: job index -> (index, uint8 pixels | None, (reason, detail) | None)."""

    def __init__(self, paths: list[str], pixels: Callable, draft_size: tuple[int, int] | None):
        self.paths = paths
        self.pixels = pixels
        self.draft_size = draft_size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        try:
            image = open_rgb(self.paths[i], draft_size=self.draft_size).image
        except ImageDecodeError as exc:
            return i, None, (exc.reason, exc.detail)
        try:
            return i, self.pixels(image), None
        except Exception as exc:  # noqa: BLE001 - a bad image is data, not a crash
            return i, None, ("preprocess_error", f"{type(exc).__name__}: {exc}")


def _collate(samples: list) -> tuple[list[int], Any, list[tuple[int, tuple[str, str]]]]:
    """Stack the decodable samples; pass failures through with their reasons."""
    import torch

    ok = [(i, t) for i, t, err in samples if err is None]
    failed = [(i, err) for i, _, err in samples if err is not None]
    # numpy's copy, not torch.stack: torch splits even this small copy across its thread
    # pool, whose barrier stalled for 36 ms per batch of 4 when other programs held the
    # cores (about as long as the forward pass itself).
    batch = torch.from_numpy(np.stack([t.numpy() for _, t in ok])) if ok else None
    return [i for i, _ in ok], batch, failed


def _worker_init(_worker_id: int) -> None:
    import torch

    torch.set_num_threads(1)


def _check_items(items: Sequence[tuple[Key, str, Any]]) -> None:
    seen: set = set()
    for n, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != 3:
            raise ValueError(f"items[{n}] must be a (key, sha256, path) tuple; got {item!r}")
        key, sha, _ = item
        if not isinstance(sha, str) or not _SHA_RE.match(sha):
            raise ValueError(
                f"items[{n}] sha256 must be a 64-character lowercase hex string; got {sha!r}"
            )
        if key in seen:
            raise ValueError(f"items[{n}] repeats key {key!r}; keys must be unique")
        seen.add(key)


@dataclass(frozen=True)
class EmbedSettings:
    """How :func:`embed_items` runs (validated on construction); see its parameters."""

    batch_size: int | str = "auto"
    num_workers: int | str = "auto"
    chunk_size: int = 256
    progress: bool = True
    torch_threads: int | str = "auto"

    def __post_init__(self) -> None:
        for pname in ("batch_size", "chunk_size"):
            value = getattr(self, pname)
            if pname == "batch_size" and value == "auto":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                allowed = "'auto' or " if pname == "batch_size" else ""
                raise ValueError(f"{pname} must be {allowed}a positive integer; got {value!r}")
        nw, th = self.num_workers, self.torch_threads
        if not (nw == "auto" or (isinstance(nw, int) and nw >= 0)):
            raise ValueError(f"num_workers must be 'auto' or an integer >= 0; got {nw!r}")
        if not (th == "auto" or (isinstance(th, int) and th >= 1)):
            raise ValueError(f"torch_threads must be 'auto' or an integer >= 1; got {th!r}")


def embed_items(
    embedder: Embedder,
    items: Sequence[tuple[Key, str, Any]],
    cache: EmbeddingCache | None = None,
    *,
    batch_size: int | str = "auto",
    num_workers: int | str = "auto",
    chunk_size: int = 256,
    progress: bool = True,
    on_chunk: OnChunk | None = None,
    torch_threads: int | str = "auto",
) -> EmbedResult:
    """Embed images, reusing and filling the cache.

    Parameters
    ----------
    embedder
        Any :class:`~workbench.models.base.Embedder`; it loads on first need (not at
        all when every item is cached).
    items
        ``(key, sha256, path)`` triples; keys unique, sha256 the file's content hash.
    cache
        The embedder's cache (``EmbeddingCache.for_embedder(embedder)``); ``None``
        computes everything and stores nothing.
    batch_size
        Images per forward pass, or ``"auto"``: the model's measured best on CPU
        (``embedder.cpu_batch_size``, 4 for the bundled model, 16 for CLIP), 64 on CUDA.
    num_workers
        Decode worker processes, or ``"auto"`` (see :func:`auto_num_workers`: none
        for small jobs or CPUs under 4 cores, 1 or 2 on larger CPUs, every core but
        one (up to 16) with a GPU).
    chunk_size
        New vectors per cache commit and per ``on_chunk`` call. A killed run loses
        at most the uncommitted chunk plus the batch in flight.
    progress
        Show a tqdm progress bar (images/s).
    on_chunk
        Called with ``{key: vector}`` as vectors become available: cached ones
        first, then each computed chunk right after it is committed to the cache.
        The union of all calls equals ``result.vectors``.
    torch_threads
        Intra-op threads for the model while this runs (restored afterwards);
        ``"auto"``: the cores the decode workers leave (see :func:`auto_torch_threads`).

    Returns
    -------
    EmbedResult

    Examples
    --------
    >>> emb, why = resolve_embedder("auto")
    >>> res = embed_items(emb, [(s.id, s.sha256, s.filepath) for s in samples],
    ...                   EmbeddingCache.for_embedder(emb))        # doctest: +SKIP
    >>> res.computed, res.cached, len(res.failed)                  # doctest: +SKIP
    (412, 0, 3)
    """
    t0 = time.perf_counter()
    settings = EmbedSettings(batch_size, num_workers, chunk_size, progress, torch_threads)
    if cache is not None and cache.model_name != embedder.name:
        raise ValueError(
            f"cache is for model {cache.model_name!r} but the embedder is {embedder.name!r}; "
            "use EmbeddingCache.for_embedder(embedder)"
        )
    _check_items(items)
    out = _Collector(cache, on_chunk)

    # 1. Cache lookup (batched), streamed to on_chunk in chunk_size pieces.
    hits = cache.get_many_with_norms(sha for _, sha, _ in items) if cache is not None else {}
    hit_keys = [key for key, sha, _ in items if sha in hits]
    for key, sha, _ in items:
        if sha in hits:
            out.vectors[key], out.norms[key] = hits[sha]
    if on_chunk is not None:
        for i in range(0, len(hit_keys), chunk_size):
            on_chunk({k: out.vectors[k] for k in hit_keys[i : i + chunk_size]})

    # 2. What is left: one job per distinct hash, all keys sharing it get the vector.
    for key, sha, path in items:
        if sha not in hits:
            out.keys_by_sha.setdefault(sha, []).append((key, path))
    unique = _compute(embedder, out, settings) if out.keys_by_sha else 0
    n_missing = sum(len(v) for v in out.keys_by_sha.values())
    return EmbedResult(
        vectors=out.vectors,
        norms=out.norms,
        computed=n_missing - len(out.failed),
        cached=len(hit_keys),
        unique_computed=unique,
        failed=out.failed,
        model=embedder.name,
        seconds=time.perf_counter() - t0,
    )


class _Collector:
    """Results of one run, plus the chunk not yet committed."""

    def __init__(self, cache: EmbeddingCache | None, on_chunk: OnChunk | None) -> None:
        self.cache = cache
        self.on_chunk = on_chunk
        self.keys_by_sha: dict[str, list[tuple[Key, Any]]] = {}
        self.vectors: dict[Key, np.ndarray] = {}
        self.norms: dict[Key, float] = {}
        self.failed: list[dict] = []
        self.pending_vec: dict[str, np.ndarray] = {}
        self.pending_norm: dict[str, float] = {}

    def add(self, sha: str, vec: np.ndarray, norm: float) -> None:
        self.pending_vec[sha], self.pending_norm[sha] = vec, norm

    def fail(self, sha: str, reason: str, detail: str) -> None:
        for key, path in self.keys_by_sha[sha]:
            self.failed.append({"key": key, "path": str(path), "reason": reason, "detail": detail})

    def flush(self, notify: bool = True) -> None:
        """Commit the pending chunk to the cache, then hand it to ``on_chunk``."""
        if not self.pending_vec:
            return
        if self.cache is not None:
            self.cache.put_many(self.pending_vec, self.pending_norm)
        chunk = {}
        for sha, vec in self.pending_vec.items():
            for key, _ in self.keys_by_sha[sha]:
                self.vectors[key], self.norms[key] = vec, self.pending_norm[sha]
                chunk[key] = vec
        self.pending_vec, self.pending_norm = {}, {}
        if notify and self.on_chunk is not None:
            self.on_chunk(chunk)


def _compute(embedder: Embedder, out: _Collector, settings: EmbedSettings) -> int:
    """Run the model over ``out.keys_by_sha``; returns the number of images computed."""
    import torch
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    job_shas = list(out.keys_by_sha)
    job_paths = [str(out.keys_by_sha[s][0][1]) for s in job_shas]
    embedder.load()
    device = embedder.device_ or "cpu"
    batch_size = settings.batch_size
    if batch_size == "auto":
        batch_size = embedder.batch_size_for(device)
    n_workers = settings.num_workers
    if n_workers == "auto":
        n_workers = auto_num_workers(len(job_shas), batch_size, device)
    threads = settings.torch_threads
    if threads == "auto":
        threads = auto_torch_threads(n_workers)

    loader = DataLoader(
        _DecodeDataset(job_paths, embedder.preprocess.pixels, embedder.draft_size),
        batch_size=batch_size,
        shuffle=False,
        num_workers=n_workers,
        collate_fn=_collate,
        worker_init_fn=_worker_init if n_workers else None,
        prefetch_factor=2 if n_workers else None,
        pin_memory=device.startswith("cuda"),
    )
    bar = tqdm(
        total=len(job_shas),
        unit="img",
        desc=f"embed {embedder.name}",
        disable=not settings.progress,
        smoothing=0.1,
    )
    old_threads = torch.get_num_threads()
    done, completed = 0, False
    try:
        torch.set_num_threads(threads)
        embedder.use_threads(threads)
        for idxs, batch, bad in loader:
            for i, (reason, detail) in bad:
                out.fail(job_shas[i], reason, detail)
            if batch is not None:
                unit, nrm = embedder.embed_pixels(batch)
                # Own copy: rows kept as views pin torch's buffer, and with it (heap
                # fragmentation) about 2 MB per batch: +2.2 GB RSS over 5,000 images.
                unit = np.array(unit)
                for row, i in enumerate(idxs):
                    out.add(job_shas[i], unit[row], float(nrm[row]))
                done += len(idxs)
            bar.update(len(idxs) + len(bad))
            if out.failed:
                bar.set_postfix(failed=len(out.failed), refresh=False)
            if len(out.pending_vec) >= settings.chunk_size:
                out.flush()
        out.flush()
        completed = True
    finally:
        if not completed:  # e.g. KeyboardInterrupt: keep what was computed
            try:
                out.flush(notify=False)
            except Exception as exc:  # noqa: BLE001 - never mask the original error
                warnings.warn(f"could not save the last partial chunk: {exc}", stacklevel=2)
        bar.close()
        torch.set_num_threads(old_threads)
    return done


def embed_paths(embedder: Embedder, paths: Sequence[str]
                ) -> tuple[list[np.ndarray | None], list[float | None], list[tuple | None]]:
    """Decode and embed one batch of files in this process, exactly as :func:`embed_items`
    does (same decode, same preprocessing, same forward): per path, its unit vector, its
    norm, and ``(reason, detail)`` where it could not be embedded (``None`` otherwise).

    For engines that hand out batches themselves (the Ray engine's actors).
    """
    embedder.load()
    decoded = _DecodeDataset(list(paths), embedder.preprocess.pixels, embedder.draft_size)
    idxs, batch, bad = _collate([decoded[i] for i in range(len(paths))])
    units: list = [None] * len(paths)
    norms: list = [None] * len(paths)
    errors: list = [None] * len(paths)
    for i, err in bad:
        errors[i] = err
    if batch is not None:
        unit, nrm = embedder.embed_pixels(batch)
        unit = np.array(unit)
        for row, i in enumerate(idxs):
            units[i], norms[i] = unit[row], float(nrm[row])
    return units, norms, errors
