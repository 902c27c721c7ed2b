"""Image towers on ONNX Runtime: export once, check against torch, run on the CPU.

A model's image tower (the network behind ``Embedder._forward_images``) is exported
with ``torch.onnx.export`` (opset :data:`OPSET`, a dynamic batch axis) the first time
it is asked for, and kept in the workbench cache, under ``<embedding cache>/onnx/``.
The file's key covers the model name, a digest of its weights, the opset, the
onnxruntime and torch versions and :data:`GRAPH_VERSION` (the export code), so a
change in any of them exports again instead of reusing a stale graph.

Before a graph is first used it runs on a probe batch (:func:`probe_batch`) beside
torch; the smallest cosine between the two is kept in a record next to the graph
(``.json``). fp32 graphs must reach :data:`FP32_MIN_COSINE`, int8 graphs (dynamic
quantisation, ``onnxruntime.quantization.quantize_dynamic``)
:data:`INT8_MIN_COSINE`. A graph that fails its check is never used: the caller
(:func:`workbench.models.backends.with_backend`) falls back to torch and says why.

**Cache entries.** fp32 ONNX vectors share the torch model's embedding cache and
field: the check holds them to cosine >= 0.999 against torch (0.9999999 measured
for the bundled model, 0.99999994 for ViT-B-32), closer than two torch builds
agree with each other. int8 vectors do not: their embedder is named
``<model>:onnx-int8`` and gets its own cache file and its own field.

Only the image tower runs here; text queries of a CLIP model go to its torch
text tower (``encode_texts``), whose vectors live in the same space.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.models import onnx_graph as og
from workbench.models.base import Embedder, resolve_device

if TYPE_CHECKING:  # pragma: no cover
    import torch

#: Smallest cosine to torch on the probe batch for an fp32 graph to be used.
FP32_MIN_COSINE = 0.999
#: Smallest cosine to torch on the probe batch for an int8 graph to be used (a guard
#: against a broken quantisation; whether int8 is good enough for a collection is
#: measured on real images, see :data:`workbench.models.backends.INT8_QUALIFIED`).
INT8_MIN_COSINE = 0.99
#: Suffix of the name (and so of the cache file and field) of int8 embedders.
INT8_SUFFIX = ":onnx-int8"
#: Images per run on a CPU, by model (``benchmarks/embed.py``'s sweep); others: the torch
#: model's own batch in fp32, 8 in int8.
CPU_BATCH = {"efficientnet-lite0-imagenet": 4}


class OnnxCheckError(RuntimeError):
    """An exported graph disagrees with torch on the probe batch; the message gives the figures."""


def _cpu_twin(embedder: Embedder) -> Embedder:
    """``embedder`` if it runs on the CPU, else an unloaded copy that will."""
    if (embedder.device_ or resolve_device(embedder.device)) == "cpu":
        return embedder
    import pickle

    twin = pickle.loads(pickle.dumps(embedder))
    twin.device = "cpu"
    return twin


def build(embedder: Embedder, quantized: bool = False, cache_dir=None) -> OnnxEmbedder:
    """The ONNX Runtime embedder for ``embedder``: cached graph, exported and checked if new.

    Raises
    ------
    OnnxCheckError
        The graph (now or in an earlier run, as recorded) disagrees with torch.
    Exception
        Whatever the export or the quantisation raised.
    """
    path, key = og.graph_path(embedder, quantized, cache_dir)
    record_path = path.with_suffix(".json")
    record = None
    if path.is_file() and record_path.is_file():
        try:
            record = json.loads(record_path.read_text("utf-8"))
        except (OSError, ValueError):
            record = None
    if record is None or record.get("key") != key:
        path.parent.mkdir(parents=True, exist_ok=True)
        cpu = _cpu_twin(embedder)
        if quantized:
            fp32, _ = og.graph_path(embedder, False, cache_dir)
            if not fp32.is_file():
                og.export_graph(cpu, fp32)
            og.quantize_graph(fp32, path)
        else:
            og.export_graph(cpu, path)
        record = {"key": key, **og.check_graph(path, cpu, INT8_MIN_COSINE if quantized
                                            else FP32_MIN_COSINE)}
        tmp = og.atomic_target(record_path)
        tmp.write_text(json.dumps(record, indent=1), "utf-8")
        os.replace(tmp, record_path)
    if not record["passed"]:
        raise OnnxCheckError(
            f"the {key['precision']} ONNX graph disagrees with torch: cosine "
            f"{record['cosine_min']:.5f} < {record['threshold']} on {record['probe_images']} "
            f"probe images (record: {record_path})")
    return OnnxEmbedder(embedder, str(path), quantized=quantized, record=record)


def _unit(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors and norms, as :func:`workbench.models.base.l2_normalize` gives them."""
    feats = np.asarray(features, dtype=np.float32)
    norms = np.linalg.norm(feats, axis=1)
    unit = feats / np.maximum(norms, 1e-12)[:, None]
    return unit.astype(np.float32, copy=False), norms.astype(np.float32)


class OnnxEmbedder(Embedder):
    """A checked ONNX graph of another embedder's image tower, run by ONNX Runtime on the CPU.

    Built by :func:`build` (through :func:`workbench.models.backends.with_backend`).
    Decoding and preprocessing are the wrapped embedder's; text goes to its torch model.

    Attributes
    ----------
    inner
        The torch embedder the graph was exported from.
    quantized
        Whether the graph is the int8 (dynamic) one.
    record
        The check's figures (``cosine_min``, ``cosine_mean``, ``probe_images``, ...).
    """

    def __init__(self, inner: Embedder, graph: str, *, quantized: bool, record: dict) -> None:
        super().__init__(device="cpu")
        self.inner = inner
        self.graph = graph
        self.quantized = quantized
        self.record = record
        self.dim = inner.dim
        self.has_text = inner.has_text
        self.cpu_batch_size = CPU_BATCH.get(inner.name, 8 if quantized else inner.cpu_batch_size)
        self.threads: int | None = None

    @property
    def name(self) -> str:
        return self.inner.name + (INT8_SUFFIX if self.quantized else "")

    @property
    def backend(self) -> str:
        return "onnx-int8" if self.quantized else "onnx"

    @property
    def label(self) -> str:
        return f"{getattr(self.inner, 'label', self.inner.name)} on ONNX Runtime ({self.backend})"

    @property
    def preprocess(self):
        return self.inner.preprocess

    def batch_size_for(self, device: str) -> int:
        return self.cpu_batch_size

    def use_threads(self, threads: int) -> None:
        if threads != self.threads:
            self.threads = int(threads)
            self.model_ = None  # the next batch opens a session with that many threads

    def _load(self, device: str) -> Any:
        import torch

        # Unless told (use_threads), as many threads as torch would use here: that
        # follows OMP_NUM_THREADS, which a Ray actor of one CPU sets to 1.
        return og.session(self.graph, self.threads or torch.get_num_threads())

    def load(self) -> OnnxEmbedder:
        if self.model_ is None:
            self.model_, self.device_ = self._load("cpu"), "cpu"
        return self

    def _forward_images(self, batch: torch.Tensor) -> torch.Tensor:
        import torch

        x = batch.detach().float().cpu().contiguous().numpy()
        return torch.from_numpy(self.load().model_.run(None, {og.INPUT: x})[0])

    def embed_batch(self, batch: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        if batch.ndim != 4:
            raise ValueError(f"batch must be a (N, 3, H, W) tensor; got shape {tuple(batch.shape)}")
        if len(batch) == 0:
            return np.zeros((0, self.dim), np.float32), np.zeros((0,), np.float32)
        x = batch.detach().float().cpu().contiguous().numpy()
        return _unit(self.load().model_.run(None, {og.INPUT: x})[0])

    def embed_pixels(self, pixels: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        # Normalised in numpy, single-threaded: the same arithmetic as
        # Preprocess.normalize, without torch's thread pool, whose barriers stall when
        # other programs hold the cores (a few images' worth of work each time).
        pp = self.preprocess
        x = np.asarray(pixels.cpu().numpy() if hasattr(pixels, "numpy") else pixels)
        if x.dtype != np.uint8 or x.ndim != 4 or x.shape[-1] != 3:
            raise ValueError(f"pixels must be a uint8 (N, H, W, 3) array; got {x.dtype} "
                             f"with shape {x.shape}")
        if len(x) == 0:
            return np.zeros((0, self.dim), np.float32), np.zeros((0,), np.float32)
        mean = np.asarray(pp.mean, np.float32) * 255.0
        std = np.asarray(pp.std, np.float32) * 255.0
        chw = np.ascontiguousarray(((x.astype(np.float32) - mean) / std).transpose(0, 3, 1, 2))
        return _unit(self.load().model_.run(None, {og.INPUT: chw})[0])

    def encode_texts(self, texts):
        return self.inner.encode_texts(texts)
