"""Shrink-on-load decoding for large images, in bounded memory.

Pillow decodes a PNG, TIFF or WebP at full size before it can resize it: a
169-megapixel RGBA PNG needs 676 MB before any conversion. libvips (through
``pyvips`` and the self-contained ``pyvips-binary`` wheel) streams the file instead
and keeps only a few scanlines plus the reduced result: the same PNG shrank to
1,024 px at 179 MB peak for the whole process. JPEGs need no libvips: Pillow's
draft mode lets the decoder skip detail (DCT scaling to 1/2, 1/4 or 1/8).

Pure image code: no FiftyOne, no torch.
"""

from __future__ import annotations

import math
import os

import numpy as np

#: Above this many pixels an image is never decoded at full size: it is shrunk while
#: it is read, to at most this many pixels (or less when the caller needs less).
LARGE_PIXELS = 4096 * 4096


class LargeImageError(Exception):
    """libvips could not read a large file; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def reduction_scale(width: int, height: int, cover: tuple[int, int] | None) -> float:
    """The scale (<= 1) to decode an image at.

    An image of at most :data:`LARGE_PIXELS` keeps full size (1.0). A larger one is
    scaled to fit :data:`LARGE_PIXELS`, or further down to the smallest size that
    still covers ``cover`` (width, height) when the caller says what it needs.

    Examples
    --------
    >>> reduction_scale(1000, 800, None)
    1.0
    >>> round(reduction_scale(13000, 13000, (224, 224)), 4)
    0.0172
    """
    pixels = width * height
    if pixels <= LARGE_PIXELS:
        return 1.0
    scale = math.sqrt(LARGE_PIXELS / pixels)
    if cover is not None:
        scale = min(scale, max(cover[0] / width, cover[1] / height))
    return min(1.0, scale)


def _vips():
    try:
        import pyvips
    except (ImportError, OSError) as exc:  # OSError: the libvips library is missing
        raise ImportError(
            "decoding images above 16 megapixels needs pyvips with libvips; install it with "
            "`pip install pyvips pyvips-binary`") from exc
    return pyvips


def vips_available() -> bool:
    """Whether libvips can be used here (it is a dependency; a broken install is not)."""
    try:
        _vips()
    except ImportError:
        return False
    return True


def shrink_decode(path: str | os.PathLike, scale: float):  # -> (PIL.Image, bool)
    """Decode ``path`` through libvips at ``scale`` of its size, streaming, as a PIL image.

    The result is 8-bit ``RGB`` or ``L``, upright (EXIF orientation applied), with any
    transparency flattened on white as :func:`workbench.core.pixels.images.to_rgb` does; the
    second value says whether there was an alpha band. Truncated or corrupt files
    raise :class:`LargeImageError`.
    """
    from PIL import Image

    pyvips = _vips()
    pyvips.cache_set_max(0)  # nothing to reuse: each file is read once
    try:
        # Sequential access streams the file top to bottom; fail_on="error" makes a
        # truncated or damaged file an error instead of a silently grey image.
        image = pyvips.Image.new_from_file(os.fspath(path), access="sequential",
                                           fail_on="error")
        orientation = image.get("orientation") if image.get_typeof("orientation") else 1
        width = max(1, round(image.width * scale))
        height = max(1, round(image.height * scale))
        image = image.thumbnail_image(width, height=height, size="force")
        if image.interpretation in ("rgb16", "grey16") or image.format != "uchar":
            target = "b-w" if image.bands <= 2 else "srgb"
            image = image.colourspace(target)
            if image.format != "uchar":
                image = image.cast("uchar")
        elif image.interpretation == "cmyk":
            image = image.colourspace("srgb")
        had_alpha = image.hasalpha()
        if had_alpha:
            image = image.flatten(background=[255] * (image.bands - 1))
        data = image.write_to_memory()
    except pyvips.Error as exc:
        text = str(exc).strip().splitlines()
        detail = "; ".join(line.strip() for line in text if line.strip())[:300]
        reason = "truncated" if "truncat" in detail.lower() or "premature" in detail.lower() \
            else "corrupt"
        raise LargeImageError(reason, detail) from None
    size = (image.width, image.height)
    if image.bands == 1:
        result = Image.frombuffer("L", size, data, "raw", "L", 0, 1)
    elif image.bands == 3:
        result = Image.frombuffer("RGB", size, data, "raw", "RGB", 0, 1)
    else:  # e.g. a 5-band TIFF: keep the first three as RGB
        arr = np.ndarray(buffer=data, dtype=np.uint8, shape=(size[1], size[0], image.bands))
        result = Image.fromarray(np.ascontiguousarray(arr[..., :3]), mode="RGB")
    # Rotated after shrinking: a rotation needs random access, the small image has it.
    transpose = _TRANSPOSE.get(int(orientation))
    if transpose is not None:
        result = result.transpose(transpose)
    return result, had_alpha


def _transposes() -> dict:
    from PIL import Image

    t = Image.Transpose
    return {2: t.FLIP_LEFT_RIGHT, 3: t.ROTATE_180, 4: t.FLIP_TOP_BOTTOM, 5: t.TRANSPOSE,
            6: t.ROTATE_270, 7: t.TRANSVERSE, 8: t.ROTATE_90}


_TRANSPOSE = _transposes()
