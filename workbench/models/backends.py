"""Which runtime runs an embedder's image tower: torch or ONNX Runtime, and why.

* ``torch``: the network as loaded (CPU float32, or CUDA with fp16 autocast).
* ``onnx``: the image tower exported to ONNX and run by ONNX Runtime on the CPU, in
  float32 (:mod:`workbench.models.onnx_backend`); its vectors share torch's cache.
* ``onnx-int8``: the same graph with dynamic int8 quantisation; its own cache and field.
* ``auto``: torch on a CUDA GPU; on a CPU, ``onnx`` when onnxruntime is installed
  (``onnx-int8`` for a model listed in :data:`INT8_QUALIFIED`), else torch.

A failed export or check never stops the embedding: the choice falls back to torch
and the one-line reason says so.
"""

from __future__ import annotations

import numpy as np

from workbench.models.base import Embedder, resolve_device

BACKENDS = ("auto", "torch", "onnx", "onnx-int8")

#: Models whose int8 graph ``auto`` picks, each with the agreement it showed on the
#: real corpus (``benchmarks/embed.py``): cosine to fp32 >= 0.99 and a 10-nearest-neighbour
#: overlap >= 0.9. Empty: the bundled model runs faster in fp32 than in int8, and for
#: CLIP only random weights were at hand here (their agreement does not speak for
#: trained ones), so int8 stays opt-in (``backend="onnx-int8"``).
INT8_QUALIFIED: dict[str, str] = {}


def check_backend(backend: str) -> str:
    """Validate a ``backend`` parameter (no import of torch or onnxruntime)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}; got {backend!r}")
    return backend


def backend_of(embedder: Embedder) -> str:
    """``torch``, ``onnx`` or ``onnx-int8``: what runs ``embedder``."""
    return getattr(embedder, "backend", "torch")


def with_backend(embedder: Embedder, backend: str = "auto", *,
                 cache_dir: str | None = None) -> tuple[Embedder, str]:
    """The embedder to run for ``backend``, and a one-line reason.

    Parameters
    ----------
    embedder
        A torch embedder from :func:`workbench.models.choose.resolve_embedder`.
    backend
        ``auto``, ``torch``, ``onnx`` or ``onnx-int8``.
    cache_dir
        The embedding cache folder (graphs go in its ``onnx/`` folder); default
        ``$WORKBENCH_CACHE_DIR`` or ``~/.cache/palette-workbench/embeddings``.

    Returns
    -------
    (embedder, reason)
        ``embedder`` itself for torch (asked for, or the fallback), else an
        :class:`~workbench.models.onnx_backend.OnnxEmbedder`. The first use of a graph
        exports and checks it (seconds); later runs open the cached file.

    Examples
    --------
    >>> emb, why = with_backend(EfficientNetLite0(device="cpu"), "auto")  # doctest: +SKIP
    >>> why                                                               # doctest: +SKIP
    'backend onnx: ONNX Runtime fp32 on the CPU (cosine to torch 1.00000 on 8 probe images)'
    """
    from workbench.models import onnx_backend as ob
    from workbench.models.onnx_graph import onnxruntime_available

    check_backend(backend)
    if backend == "torch":
        return embedder, "backend torch: requested"
    on_cuda = resolve_device(embedder.device).startswith("cuda")
    ok, why = onnxruntime_available()
    if backend == "auto":
        if on_cuda:
            return embedder, "backend torch: auto keeps torch on a CUDA GPU"
        if not ok:
            return embedder, f"backend torch: {why}"
        backend = "onnx-int8" if embedder.name in INT8_QUALIFIED else "onnx"
    elif not ok:
        return embedder, f"backend torch (fallback from {backend}): {why}"
    quantized = backend == "onnx-int8"
    try:
        onnx = ob.build(embedder, quantized=quantized, cache_dir=cache_dir)
    except ob.OnnxCheckError as exc:
        return embedder, f"backend torch (fallback from {backend}): {exc}"
    except Exception as exc:  # noqa: BLE001 - any export failure falls back, with its reason
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        return embedder, (f"backend torch (fallback from {backend}): the ONNX export failed "
                          f"({type(exc).__name__}: {detail})")
    rec = onnx.record
    where = " (the CUDA GPU is not used)" if on_cuda else ""
    precision = "int8 (dynamic)" if quantized else "fp32"
    qualified = f"; {INT8_QUALIFIED[embedder.name]}" if embedder.name in INT8_QUALIFIED else ""
    return onnx, (f"backend {backend}: ONNX Runtime {precision} on the CPU{where} (cosine to "
                  f"torch {rec['cosine_min']:.5f} on {rec['probe_images']} probe images"
                  f"{qualified})")


def agreement(reference: np.ndarray, other: np.ndarray, k: int = 10) -> dict:
    """How far ``other`` embeddings agree with ``reference`` ones for the same images.

    Returns ``cosine_mean`` and ``cosine_min`` (row by row) and ``knn_overlap``: for
    each image, the share of its ``k`` nearest neighbours (cosine, itself excluded)
    that both sets agree on, averaged over images. int8 becomes a model's ``auto``
    choice only at cosine >= 0.99 and overlap >= 0.9 on a real collection.
    """
    a = np.asarray(reference, np.float32)
    b = np.asarray(other, np.float32)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"reference and other must be (N, D) arrays of one shape; "
                         f"got {a.shape} and {b.shape}")
    if not 1 <= k < len(a):
        raise ValueError(f"k must be between 1 and N - 1 = {len(a) - 1}; got {k!r}")

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    a, b = unit(a), unit(b)
    cos = (a * b).sum(axis=1)

    def neighbours(x: np.ndarray) -> np.ndarray:
        sims = x @ x.T
        np.fill_diagonal(sims, -np.inf)
        return np.argpartition(-sims, k, axis=1)[:, :k]

    na, nb = neighbours(a), neighbours(b)
    overlap = [len(np.intersect1d(ra, rb)) / k for ra, rb in zip(na, nb)]
    return {"cosine_mean": float(cos.mean()), "cosine_min": float(cos.min()),
            "knn_overlap": float(np.mean(overlap)), "k": k, "n": len(a)}
