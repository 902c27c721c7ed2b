"""Decoding images the same way everywhere: load validation, embedding and export.

Pure Pillow/numpy; no FiftyOne, no torch.

Every odd input a curated collection meets in practice is normalised here once:
EXIF orientation, palette and alpha images (flattened on white), CMYK, 16-bit
and 32-bit integer/float modes, and animated files (first frame).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .largeimage import LARGE_PIXELS, LargeImageError, reduction_scale, shrink_decode

#: Default ceiling on an image's pixel count, the guard against decompression bombs.
#: Large images are decoded shrunk (see :mod:`workbench.core.pixels.largeimage`), so memory
#: no longer sets the limit: it sits above the largest real scans met in clip-art
#: and museum collections (623 megapixels) and below a 30,000 x 30,000 bomb (900).
DEFAULT_MAX_PIXELS = 800_000_000

#: File extensions treated as images when scanning folders.
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".jfif"}
)


#: Notes that describe how a file decodes; they hold for as long as its bytes are unchanged.
DECODE_NOTES = frozenset(
    {"palette", "alpha_flattened", "cmyk_converted", "high_bit_depth", "animated_first_frame",
     "exif_rotated", "reduced_on_load"}
)

_ORIENTATION = 0x0112
_HIGH_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


class ImageDecodeError(Exception):
    """An image that cannot be used. ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class DecodedImage:
    """An RGB image plus what was done to get it there.

    ``size`` is the file's own upright size; ``image`` is smaller than that when the
    decode was reduced (a JPEG draft, or a large image shrunk on load).
    """

    image: Image.Image
    format: str | None
    original_mode: str
    notes: list[str] = field(default_factory=list)
    size: tuple[int, int] = (0, 0)

    @property
    def reduced(self) -> bool:
        """Whether ``image`` is smaller than the file."""
        return self.image.size != self.size


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
    if mode in _HIGH_BIT_MODES:
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
    on_header: Callable[[Image.Image], None] | None = None,
) -> DecodedImage:
    """Open, decode and normalise one image file to upright 8-bit RGB.

    Memory stays bounded whatever the file: an image above
    :data:`~workbench.core.pixels.largeimage.LARGE_PIXELS` is shrunk while it is read (libvips
    streaming, or JPEG DCT scaling) and never held at full size.

    Parameters
    ----------
    path
        Image file. It is opened read-only and never modified.
    max_pixels
        Refuse images with more pixels than this (decompression bombs), judged from
        the header before any decoding. ``None`` disables the check.
    draft_size
        The smallest (width, height) the caller needs, when it downsizes anyway (as
        embedding and export resizing do): JPEGs then skip detail below it (DCT
        scaling), and large images are shrunk to just cover it.
    on_header
        Called with the opened image before its pixels are decoded (after the bomb
        check): the loader reads embedded metadata there, in the same pass.

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
                if on_header is not None:
                    on_header(img)
                if getattr(img, "n_frames", 1) > 1:
                    notes.append("animated_first_frame")
                    img.seek(0)
                orientation = _header_orientation(img)
                upright_size = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
                scale = reduction_scale(w, h, draft_size)
                if scale < 1.0 and fmt != "JPEG":
                    rgb = _shrink(p, scale, original_mode, orientation != 1, notes)
                    return DecodedImage(image=rgb, format=fmt, original_mode=original_mode,
                                        notes=notes, size=upright_size)
                if fmt == "JPEG" and (draft_size is not None or scale < 1.0):
                    target = (math.ceil(w * scale), math.ceil(h * scale)) if scale < 1.0 \
                        else draft_size
                    img.draft("RGB", target)
                img.load()
                upright = img
                orientation = img.getexif().get(_ORIENTATION, 1) or 1  # PNG: eXIf after IDAT
                if orientation != 1:
                    upright = ImageOps.exif_transpose(img)
                    notes.append("exif_rotated")
                rgb = to_rgb(upright, notes)
                if scale < 1.0 and rgb.width * rgb.height > LARGE_PIXELS:
                    # DCT scaling stops at 1/8: finish a giant JPEG with a resize.
                    rgb = rgb.resize((max(1, round(upright_size[0] * scale)),
                                      max(1, round(upright_size[1] * scale))),
                                     Image.Resampling.LANCZOS, reducing_gap=3.0)
                if scale < 1.0:
                    notes.append("reduced_on_load")
    except ImageDecodeError:
        raise
    except PermissionError as exc:
        raise ImageDecodeError("permission_denied", str(exc)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageDecodeError("decompression_bomb", str(exc)) from None
    except Image.UnidentifiedImageError:
        damage = _png_damage(p)
        if damage:
            raise ImageDecodeError("corrupt", damage) from None
        raise ImageDecodeError("not_an_image", f"{p} is not a recognised image format") from None
    except OSError as exc:
        msg = str(exc)
        reason = "truncated" if "truncated" in msg.lower() or "premature" in msg.lower() else "corrupt"
        raise ImageDecodeError(reason, msg) from None
    except (ValueError, SyntaxError, EOFError, IndexError, TypeError) as exc:
        raise ImageDecodeError("corrupt", f"{type(exc).__name__}: {exc}") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous_limit
    return DecodedImage(image=rgb, format=fmt, original_mode=original_mode, notes=notes,
                        size=upright_size)


def _png_damage(path: Path) -> str | None:
    """Why Pillow refused a file that starts like a PNG (a chunk that fails its checksum,
    a chunk cut short), or None when it is not a PNG at all."""
    from PIL import PngImagePlugin

    with open(path, "rb") as fh:
        if fh.read(8) != b"\x89PNG\r\n\x1a\n":
            return None
        fh.seek(0)
        try:
            PngImagePlugin.PngImageFile(fh).close()
        except (SyntaxError, OSError, ValueError, EOFError) as exc:
            return f"damaged PNG: {exc}"
    return "damaged PNG"


def _header_orientation(img: Image.Image) -> int:
    """EXIF orientation without decoding pixels.

    Pillow's ``getexif()`` on a PNG decodes the whole image to look for an eXIf chunk
    after the pixel data; a PNG's header chunks are enough here.
    """
    if img.format == "PNG":
        raw = img.info.get("exif")
        if not raw:
            return 1
        exif = Image.Exif()
        exif.load(raw)
        return exif.get(_ORIENTATION, 1) or 1
    return img.getexif().get(_ORIENTATION, 1) or 1


def _shrink(path: Path, scale: float, original_mode: str, rotated: bool,
            notes: list[str]) -> Image.Image:
    """A large non-JPEG image through libvips, as 8-bit RGB, with the same notes."""
    try:
        small, had_alpha = shrink_decode(path, scale)
    except LargeImageError as exc:
        raise ImageDecodeError(exc.reason, exc.detail) from None
    if original_mode == "P":
        notes.append("palette")
    elif original_mode in _HIGH_BIT_MODES:
        notes.append("high_bit_depth")
    if rotated:
        notes.append("exif_rotated")
    if had_alpha:
        notes.append("alpha_flattened")
    notes.append("reduced_on_load")
    return small.convert("RGB")
