"""Embedding a FiftyOne collection: one vector field per model, cached and resumable.

The loop itself (cache, parallel decode, batching) is :func:`workbench.models.runner.embed_items`;
this module only moves ids, hashes, paths and vectors between it and FiftyOne.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import NotEmbeddedError
from . import state
from .fo import fiftyone, usable


@dataclass(frozen=True)
class EmbedConfig:
    """How to embed. ``model`` is ``auto``, ``clip``, ``bundled`` or ``NAME:PRETRAINED``."""

    model: str = "auto"
    device: str = "auto"
    batch_size: int | str = "auto"
    num_workers: int | str = "auto"
    chunk_size: int = 256
    progress: bool = True
    cache_dir: str | None = None
    #: ``local`` (this process and its decode workers) or ``ray`` (a Ray Data actor pool,
    #: see :mod:`workbench.glue.ray_engine`); both give the same vectors.
    engine: str = "local"
    #: Ray actors (one model each); ``None``: one per CPU Ray has.
    engine_workers: int | None = None
    #: What runs the image tower: ``auto`` (torch on a CUDA GPU; on a CPU, ONNX Runtime
    #: when it is installed), ``torch``, ``onnx`` (fp32, shares torch's cached vectors)
    #: or ``onnx-int8`` (its own cache and field); see :mod:`workbench.models.backends`.
    backend: str = "auto"

    def __post_init__(self) -> None:
        from ..models.backends import check_backend
        from .ray_engine import check_engine

        check_engine(self.engine)
        check_backend(self.backend)


@dataclass
class EmbedReport:
    """What :func:`embed` did; ``to_dict()`` is the CLI's ``--json`` output."""

    dataset: str
    model: str
    field: str
    reason: str
    dim: int
    computed: int
    cached: int
    failed: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    #: ``torch``, ``onnx`` or ``onnx-int8``: what ran the image tower.
    backend: str = "torch"

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        rate = self.computed / self.seconds if self.seconds else 0.0
        lines = [f"embedded {self.dataset!r} with {self.model} into field {self.field!r}: "
                 f"computed {self.computed}, cached {self.cached}, failed {len(self.failed)} "
                 f"in {self.seconds:.1f}s ({rate:.1f} computed images/s)"]
        lines += [f"  failed {f['path']}: {f['reason']}" for f in self.failed]
        return "\n".join(lines)


def embed(collection, model: str | None = None, *, config: EmbedConfig = EmbedConfig()) -> EmbedReport:
    """Compute (or reuse) embeddings for every usable sample of a dataset or view.

    Vectors are stored in a field named after the model (e.g.
    ``emb_efficientnet_lite0_imagenet``), so several models can coexist. They are cached
    on disk by (model, content sha256): renamed, moved or re-loaded files are not
    recomputed, and a killed run resumes where it stopped.

    Parameters
    ----------
    collection
        A FiftyOne dataset or view, loaded with :func:`workbench.load`.
    model
        Overrides ``config.model``.

    Examples
    --------
    >>> report = wb.embed(ds)  # doctest: +SKIP
    using bundled EfficientNet-Lite0: CLIP weights are not cached and ...
    >>> report.computed, report.cached  # doctest: +SKIP
    (300, 0)
    """
    from ..models.backends import backend_of, with_backend
    from ..models.cache import EmbeddingCache
    from ..models.choose import resolve_embedder
    from ..models.pool import shared
    from ..models.runner import embed_items

    t0 = time.perf_counter()
    fo = fiftyone()
    embedder, reason = resolve_embedder(model or config.model, config.device)
    embedder = shared(embedder)  # a network loaded earlier in this process is reused
    torch_embedder = embedder
    # ONNX graphs live in the workbench cache ($WORKBENCH_CACHE_DIR/onnx), whatever
    # embedding cache this call uses: they depend on the weights, not on the vectors.
    embedder, how = with_backend(embedder, config.backend)
    reason = f"{reason}; {how}"
    print(reason, file=sys.stderr, flush=True)
    view = usable(collection)
    ds = state.dataset_of(view)
    fname = embedder.field_name
    norm_field = f"{fname}_norm"
    schema = ds.get_field_schema()
    if fname not in schema:
        ds.add_sample_field(fname, fo.VectorField)
    if norm_field not in schema:
        ds.add_sample_field(norm_field, fo.FloatField)

    ids, shas, paths = view.values(["id", "sha256", "filepath"])
    items = [(i, s, p) for i, s, p in zip(ids, shas, paths) if s]
    # Vectors already stored are current: the loader clears them when content changes.
    stored = set(view.exists(fname).values("id"))

    def store(chunk: dict) -> None:
        # Persist each chunk as soon as it exists: a crash loses at most one chunk.
        keys = [k for k in chunk if k not in stored]
        if not keys:
            return
        sel = ds.select(keys, ordered=True)
        sel.set_values(fname, [np.asarray(chunk[k]) for k in keys])

    cache = EmbeddingCache.for_embedder(embedder, cache_dir=config.cache_dir)
    on_ray = 0
    if config.engine == "ray":  # fills the cache; the loop below then reads it back
        from .ray_engine import fill_cache_ray

        on_ray = fill_cache_ray(embedder, items, cache, workers=config.engine_workers,
                                progress=config.progress)
    result = embed_items(embedder, items, cache, batch_size=config.batch_size,
                         num_workers=config.num_workers, chunk_size=config.chunk_size,
                         progress=config.progress, on_chunk=store)
    if any(k not in stored for k in result.norms):
        keys = [k for k in result.norms if k not in stored]
        ds.select(keys, ordered=True).set_values(
            norm_field, [float(result.norms[k]) for k in keys])

    state.record_embedding(ds, state.EmbeddingRun(
        field=fname, model=embedder.name, spec=embedder_spec(torch_embedder), dim=embedder.dim,
        has_text=embedder.has_text, reason=reason,
        updated=time.strftime("%Y-%m-%dT%H:%M:%S")))
    return EmbedReport(dataset=ds.name, model=embedder.name, field=fname, reason=reason,
                       dim=embedder.dim, computed=result.computed + on_ray,
                       cached=result.cached - on_ray,
                       failed=[{"id": f["key"], "path": f["path"], "reason": f["reason"],
                                "detail": f.get("detail", "")} for f in result.failed],
                       seconds=round(time.perf_counter() - t0, 3), backend=backend_of(embedder))


def embedder_spec(embedder) -> str:
    """The ``--model`` spec that rebuilds this embedder (for text encoding later)."""
    pretrained = getattr(embedder, "pretrained", None)
    if hasattr(embedder, "model_name") and pretrained is not None:
        return f"{embedder.model_name}:{pretrained}"
    return "bundled"


def embedder_for_field(collection, fname: str):
    """The embedder that produced ``fname`` (the process's loaded one when there is one)."""
    from ..models.choose import build_embedder
    from ..models.pool import shared

    run = state.embedding_runs(collection).get(fname)
    return shared(build_embedder(run.spec if run is not None else "bundled"))


def embedding_field(collection, model: str | None = None) -> str:
    """The embedding field to use: the named model's, else the most recent one.

    Raises
    ------
    NotEmbeddedError
        When nothing was embedded yet, with the command that fixes it.
    """
    name = state.dataset_of(collection).name
    runs = state.embedding_runs(collection)
    if not runs:
        raise NotEmbeddedError(
            f"dataset {name!r} has no embeddings yet; embed it first with "
            f"`workbench embed {name}` (or wb.embed(dataset) in Python)")
    if model is None:
        return state.last_embedding_field(collection)
    for fname, run in runs.items():
        if model in (fname, run.model):
            return fname
    raise NotEmbeddedError(
        f"dataset {name!r} has no embeddings for model {model!r}; available: "
        f"{sorted(r.model for r in runs.values())}. Run `workbench embed {name} --model ...`")


def get_embeddings(collection, model: str | None = None) -> tuple[list[str], np.ndarray, str]:
    """``(ids, X, field)`` for the usable samples that have vectors (X is float32, N x D)."""
    fname = embedding_field(collection, model)
    view = usable(collection).exists(fname)
    ids, vecs = view.values(["id", fname])
    if not ids:
        raise NotEmbeddedError(
            f"no sample in this collection has {fname!r}; run `workbench embed` first")
    return ids, np.stack([np.asarray(v, dtype=np.float32) for v in vecs]), fname
