"""Shared helpers for the benchmark scripts: an isolated FiftyOne database and test images."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def isolate_fiftyone() -> str:
    """Point FiftyOne at a throw-away database directory (call before importing fiftyone)."""
    from workbench.glue.privatedb import start_private_database

    path = tempfile.mkdtemp(prefix="wb-bench-db-")
    os.environ["FIFTYONE_DATABASE_DIR"] = path
    os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
    # A private mongod: FiftyOne's shared service would attach to any running database.
    start_private_database(path)
    return path


def _make_one(args: tuple[str, int, int, str]) -> None:
    path, seed, size, fmt = args
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    base = rng.uniform(0, 255, 3)
    freq = rng.uniform(1, 8, 2)
    grad = (np.sin(2 * np.pi * (freq[0] * x + freq[1] * y))[..., None] * 60 + base).clip(0, 255)
    img = Image.fromarray(grad.astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rng.integers(0, size, 2)
        r = int(rng.integers(size // 40, size // 6))
        draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    img.save(path, **({"quality": 90} if fmt == "JPEG" else {}), format=fmt)


def make_images(folder: Path, n: int, size: int = 512, png_every: int = 2) -> list[Path]:
    """Write ``n`` synthetic images (every ``png_every``-th a PNG, the rest JPEG) in parallel."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for i in range(n):
        fmt = "PNG" if png_every and i % png_every == 0 else "JPEG"
        ext = ".png" if fmt == "PNG" else ".jpg"
        jobs.append((str(folder / f"img{i:06d}{ext}"), i, size, fmt))
    todo = [j for j in jobs if not os.path.exists(j[0])]
    with ProcessPoolExecutor() as pool:
        list(pool.map(_make_one, todo, chunksize=32))
    return [Path(j[0]) for j in jobs]


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def median(values: list[float]) -> float:
    return statistics.median(values)
