"""The Ray engine: the per-image heavy work (inspection, embedding) as Ray Data pipelines.

``engine="ray"`` (``LoadConfig(engine=...)``, ``EmbedConfig(engine=...)``, ``--engine ray``)
runs the same per-file code as the local engine, only spread over Ray workers:

* inspection (hashes, the small decode, perceptual hash, colour signature, quality
  scores, rights signals) is ``map_batches`` over a dataset of paths, each batch calling
  :func:`workbench.core.intake.inspect.inspect_file`;
* embedding is ``map_batches`` on an actor pool: each actor loads the model once and
  calls the model's own decode and forward (:func:`workbench.models.runner.embed_paths`).

Results stream back in input order and are written to FiftyOne by the caller in bulk,
committed as they come, so a killed run resumes exactly as the local engine's does.
Ray joins the cluster at ``RAY_ADDRESS`` when that is set, else starts a local Ray for
the run (and stops it after). Ray is an optional extra: ``pip install
'palette-workbench[scale]'``.

A worker that dies is retried by Ray; a file that kills every worker it meets fails the
step with Ray's error, where the local engine would name the file (``worker_crashed``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
from collections.abc import Iterable, Iterator
from typing import Any

#: The engines a step can run on.
ENGINES = ("local", "ray")
#: Files per inspection task and images per embedding call.
_INSPECT_BATCH = 64


def check_engine(engine: str) -> str:
    """``engine`` if it is one of :data:`ENGINES`, else a clear error."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}; got {engine!r}")
    return engine


def require_ray():
    """The ``ray`` module, or an error that says how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ImportError("engine='ray' needs Ray Data, an optional extra: "
                          "pip install 'palette-workbench[scale]' (or pip install 'ray[data]')"
                          ) from exc
    return ray


@contextlib.contextmanager
def ray_session(num_cpus: int | None = None) -> Iterator[Any]:
    """Ray for one step: the running one, the cluster at ``RAY_ADDRESS``, or a local one
    started here (with ``num_cpus``) and stopped when the step ends."""
    ray = require_ray()
    started = False
    if not ray.is_initialized():
        quiet = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=num_cpus, **quiet)
        started = True
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # results in input order, as locally
    context.enable_progress_bars = False  # the caller shows its own bar
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def _inspect_batch(batch: dict, max_pixels: int | None) -> dict:
    from ..core.intake.inspect import inspect_file

    # FileInfo holds nested lists and dicts: carried as pickled bytes, not Arrow columns.
    return {"info": [pickle.dumps(inspect_file(str(p), str(s) or None, max_pixels))
                     for p, s in zip(batch["path"], batch["sha256"])]}


def inspect_files_ray(jobs: Iterable[tuple[str, str | None]], *, max_pixels: int | None,
                      workers: int | None = None) -> Iterator:
    """:func:`workbench.core.intake.inspect.inspect_files` on Ray: the same
    :class:`~workbench.core.intake.inspect.FileInfo` per file, in input order."""
    rows = [{"path": p, "sha256": s or ""} for p, s in jobs]
    if not rows:
        return
    with ray_session(workers) as ray:
        data = ray.data.from_items(rows).map_batches(
            _inspect_batch, fn_kwargs={"max_pixels": max_pixels}, batch_size=_INSPECT_BATCH,
            batch_format="numpy")
        for row in data.iter_rows():
            yield pickle.loads(row["info"])


class _EmbedActor:
    """One model per actor, loaded once; each call decodes and embeds a batch of files."""

    def __init__(self, embedder_bytes: bytes) -> None:
        self.embedder = pickle.loads(embedder_bytes)
        self.embedder.load()

    def __call__(self, batch: dict) -> dict:
        from ..models.runner import embed_paths

        paths = [str(p) for p in batch["path"]]
        units, norms, errors = embed_paths(self.embedder, paths)
        return {"sha256": batch["sha256"],
                "result": [pickle.dumps((u, n, e)) for u, n, e in zip(units, norms, errors)]}


def embed_missing_ray(embedder, jobs: list[tuple[str, str]], *, workers: int | None = None,
                      batch_size: int | None = None) -> Iterator[tuple[str, Any, float, Any]]:
    """Embed ``(sha256, path)`` jobs on a Ray actor pool (``workers`` actors, one model
    each); yields ``(sha256, unit_vector, norm, error)`` in input order, ``error`` being
    ``(reason, detail)`` for a file that could not be embedded, else ``None``."""
    if not jobs:
        return
    with ray_session(workers) as ray:
        size = workers or max(1, int(ray.available_resources().get("CPU", 1)))
        # Each actor runs the model on one core: the pool, not torch, spreads the work.
        payload = pickle.dumps(embedder)
        data = ray.data.from_items([{"sha256": s, "path": p} for s, p in jobs]).map_batches(
            _EmbedActor, fn_constructor_args=(payload,),
            compute=ray.data.ActorPoolStrategy(size=size),
            batch_size=batch_size or embedder.batch_size_for("cpu"), batch_format="numpy",
            num_cpus=1)
        for row in data.iter_rows():
            unit, norm, error = pickle.loads(row["result"])
            yield str(row["sha256"]), unit, norm, error


def fill_cache_ray(embedder, items: list[tuple[Any, str, Any]], cache, *,
                   workers: int | None = None, progress: bool = True,
                   chunk_size: int = 256) -> int:
    """Embed on Ray every item whose content is not in ``cache`` yet, committing to the
    cache every ``chunk_size`` vectors (a killed run keeps what was committed). Returns
    how many items (keys) it embedded; files that fail are left to the local loop, which
    reports them with their reasons."""
    from tqdm.auto import tqdm

    paths: dict[str, str] = {}
    keys_per_sha: dict[str, int] = {}
    for _, sha, path in items:
        paths.setdefault(sha, str(path))
        keys_per_sha[sha] = keys_per_sha.get(sha, 0) + 1
    jobs = [(sha, p) for sha, p in paths.items() if sha not in cache]
    vectors: dict[str, Any] = {}
    norms: dict[str, float] = {}
    done = 0
    bar = tqdm(total=len(jobs), unit="img", desc=f"embed {embedder.name} (ray)",
               disable=not progress)
    try:
        for sha, unit, norm, error in embed_missing_ray(embedder, jobs, workers=workers):
            bar.update(1)
            if error is not None:
                continue
            vectors[sha], norms[sha] = unit, norm
            done += keys_per_sha[sha]
            if len(vectors) >= chunk_size:
                cache.put_many(vectors, norms)
                vectors, norms = {}, {}
    finally:
        if vectors:
            cache.put_many(vectors, norms)
        bar.close()
    return done
