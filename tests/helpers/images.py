"""Real image files with known properties and known defects, made on demand."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def pattern(seed: int = 0, size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A seeded RGB image with structure (not noise), so codecs behave normally."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    c = rng.uniform(0, 255, 3)
    f = rng.uniform(0.02, 0.2, 2)
    arr = (np.sin(x * f[0])[..., None] * 80 + np.cos(y * f[1])[..., None] * 40 + c).clip(0, 255)
    return Image.fromarray(arr.astype(np.uint8), "RGB")


def save(img: Image.Image, path: Path, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kw)
    return path


def jpeg_bytes(seed: int = 0, size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    pattern(seed, size).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def exif_rotated_jpeg(path: Path, size=(80, 40)) -> Path:
    """A landscape JPEG whose EXIF orientation (6 = rotate 90 CW) makes it portrait."""
    img = pattern(3, size)
    exif = Image.Exif()
    exif[0x0112] = 6
    return save(img, path, format="JPEG", exif=exif.tobytes())


def animated_gif(path: Path, frames: int = 3) -> Path:
    imgs = [pattern(i, (32, 32)).convert("P") for i in range(frames)]
    imgs[0].save(path, save_all=True, append_images=imgs[1:], duration=100, loop=0)
    return path


def drawing(size: int = 128, seed: int = 0, background=(255, 255, 255)) -> Image.Image:
    """Clip art: flat shapes with black outlines on a plain background, drawn at ``size``."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(img)
    for _ in range(8):
        x0, y0 = rng.uniform(0.05, 0.5, 2) * size
        w, h = rng.uniform(0.25, 0.45, 2) * size
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse([x0, y0, x0 + w, y0 + h], fill=colour, outline=(0, 0, 0),
                     width=max(1, size // 64))
    return img
