"""Versions of Python and of the packages the workbench uses, from package metadata."""

from __future__ import annotations

import platform
from importlib import metadata

_PACKAGES = {
    "torch": "torch",
    "torchvision": "torchvision",
    "fiftyone": "fiftyone",
    "fiftyone-brain": "fiftyone-brain",
    "open_clip": "open_clip_torch",
    "umap": "umap-learn",
    "numba": "numba",
    "pillow": "pillow",
    "pyvips": "pyvips",
    "palette-workbench": "palette-workbench",
}


def versions() -> dict[str, str | None]:
    """Installed versions, read from package metadata (nothing heavy is imported)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for label, dist in _PACKAGES.items():
        try:
            found[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[label] = None
    return found
