"""Image embedders and the embedding cache: the only layer that imports torch and open_clip.

Importing this package is cheap: torch, open_clip and the model code are imported
inside the functions that need them.

Examples
--------
>>> from workbench.models import resolve_embedder, embed_items, EmbeddingCache
>>> emb, reason = resolve_embedder("auto")                     # doctest: +SKIP
>>> res = embed_items(emb, items, EmbeddingCache.for_embedder(emb))  # doctest: +SKIP
"""

from workbench.models.backends import BACKENDS, with_backend
from workbench.models.base import Embedder, ImagePreprocess, ModelUnavailableError, field_name_for
from workbench.models.bundled import BUNDLED_NAME, EfficientNetLite0, imagenet_class_names
from workbench.models.cache import EmbeddingCache, default_cache_dir
from workbench.models.choose import (
    available_embedders,
    build_embedder,
    parse_spec,
    resolve_embedder,
)
from workbench.models.clip import DEFAULT_CLIP_MODEL, DEFAULT_CLIP_PRETRAINED, OpenClipEmbedder
from workbench.models.runner import EmbedResult, EmbedSettings, embed_items

__all__ = [
    "BACKENDS",
    "BUNDLED_NAME",
    "DEFAULT_CLIP_MODEL",
    "DEFAULT_CLIP_PRETRAINED",
    "EfficientNetLite0",
    "EmbedResult",
    "EmbedSettings",
    "Embedder",
    "EmbeddingCache",
    "ImagePreprocess",
    "ModelUnavailableError",
    "OpenClipEmbedder",
    "available_embedders",
    "build_embedder",
    "default_cache_dir",
    "embed_items",
    "field_name_for",
    "imagenet_class_names",
    "parse_spec",
    "resolve_embedder",
    "with_backend",
]
