"""Decoding images the same way everywhere: load validation, embedding and export.

Pure Pillow/numpy; no FiftyOne, no torch.

Every odd input a curated collection meets in practice is normalised here once:
EXIF orientation, palette and alpha images (flattened on white), CMYK, 16-bit
and 32-bit integer/float modes, and animated files (first frame).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

#: Default ceiling on decoded pixels: 16k x 16k is far beyond any training image,
#: and well below what exhausts memory on a laptop.
DEFAULT_MAX_PIXELS = 16384 * 16384

#: File extensions treated as images when scanning folders.
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".jfif"}
)


#: Notes that describe how a file decodes; they hold for as long as its bytes are unchanged.
DECODE_NOTES = frozenset(
    {"palette", "alpha_flattened", "cmyk_converted", "high_bit_depth", "animated_first_frame",
     "exif_rotated"}
)

_ORIENTATION = 0x0112


class ImageDecodeError(Exception):
    """An image that cannot be used. ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class DecodedImage:
    """An RGB image plus what was done to get it there."""

    image: Image.Image
    format: str | None
    original_mode: str
    notes: list[str] = field(default_factory=list)


def _to_8bit(img: Image.Image) -> Image.Image:
    """Scale 16-bit / 32-bit integer and float single-band images to 8-bit 'L'."""
    arr = np.asarray(img)
    if arr.dtype == np.uint8:
        return img.convert("L")
    arr = arr.astype(np.float64)
    if img.mode.startswith("I;16") or (img.mode == "I" and arr.max(initial=0) <= 65535):
        scaled = arr / 257.0
    else:
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
    return Image.fromarray(np.clip(np.nan_to_num(scaled), 0, 255).astype(np.uint8), mode="L")


def to_rgb(img: Image.Image, notes: list[str] | None = None) -> Image.Image:
    """Convert any Pillow image to 8-bit RGB, compositing transparency on white.

    Parameters
    ----------
    img
        A loaded Pillow image in any mode.
    notes
        If given, short codes describing conversions are appended (``"alpha_flattened"``,
        ``"cmyk_converted"``, ``"high_bit_depth"``, ``"palette"``).
    """
    notes = notes if notes is not None else []
    mode = img.mode
    if mode == "RGB":
        return img
    if mode == "P":
        notes.append("palette")
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
        mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        notes.append("high_bit_depth")
        img = _to_8bit(img)
        mode = "L"
    if mode == "CMYK":
        notes.append("cmyk_converted")
        return img.convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        notes.append("alpha_flattened")
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode == "RGBX":
        return img.convert("RGB")
    return img.convert("RGB")


def open_rgb(
    path: str | os.PathLike,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    draft_size: tuple[int, int] | None = None,
) -> DecodedImage:
    """Open, fully decode and normalise one image file to upright 8-bit RGB.

    Parameters
    ----------
    path
        Image file. It is opened read-only and never modified.
    max_pixels
        Refuse images with more pixels than this (decompression bombs). ``None``
        disables the check.
    draft_size
        If set, let JPEG decoding skip detail below this size (DCT scaling). Much
        faster when the caller downsizes anyway, as embedding does.

    Raises
    ------
    ImageDecodeError
        With ``reason`` one of ``missing``, ``permission_denied``, ``not_a_file``,
        ``zero_bytes``, ``not_an_image``, ``decompression_bomb``, ``truncated``,
        ``corrupt``, ``os_error``.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ImageDecodeError("missing", f"no such file: {p}") from None
    except PermissionError as exc:
        raise ImageDecodeError("permission_denied", str(exc)) from None
    except OSError as exc:  # ELOOP for symlink loops, ENAMETOOLONG, ...
        raise ImageDecodeError("os_error", str(exc)) from None
    if not p.is_file():
        raise ImageDecodeError("not_a_file", f"{p} is not a regular file")
    if st.st_size == 0:
        raise ImageDecodeError("zero_bytes", f"{p} is empty")

    notes: list[str] = []
    # Pillow's own bomb limit is global; make it the caller's limit for this call only.
    previous_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than raises) between max_pixels and 2x max_pixels.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Pillow closes an image it opened itself, so it would need copying out of the
            # with-block; opened from our own handle, the decoded pixels outlive the file.
            with open(p, "rb") as fh:
                img = Image.open(fh)
                w, h = img.size
                if max_pixels is not None and w * h > max_pixels:
                    raise ImageDecodeError(
                        "decompression_bomb",
                        f"{w}x{h} = {w * h} pixels exceeds max_pixels={max_pixels}",
                    )
                fmt = img.format
                original_mode = img.mode
                if getattr(img, "n_frames", 1) > 1:
                    notes.append("animated_first_frame")
                    img.seek(0)
                if draft_size is not None and fmt == "JPEG":
                    img.draft("RGB", draft_size)
                img.load()
                upright = img
                if img.getexif().get(_ORIENTATION, 1) not in (1, None):
                    upright = ImageOps.exif_transpose(img)
                    notes.append("exif_rotated")
                rgb = to_rgb(upright, notes)
    except ImageDecodeError:
        raise
    except PermissionError as exc:
        raise ImageDecodeError("permission_denied", str(exc)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageDecodeError("decompression_bomb", str(exc)) from None
    except Image.UnidentifiedImageError:
        raise ImageDecodeError("not_an_image", f"{p} is not a recognised image format") from None
    except OSError as exc:
        msg = str(exc)
        reason = "truncated" if "truncated" in msg.lower() or "premature" in msg.lower() else "corrupt"
        raise ImageDecodeError(reason, msg) from None
    except (ValueError, SyntaxError, EOFError, IndexError, TypeError) as exc:
        raise ImageDecodeError("corrupt", f"{type(exc).__name__}: {exc}") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous_limit
    return DecodedImage(image=rgb, format=fmt, original_mode=original_mode, notes=notes)
