"""The real collection as plain data for pure tests: items, captions and embeddings.

The stamps come from ``scripts/real_corpus.py`` (the ``real_corpus`` fixture). Each item
is one PNG with its category (top-level folder), its English description (the first
line of the ``.txt`` beside it) and its path relative to the corpus.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class RealItem:
    path: str
    relpath: str
    category: str
    caption: str | None
    sha256: str


def real_items(root: Path) -> list[RealItem]:
    """Every stamp PNG under ``root``, sorted by relative path."""
    items = []
    for png in sorted(root.rglob("*.png")):
        rel = png.relative_to(root)
        txt = png.with_suffix(".txt")
        first = txt.read_text(encoding="utf-8", errors="replace").splitlines()[:1] \
            if txt.exists() else []
        caption = first[0].strip() if first and first[0].strip() else None
        items.append(RealItem(path=str(png), relpath=rel.as_posix(), category=rel.parts[0],
                              caption=caption,
                              sha256=hashlib.sha256(png.read_bytes()).hexdigest()))
    return items


def embed_paths(paths: list[str], cache_dir: Path) -> np.ndarray:
    """Unit embeddings (N, 1280) of image files with the bundled model, cached on disk."""
    from workbench.models import EfficientNetLite0, EmbeddingCache, embed_items

    embedder = EfficientNetLite0(device="cpu")
    items = [(i, hashlib.sha256(Path(p).read_bytes()).hexdigest(), p)
             for i, p in enumerate(paths)]
    result = embed_items(embedder, items, EmbeddingCache.for_embedder(embedder, cache_dir),
                         progress=False)
    if result.failed:
        raise AssertionError(f"could not embed {result.failed[:3]}")
    return result.matrix(list(range(len(paths))))
