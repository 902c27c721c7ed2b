"""The embedder interface shared by every image model.

An embedder turns decoded RGB images into L2-normalised float32 vectors. It is
cheap to construct (parameters only), loads its network lazily on first use into
``model_``, and can be pickled at any time (the network is dropped and reloaded
on the other side), so DataLoader workers and Ray actors can receive it.

This is the only layer that imports torch; it does so inside functions.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from PIL import Image

#: Valid values for the ``device`` parameter of every embedder.
DEVICES = ("auto", "cpu", "cuda")


class ModelUnavailableError(ValueError):
    """Model weights cannot be found locally or fetched; the message says how to supply them."""


def field_name_for(name: str) -> str:
    """A FiftyOne-safe sample field name for an embedder name.

    Examples
    --------
    >>> field_name_for("open_clip:ViT-B-32:laion2b_s34b_b79k")
    'emb_clip_vit_b_32_laion2b_s34b_b79k'
    >>> field_name_for("efficientnet-lite0-imagenet")
    'emb_efficientnet_lite0_imagenet'
    """
    base = name.lower()
    if base.startswith("open_clip:"):
        base = "clip:" + base[len("open_clip:") :]
    slug = re.sub(r"[^a-z0-9]+", "_", base).strip("_")
    return f"emb_{slug}"


def check_device(device: str) -> str:
    """Validate a ``device`` parameter without importing torch."""
    if device not in DEVICES and not re.fullmatch(r"cuda:\d+", str(device)):
        raise ValueError(f"device must be one of {list(DEVICES)} or 'cuda:N'; got {device!r}")
    return device


def resolve_device(device: str) -> str:
    """Map ``"auto"`` to ``"cuda"`` when a GPU is usable, else ``"cpu"``; validate the rest."""
    import torch

    if check_device(device) == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but no CUDA GPU is available; use 'auto' or 'cpu'"
        )
    return device


def l2_normalize(features: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (float32) and the norms they had, as numpy arrays.

    Zero vectors stay zero (norm 0) instead of becoming NaN.
    """
    feats = features.detach().float().cpu()
    norms = feats.norm(dim=-1, keepdim=True)
    unit = feats / norms.clamp_min(1e-12)
    return unit.numpy().astype(np.float32, copy=False), norms[:, 0].numpy().astype(np.float32)


class Preprocess(ABC):
    """Image to model input, in two steps.

    * :meth:`pixels`: resize and crop one decoded image to ``uint8 (H, W, 3)``. This
      runs where images are decoded (a DataLoader worker, or between batches).
    * :meth:`normalize`: scale and normalise a ``uint8 (N, H, W, 3)`` batch to float
      ``(N, 3, H, W)`` on the batch's device, in channels-last memory order.

    Splitting there keeps the per-image work to Pillow's resize and crop, moves a
    quarter of the bytes between processes (or to the GPU), and does the float
    arithmetic once per batch, vectorised. Calling the object does both for one image.
    Subclasses are picklable dataclasses with ``mean`` and ``std`` fields.
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]

    @property
    @abstractmethod
    def draft_size(self) -> tuple[int, int]:
        """Smallest decode size that keeps full detail for this transform (JPEG draft)."""

    @abstractmethod
    def pixels(self, image: Image.Image) -> torch.Tensor:
        """Resized, cropped RGB pixels of one image: ``uint8 (H, W, 3)``."""

    def normalize(self, batch: torch.Tensor) -> torch.Tensor:
        """``uint8 (N, H, W, 3)`` pixels to normalised float ``(N, 3, H, W)`` (channels last)."""
        import torch

        if batch.dtype != torch.uint8 or batch.ndim != 4 or batch.shape[-1] != 3:
            raise ValueError(
                "pixels must be a uint8 (N, H, W, 3) tensor; "
                f"got {batch.dtype} with shape {tuple(batch.shape)}"
            )
        mean = torch.tensor(self.mean, dtype=torch.float32, device=batch.device) * 255.0
        std = torch.tensor(self.std, dtype=torch.float32, device=batch.device) * 255.0
        # permute() of NHWC is NCHW with channels-last strides; .float() keeps them.
        x = batch.permute(0, 3, 1, 2).float()
        return x.sub_(mean.view(1, 3, 1, 1)).div_(std.view(1, 3, 1, 1))

    def __call__(self, image: Image.Image) -> torch.Tensor:
        """One image to a normalised float tensor ``(3, H, W)``."""
        return self.normalize(self.pixels(image)[None])[0]


def pil_to_pixels(image: Image.Image) -> torch.Tensor:
    """A PIL image as a ``uint8 (H, W, 3)`` tensor (owning a copy of the pixels)."""
    import torch

    return torch.from_numpy(np.array(image.convert("RGB"), dtype=np.uint8))


@dataclass(frozen=True)
class ImagePreprocess(Preprocess):
    """Resize (shortest side), centre-crop, normalise. Picklable.

    Parameters
    ----------
    size
        Output side in pixels (square crop).
    resize
        Shortest side after resizing, before the centre crop (``>= size``).
    mean, std
        Per-channel normalisation applied to ``[0, 1]`` pixel values.
    interpolation
        ``"bicubic"`` or ``"bilinear"``.
    """

    size: int = 224
    resize: int = 224
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    interpolation: str = "bicubic"

    def __post_init__(self) -> None:
        if self.interpolation not in ("bicubic", "bilinear"):
            raise ValueError(f"interpolation must be 'bicubic' or 'bilinear'; "
                             f"got {self.interpolation!r}")
        if not 1 <= self.size <= self.resize:
            raise ValueError(f"need 1 <= size <= resize; got size={self.size}, "
                             f"resize={self.resize}")

    @property
    def draft_size(self) -> tuple[int, int]:
        return (self.resize, self.resize)

    def pixels(self, image: Image.Image) -> torch.Tensor:
        # torchvision's resize and centre crop, written out for PIL images (the test
        # checks equality): importing torchvision costs about 1.4 s per process.
        from PIL import Image

        img = image.convert("RGB")
        w, h = img.size
        short, long = (w, h) if w <= h else (h, w)
        new_long = int(self.resize * long / short)
        size = (self.resize, new_long) if w <= h else (new_long, self.resize)
        img = img.resize(size, Image.Resampling[self.interpolation.upper()])
        left = int(round((size[0] - self.size) / 2.0))
        top = int(round((size[1] - self.size) / 2.0))
        return pil_to_pixels(img.crop((left, top, left + self.size, top + self.size)))


class Embedder(ABC):
    """Base class of every image embedder.

    Subclasses set ``dim`` and ``has_text`` and implement :meth:`name`,
    :meth:`preprocess`, :meth:`_load` and :meth:`_forward_images` (and
    :meth:`_forward_texts` when ``has_text``).

    Attributes
    ----------
    name
        Stable identifier, used as the embedding-cache key. Different weights
        always give different names.
    field_name
        FiftyOne-safe field name derived from ``name``.
    dim
        Length of each embedding vector.
    has_text
        Whether :meth:`encode_texts` is supported.
    device
        ``"auto"`` (CUDA with fp16 autocast when available, else CPU float32),
        ``"cpu"`` or ``"cuda"``.
    """

    dim: int
    has_text: bool = False
    #: Images per forward pass when ``batch_size="auto"``, by device kind. On CPU the
    #: best batch is a property of the network (how much activation memory stays in
    #: cache), so subclasses set their own measured value.
    cpu_batch_size: int = 16
    cuda_batch_size: int = 64

    def __init__(self, device: str = "auto") -> None:
        self.device = check_device(device)
        self.model_: Any = None
        self.device_: str | None = None

    # -- identity ---------------------------------------------------------------
    @property
    @abstractmethod
    def name(self) -> str:
        """Stable identifier of model + weights."""

    @property
    def field_name(self) -> str:
        return field_name_for(self.name)

    @property
    @abstractmethod
    def preprocess(self) -> Preprocess:
        """Picklable :class:`Preprocess`: RGB PIL image -> pixels -> float tensor."""

    @property
    def draft_size(self) -> tuple[int, int] | None:
        """JPEG draft size for decoding (``None`` decodes at full size)."""
        return getattr(self.preprocess, "draft_size", None)

    def __repr__(self) -> str:
        state = "loaded" if self.model_ is not None else "not loaded"
        return f"{type(self).__name__}(name={self.name!r}, device={self.device!r}, {state})"

    def batch_size_for(self, device: str) -> int:
        """The ``"auto"`` batch size on ``device`` (``"cpu"``, ``"cuda"`` or ``"cuda:N"``)."""
        return self.cuda_batch_size if str(device).startswith("cuda") else self.cpu_batch_size

    def use_threads(self, threads: int) -> None:
        """Intra-op threads for inference, for runtimes with their own thread pool.

        torch's pool is set by the caller (``torch.set_num_threads``); ONNX Runtime's
        is fixed when its session opens (:class:`~workbench.models.onnx_backend.OnnxEmbedder`).
        """

    # -- lifecycle --------------------------------------------------------------
    @abstractmethod
    def _load(self, device: str) -> Any:
        """Build the network on ``device`` in eval mode and return it."""

    def load(self) -> Embedder:
        """Load the network now (it otherwise loads on first use). Returns ``self``."""
        if self.model_ is None:
            device = resolve_device(self.device)
            self.model_ = self._load(device)
            self.device_ = device
        return self

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["model_"] = None
        state["device_"] = None
        for key in [k for k in state if k.endswith("_") and not k.startswith("_")]:
            state[key] = None
        return state

    # -- encoding ---------------------------------------------------------------
    @abstractmethod
    def _forward_images(self, batch: torch.Tensor) -> torch.Tensor:
        """Raw (unnormalised) image features for a preprocessed batch on the model's device."""

    def _forward_texts(self, texts: Sequence[str]) -> torch.Tensor:
        raise NotImplementedError(
            f"model {self.name!r} is image-only and cannot encode text; "
            "use a CLIP model (e.g. --model clip) for text queries and concept probes"
        )

    def _autocast(self):
        import contextlib

        import torch

        if self.device_ is not None and self.device_.startswith("cuda"):
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def embed_batch(self, batch: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors ``(N, dim)`` and their pre-normalisation norms ``(N,)``.

        The norms let model-specific heads be recomputed from stored unit vectors
        (see :meth:`workbench.models.bundled.EfficientNetLite0.imagenet_logits`).
        """
        import torch

        self.load()
        if batch.ndim != 4:
            raise ValueError(f"batch must be a (N, 3, H, W) tensor; got shape {tuple(batch.shape)}")
        if len(batch) == 0:
            return np.zeros((0, self.dim), np.float32), np.zeros((0,), np.float32)
        with torch.inference_mode(), self._autocast():
            feats = self._forward_images(batch.to(self.device_, non_blocking=True))
        return l2_normalize(feats)

    def embed_pixels(self, pixels: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`embed_batch` for ``uint8 (N, H, W, 3)`` pixels from ``preprocess.pixels``.

        The pixels move to the model's device first, so normalisation runs there.
        """
        self.load()
        return self.embed_batch(self.preprocess.normalize(pixels.to(self.device_, non_blocking=True)))

    def encode_images(self, batch: torch.Tensor) -> np.ndarray:
        """L2-normalised float32 embeddings ``(N, dim)`` of a preprocessed batch.

        Examples
        --------
        >>> import torch
        >>> emb = resolve_embedder("bundled")[0]          # doctest: +SKIP
        >>> x = torch.stack([emb.preprocess(img)])        # doctest: +SKIP
        >>> emb.encode_images(x).shape                    # doctest: +SKIP
        (1, 1280)
        """
        return self.embed_batch(batch)[0]

    def encode_pil(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Convenience: preprocess and encode a list of PIL images."""
        import torch

        if not images:
            return np.zeros((0, self.dim), np.float32)
        return self.embed_pixels(torch.stack([self.preprocess.pixels(im) for im in images]))[0]

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 text embeddings ``(N, dim)``.

        Raises
        ------
        NotImplementedError
            For image-only models (``has_text`` is False); the message names the model.
        """
        import torch

        if isinstance(texts, str):
            raise TypeError(f"texts must be a list of strings; got a single str {texts!r}")
        if not self.has_text:
            return self._forward_texts(texts)  # raises with a clear message
        self.load()
        if len(texts) == 0:
            return np.zeros((0, self.dim), np.float32)
        with torch.inference_mode(), self._autocast():
            feats = self._forward_texts(list(texts))
        return l2_normalize(feats)[0]


def default_num_threads() -> int:
    """Cores this process may use (respects CPU affinity / cgroup-limited affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
