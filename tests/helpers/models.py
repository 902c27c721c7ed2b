"""Shared helpers for the models-layer tests (imported by tests/test_models_*.py).

Small seeded synthetic images, their content hashes, and models that are loaded
once per test process.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]


def sha256_of(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def smooth_rgb(seed: int, width: int, height: int) -> Image.Image:
    """A photo-like RGB image: upsampled random colour blocks plus mild noise."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(2, height // 32), max(2, width // 32), 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((width, height), Image.BICUBIC)
    arr = np.asarray(img).astype(np.int16) + rng.integers(-10, 11, (height, width, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def make_jpegs(folder: Path, n: int, size: tuple[int, int] = (96, 72), seed: int = 0) -> list[Path]:
    """``n`` distinct seeded JPEGs in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"img_{i:04d}.jpg"
        smooth_rgb(seed * 100_003 + i, *size).save(p, quality=90)
        paths.append(p)
    return paths


def items_for(paths: list[Path]) -> list[tuple[str, str, str]]:
    """``(key, sha256, path)`` triples with the file name as key."""
    return [(p.name, sha256_of(p), str(p)) for p in paths]


def make_odd_images(folder: Path) -> dict[str, Path]:
    """One file per awkward image kind the embedder must handle."""
    folder.mkdir(parents=True, exist_ok=True)
    base = smooth_rgb(7, 64, 48)
    out: dict[str, Path] = {}

    out["gray"] = folder / "gray.png"
    base.convert("L").save(out["gray"])

    rgba = base.convert("RGBA")
    alpha = np.zeros((48, 64), np.uint8)
    alpha[:, 32:] = 255
    rgba.putalpha(Image.fromarray(alpha))
    out["rgba"] = folder / "rgba.png"
    rgba.save(out["rgba"])

    out["cmyk"] = folder / "cmyk.jpg"
    base.convert("CMYK").save(out["cmyk"], quality=90)

    ramp = (np.linspace(0, 65535, 64 * 48).reshape(48, 64)).astype(np.uint16)
    out["16bit"] = folder / "sixteen.png"
    Image.fromarray(ramp).save(out["16bit"])  # mode I;16
    out["wide"] = folder / "wide.png"
    smooth_rgb(8, 2000, 20).save(out["wide"])
    out["tall"] = folder / "tall.png"
    smooth_rgb(9, 20, 2000).save(out["tall"])
    out["palette"] = folder / "palette.gif"
    base.convert("P", palette=Image.ADAPTIVE, colors=16).save(out["palette"])
    out["tiny"] = folder / "tiny.png"
    smooth_rgb(10, 2, 2).resize((1, 1)).save(out["tiny"])
    return out


def make_bad_files(folder: Path) -> dict[str, Path]:
    """Files that cannot be decoded: truncated JPEG, random bytes, empty, missing."""
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "_full.jpg"
    smooth_rgb(11, 128, 96).save(good, quality=90)
    data = good.read_bytes()
    good.unlink()
    out = {
        "truncated": folder / "truncated.jpg",
        "garbage": folder / "garbage.jpg",
        "empty": folder / "empty.png",
        "missing": folder / "does_not_exist.jpg",
    }
    out["truncated"].write_bytes(data[: len(data) // 2])
    out["garbage"].write_bytes(np.random.default_rng(12).bytes(2048))
    out["empty"].write_bytes(b"")
    return out


@cache
def bundled_cpu():
    """The bundled model, loaded once per test process."""
    from workbench.models import EfficientNetLite0

    return EfficientNetLite0(device="cpu").load()


@cache
def clip_random_cpu():
    """ViT-B-32 with seeded random weights, loaded once per test process."""
    from workbench.models import OpenClipEmbedder

    return OpenClipEmbedder("ViT-B-32", pretrained=None, device="cpu").load()


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers.

    Points ``HF_ENDPOINT`` at something that hangs, so the probe's time bound is
    tested without any real network.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)  # hold it open, say nothing
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()
