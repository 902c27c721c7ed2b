"""ONNX graphs of image towers: their cache key, export, int8 quantisation, check, sessions.

The policy that uses them (when a graph is exported, what the check must reach, the
fallback to torch) is :mod:`workbench.models.onnx_backend`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import threading
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.models.base import Embedder

if TYPE_CHECKING:  # pragma: no cover
    import torch

#: ONNX opset of the exported graphs.
OPSET = 17
#: Bumped whenever the export (wrapper, names, axes, quantisation settings) changes.
GRAPH_VERSION = "1"
INSTALL = "pip install onnx onnxruntime"
INPUT, OUTPUT = "pixels", "features"
_PROBE_IMAGES = 8


def onnxruntime_available() -> tuple[bool, str]:
    """Whether onnx and onnxruntime import, and if not, why (with the install command)."""
    for module in ("onnxruntime", "onnx"):
        try:
            __import__(module)
        except ImportError as exc:
            return False, f"{module} is not installed ({INSTALL}): {exc}"
    return True, "onnxruntime is installed"


def graph_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Where graphs are kept: ``<cache_dir or the embedding cache folder>/onnx``."""
    from workbench.models.cache import default_cache_dir

    return Path(cache_dir if cache_dir is not None else default_cache_dir()) / "onnx"


# -- identity -----------------------------------------------------------------------
_digests: dict[tuple[str, int, int], str] = {}


def _file_digest(path: str) -> str:
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _digests:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _digests[key] = h.hexdigest()
    return _digests[key]


def weights_digest(embedder: Embedder) -> str:
    """A digest of the weights ``embedder`` runs with, without loading its network when possible.

    The bundled model: its checkpoint file. CLIP: its checkpoint file, or for random
    weights the seed and the versions that draw them. Anything else: its state dict.
    """
    from workbench.models.bundled import EfficientNetLite0, weights_path

    if isinstance(embedder, EfficientNetLite0):
        return _file_digest(weights_path())
    checkpoint = getattr(embedder, "checkpoint_path", None)
    if callable(checkpoint):
        path = checkpoint()
        if path is None:
            import open_clip
            import torch

            return (f"random-seed{getattr(embedder, 'seed', 0)}-torch{torch.__version__}"
                    f"-open_clip{open_clip.__version__}")
        return _file_digest(path)
    h = hashlib.sha256()
    for key, tensor in embedder.load().model_.state_dict().items():
        h.update(key.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def graph_key(embedder: Embedder, quantized: bool) -> dict:
    """Everything an exported graph depends on."""
    import onnxruntime
    import torch

    return {"model": embedder.name, "weights": weights_digest(embedder), "opset": OPSET,
            "onnxruntime": onnxruntime.__version__, "torch": torch.__version__,
            "graph_version": GRAPH_VERSION, "precision": "int8-dynamic" if quantized else "fp32"}


def graph_path(embedder: Embedder, quantized: bool, cache_dir=None) -> tuple[Path, dict]:
    """The cache file of ``embedder``'s graph and the key it was derived from."""
    key = graph_key(embedder, quantized)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9]+", "_", embedder.name).strip("_")[:60]
    return graph_dir(cache_dir) / f"{slug}-{key['precision']}-{digest}.onnx", key


# -- export, quantisation, check ------------------------------------------------------
def atomic_target(path: Path) -> Path:
    """A temporary name beside ``path``, to write to and then ``os.replace`` onto it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


@contextlib.contextmanager
def _quiet():
    """Keep the exporter's and quantiser's warnings and printouts off the user's screen."""
    before = logging.root.manager.disable
    logging.disable(logging.WARNING)  # the quantiser logs notes on the root logger
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(before)


def export_graph(embedder: Embedder, path: Path) -> Path:
    """Export ``embedder``'s image tower (loaded on the CPU) to ``path``, atomically."""
    import torch

    net = embedder.load().model_

    class Tower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net  # registered, so its weights go into the graph

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return embedder._forward_images(x)

    size = probe_batch(embedder, 2)
    tmp = atomic_target(path)
    tower = Tower().eval()
    try:
        # Gradients stay enabled: under no_grad, nn.MultiheadAttention (CLIP's ViT) takes
        # a fused fast path that has no ONNX export.
        with torch.inference_mode(False), torch.enable_grad(), _quiet():
            torch.onnx.export(tower, (size,), str(tmp), input_names=[INPUT],
                              output_names=[OUTPUT], opset_version=OPSET, dynamo=False,
                              dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}})
        os.replace(tmp, path)
    finally:
        net.eval()  # the exporter restores the wrapper's mode onto the network
        tmp.unlink(missing_ok=True)
    return path


def quantize_graph(fp32: Path, path: Path) -> Path:
    """Dynamic int8 quantisation of an fp32 graph (weights int8, activations at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = atomic_target(path)
    try:
        with _quiet():
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def probe_batch(embedder: Embedder, n: int = _PROBE_IMAGES) -> torch.Tensor:
    """``n`` seeded synthetic images (smooth fields, edges, a flat one), preprocessed."""
    import torch
    from PIL import Image

    rng = np.random.default_rng(20240601)
    images = []
    for i in range(n):
        coarse = rng.uniform(0, 255, (4 + i, 4 + i, 3)).astype(np.uint8)
        img = Image.fromarray(coarse).resize((288, 256), Image.Resampling.BICUBIC)
        arr = np.array(img)
        arr[rng.integers(0, 256), :] = 255 * (i % 2)  # a hard edge
        if i == n - 1:
            arr[:] = 200  # a flat image
        images.append(embedder.preprocess.pixels(Image.fromarray(arr)))
    return embedder.preprocess.normalize(torch.stack(images))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two ``(N, D)`` arrays."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return (a * b).sum(axis=1) / np.maximum(den, 1e-12)


def torch_features(embedder: Embedder, batch: torch.Tensor) -> np.ndarray:
    """Raw image features from the torch network (the reference of the check)."""
    import torch

    embedder.load()
    with torch.inference_mode():
        return embedder._forward_images(batch.to(embedder.device_)).float().cpu().numpy()


def check_graph(path: Path, embedder: Embedder, min_cosine: float) -> dict:
    """Run the graph beside torch on the probe batch; the record of the check."""
    x = probe_batch(embedder)
    ref = torch_features(embedder, x)
    got = session(str(path), None).run(None, {INPUT: x.contiguous().numpy()})[0]
    cos = cosines(ref, got)
    return {"cosine_min": float(cos.min()), "cosine_mean": float(cos.mean()),
            "probe_images": len(x), "threshold": min_cosine,
            "passed": bool(cos.min() >= min_cosine)}


# -- running ------------------------------------------------------------------------
_sessions: OrderedDict[tuple[str, int | None], Any] = OrderedDict()
_sessions_lock = threading.Lock()
_MAX_SESSIONS = 4


def session(path: str, threads: int | None) -> Any:
    """An ONNX Runtime CPU session for ``path`` with ``threads`` intra-op threads (shared).

    Spinning is off: on a small CPU the decoding between batches runs on the same
    cores, and threads that spin-wait after a batch take them from it.
    """
    import onnxruntime as ort

    key = (path, threads)
    with _sessions_lock:
        if key in _sessions:
            _sessions.move_to_end(key)
            return _sessions[key]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(threads or 0)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    with _sessions_lock:
        _sessions[key] = sess
        while len(_sessions) > _MAX_SESSIONS:
            _sessions.popitem(last=False)
    return sess
