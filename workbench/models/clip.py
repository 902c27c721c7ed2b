"""CLIP image and text embeddings through open_clip.

Weights come from one of three places, decided before anything slow happens:

* a pretrained tag (``laion2b_s34b_b79k``): the file is looked up in the local
  Hugging Face cache first; only when it is missing, the hub is not marked offline
  (``HF_HUB_OFFLINE``) and a 3-second probe reaches it, is it downloaded;
* a local checkpoint path (``/path/open_clip_pytorch_model.bin``);
* ``None``: the real architecture with seeded random weights (tests, benchmarks).

open_clip is always handed a local file, so its own download path (which retries
for about 40 s offline) is never used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from workbench.models import hub
from workbench.models.base import Embedder, ModelUnavailableError
from workbench.models.clip_preprocess import OpenClipPreprocess

if TYPE_CHECKING:  # pragma: no cover
    import torch

DEFAULT_CLIP_MODEL = "ViT-B-32"
DEFAULT_CLIP_PRETRAINED = "laion2b_s34b_b79k"
_CHECKPOINT_SUFFIXES = (".bin", ".pt", ".pth", ".safetensors", ".ckpt", ".npz")

#: ``hf_hub`` entries of open_clip's pretrained table for the default model, so that
#: checking for its weights (``--model clip`` / ``auto`` offline) needs no torch import.
#: A test checks this against ``open_clip.get_pretrained_cfg``.
KNOWN_HF_HUB = {
    (DEFAULT_CLIP_MODEL, DEFAULT_CLIP_PRETRAINED): "laion/CLIP-ViT-B-32-laion2B-s34B-b79K/",
}


def looks_like_path(pretrained: str) -> bool:
    """Whether a ``pretrained`` value names a file rather than an open_clip tag."""
    return (
        os.sep in pretrained
        or "/" in pretrained
        or pretrained.startswith(("~", "."))
        or pretrained.lower().endswith(_CHECKPOINT_SUFFIXES)
        or os.path.exists(pretrained)
    )


def clean_tag(tag: str) -> str:
    """Normalise a pretrained tag the way open_clip does (lower case, ``-`` -> ``_``)."""
    return tag.lower().replace("-", "_")


def check_model_name(model_name: str) -> None:
    """Raise ``ValueError`` unless open_clip knows the architecture ``model_name``."""
    import open_clip

    known = open_clip.list_models()
    if model_name not in known:
        near = [m for m in known if model_name.lower().split("-")[0] in m.lower()][:8]
        hint = f" Similar: {near}." if near else ""
        raise ValueError(
            f"open_clip model name {model_name!r} is not a known architecture.{hint} "
            f"See open_clip.list_models() ({len(known)} names), e.g. 'ViT-B-32', 'ViT-L-14'."
        )


def hub_candidates(model_name: str, tag: str) -> list[hub.HubFile]:
    """The hub files that can hold weights for ``model_name`` + ``tag`` (safetensors first).

    Mirrors ``open_clip.pretrained.download_pretrained``: ``hf_hub`` is
    ``org/repo/filename`` or ``org/repo/`` (default file name).
    """
    hf_hub = KNOWN_HF_HUB.get((model_name, clean_tag(tag)))
    if hf_hub is None:
        import open_clip

        hf_hub = open_clip.get_pretrained_cfg(model_name, tag).get("hf_hub")
        if not hf_hub:
            tags = open_clip.list_pretrained_tags_by_model(model_name)
            raise ValueError(
                f"pretrained tag {tag!r} is not known for open_clip model {model_name!r}; "
                f"valid tags: {tags} (or pass a local checkpoint path)"
            )
    repo_id, filename = os.path.split(hf_hub)
    filename = filename or "open_clip_pytorch_model.bin"
    names = []
    if filename == "open_clip_pytorch_model.bin":
        names.append("open_clip_model.safetensors")
    elif filename.endswith((".bin", ".pth")):
        names.append(filename[:-4] + ".safetensors")
    names.append(filename)
    return [hub.HubFile(repo_id, n) for n in names]


@dataclass(frozen=True)
class WeightsStatus:
    """Where a CLIP model's weights would come from, decided without loading them.

    ``kind`` is ``random``, ``file``, ``cached``, ``download`` or ``missing``;
    ``path`` is set for ``file`` and ``cached``; ``detail`` is a short human phrase.
    """

    kind: str
    path: str | None
    detail: str

    @property
    def available(self) -> bool:
        return self.kind != "missing"


def unavailable_message(model_name: str, tag: str, detail: str) -> str:
    """The error text for CLIP weights that can be neither found nor fetched."""
    return (
        f"CLIP weights for {model_name}/{tag} are not available: {detail}. "
        "To supply them, either run the embed step once on a machine with internet access "
        f"to fill the Hugging Face cache (set HF_HOME to choose it; the hub cache here is "
        f"{hub.hf_hub_cache()}) and copy that "
        f"folder here, or download a checkpoint and pass --model {model_name}:/path/to/weights.bin "
        "(Python: resolve_embedder('" + model_name + ":/path/to/weights.bin')). "
        "For offline work without CLIP use --model bundled."
    )


class OpenClipEmbedder(Embedder):
    """An open_clip model: image and text embeddings in one space.

    Parameters
    ----------
    model_name
        open_clip architecture, e.g. ``"ViT-B-32"`` (see ``open_clip.list_models()``).
    pretrained
        A pretrained tag (``"laion2b_s34b_b79k"``), a local checkpoint path, or
        ``None`` for seeded random weights.
    device
        ``"auto"`` (CUDA + fp16 autocast when available, else CPU float32),
        ``"cpu"`` or ``"cuda"``.
    cache_dir
        Hugging Face hub cache folder; default from ``HF_HUB_CACHE`` / ``HF_HOME``.
    seed
        Seed for random weights (``pretrained=None``) so that they, and the cache
        key, are reproducible.
    probe_timeout
        Seconds to wait for huggingface.co before declaring it unreachable.

    Examples
    --------
    >>> emb = OpenClipEmbedder("ViT-B-32", pretrained=None, device="cpu")
    >>> emb.name
    'open_clip:ViT-B-32:random-seed0'
    >>> emb.encode_texts(["a red textile"]).shape   # doctest: +SKIP
    (1, 512)
    """

    has_text = True

    def __init__(
        self,
        model_name: str = DEFAULT_CLIP_MODEL,
        pretrained: str | os.PathLike | None = DEFAULT_CLIP_PRETRAINED,
        *,
        device: str = "auto",
        cache_dir: str | None = None,
        seed: int = 0,
        probe_timeout: float = hub.DEFAULT_PROBE_TIMEOUT,
    ) -> None:
        super().__init__(device=device)
        if not isinstance(model_name, str) or not model_name:
            raise ValueError(f"model_name must be a non-empty string; got {model_name!r}")
        self.model_name = model_name
        self.pretrained = None if pretrained is None else os.fspath(pretrained)
        if self.pretrained is not None and looks_like_path(self.pretrained):
            path = os.path.abspath(os.path.expanduser(self.pretrained))
            if not os.path.isfile(path):
                raise ValueError(
                    f"pretrained checkpoint path {self.pretrained!r} is not a file "
                    f"(resolved to {path}); expected an open_clip checkpoint (.bin/.pt/.safetensors)"
                )
            self.pretrained = path
        self.cache_dir = cache_dir
        self.seed = int(seed)
        self.probe_timeout = float(probe_timeout)
        self.tokenizer_: Any = None

    # -- identity ---------------------------------------------------------------
    @property
    def is_file(self) -> bool:
        return self.pretrained is not None and os.path.isabs(self.pretrained)

    @cached_property
    def _weights_id(self) -> str:
        if self.pretrained is None:
            return f"random-seed{self.seed}"
        if self.is_file:
            st = os.stat(self.pretrained)
            return f"file-{_checkpoint_digest(self.pretrained, st.st_size, st.st_mtime_ns)[:12]}"
        return clean_tag(self.pretrained)

    @property
    def name(self) -> str:
        return f"open_clip:{self.model_name}:{self._weights_id}"

    @property
    def label(self) -> str:
        """Short human label, e.g. ``ViT-B-32/laion2b_s34b_b79k``."""
        if self.is_file:
            return f"{self.model_name}/{os.path.basename(self.pretrained)}"
        return f"{self.model_name}/{self.pretrained or 'random weights'}"

    @cached_property
    def _model_cfg(self) -> dict:
        import open_clip

        check_model_name(self.model_name)
        return open_clip.get_model_config(self.model_name)

    @property
    def dim(self) -> int:  # type: ignore[override]
        return int(self._model_cfg["embed_dim"])

    @cached_property
    def _pretrained_cfg(self) -> dict:
        import open_clip

        if self.pretrained is None or self.is_file:
            return {}
        hub_candidates(self.model_name, self.pretrained)  # validates the tag
        return open_clip.get_pretrained_cfg(self.model_name, self.pretrained)

    @cached_property
    def preprocess(self) -> OpenClipPreprocess:  # type: ignore[override]
        size = self._model_cfg["vision_cfg"].get("image_size", 224)
        keys = ("mean", "std", "interpolation", "resize_mode", "fill_color")
        cfg = {k: self._pretrained_cfg[k] for k in keys if k in self._pretrained_cfg}
        return OpenClipPreprocess(size=size, **cfg)

    # -- weights ----------------------------------------------------------------
    def weights_status(self, probe: bool = True) -> WeightsStatus:
        """Where the weights would come from; cheap (no model load).

        Parameters
        ----------
        probe
            If the weights are not cached, check (up to ``probe_timeout`` s) whether
            the hub is reachable. ``False`` answers from the local cache only.
        """
        if self.pretrained is None:
            return WeightsStatus("random", None, f"random weights (seed {self.seed})")
        if self.is_file:
            return WeightsStatus("file", self.pretrained, f"local checkpoint {self.pretrained}")
        files = hub_candidates(self.model_name, self.pretrained)
        found = hub.find_cached(files, self.cache_dir)
        if found:
            return WeightsStatus("cached", found, "weights found in the local cache")
        where = f"not in the local Hugging Face cache ({self.cache_dir or hub.hf_hub_cache()})"
        if hub.hf_offline():
            return WeightsStatus("missing", None, f"{where} and HF_HUB_OFFLINE is set")
        if not probe:
            return WeightsStatus("missing", None, f"{where} (hub not checked)")
        ok, detail = hub.hub_reachable(self.probe_timeout)
        if ok:
            return WeightsStatus(
                "download", None, f"weights will be downloaded from {hub.endpoint_host()}"
            )
        return WeightsStatus(
            "missing", None, f"{where} and {hub.endpoint_host()} is unreachable ({detail})"
        )

    def checkpoint_path(self) -> str | None:
        """A local weights file (downloading it if needed and possible); ``None`` for random.

        Raises
        ------
        ModelUnavailableError
            When the weights are neither cached nor downloadable; within seconds.
        """
        status = self.weights_status(probe=True)
        if status.kind == "random":
            return None
        if status.path:
            return status.path
        if status.kind == "download":
            files = hub_candidates(self.model_name, self.pretrained)
            try:
                return hub.download(files, self.cache_dir)
            except Exception as exc:
                raise ModelUnavailableError(
                    unavailable_message(
                        self.model_name, str(self.pretrained), f"download failed: {exc}"
                    )
                ) from exc
        raise ModelUnavailableError(
            unavailable_message(self.model_name, str(self.pretrained), status.detail)
        )

    # -- loading and encoding ---------------------------------------------------
    def _load(self, device: str) -> Any:
        import open_clip
        import torch

        check_model_name(self.model_name)
        path = self.checkpoint_path()
        pp = self.preprocess
        force_pp = {
            "mean": pp.mean,
            "std": pp.std,
            "interpolation": pp.interpolation,
            "resize_mode": pp.resize_mode,
        }
        kwargs = {
            "device": device,
            "precision": "fp32",
            "force_quick_gelu": bool(self._pretrained_cfg.get("quick_gelu", False)),
            "force_preprocess_cfg": force_pp,
            "cache_dir": self.cache_dir,
            "pretrained_text": False,
        }
        if path is None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                model = open_clip.create_model(self.model_name, pretrained=None, **kwargs)
        else:
            model = open_clip.create_model(self.model_name, pretrained=path, **kwargs)
        return model.eval()

    def _forward_images(self, batch: torch.Tensor) -> torch.Tensor:
        return self.model_.encode_image(batch)

    def _forward_texts(self, texts: Sequence[str]) -> torch.Tensor:
        import open_clip

        if self.tokenizer_ is None:
            self.tokenizer_ = open_clip.get_tokenizer(self.model_name, cache_dir=self.cache_dir)
        tokens = self.tokenizer_(list(texts)).to(self.device_)
        return self.model_.encode_text(tokens)


@lru_cache(maxsize=16)
def _checkpoint_digest(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 of a checkpoint, hashed once per (path, size, mtime) in this process.

    Every embedder built for a checkpoint names itself by this digest, and the pool
    looks embedders up by name; without the memo each lookup re-reads ~600 MB.
    """
    return hub.sha256_file(path)
