"""Very large test images written without ever holding their pixels in memory."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bomb(path: Path, width: int = 30000, height: int = 30000) -> Path:
    """A valid 1-bit PNG of ``width x height`` zero pixels: a few kilobytes on disk.

    Written row by row through zlib, so the test never holds the image: the classic
    decompression bomb (900 megapixels at the default size).
    """
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    parts = [comp.compress(row) for _ in range(height)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    data = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts))
            + _chunk(b"IEND", b""))
    path.write_bytes(data)
    return path


def big_png(path: Path, width: int, height: int, *, alpha: bool = True) -> Path:
    """A large RGB(A) image with real structure (gradients, rings), streamed by libvips.

    libvips evaluates the pixels strip by strip while it encodes, so even a 600-megapixel
    image is written in a few tens of megabytes. A ``.jpg`` path gives a JPEG (no alpha).
    The file appears under ``path`` only once complete.
    """
    import pyvips

    xy = pyvips.Image.xyz(width, height)
    x, y = xy[0], xy[1]
    r = (x * 255.0 / width).cast("uchar")
    g = (y * 255.0 / height).cast("uchar")
    b = ((((x - width / 2) ** 2 + (y - height / 2) ** 2) ** 0.5 / 40) % 256).cast("uchar")
    image = r.bandjoin([g, b])
    if alpha and path.suffix.lower() != ".jpg":
        a = ((x > width // 8) & (x < width * 7 // 8)).ifthenelse(255, 0).cast("uchar")
        image = image.bandjoin(a)
    image = image.copy(interpretation="srgb")
    tmp = path.with_name(f".{path.name}.partial")
    if path.suffix.lower() == ".jpg":
        image.jpegsave(str(tmp), Q=85)
    else:
        image.pngsave(str(tmp), compression=1)
    tmp.rename(path)
    return path
