"""Shared helpers for the benchmark scripts.

An isolated FiftyOne database, generated test images, very large images (above 100
megapixels, cached between runs), the real corpus, and running the ``workbench``
command in a subprocess while measuring its peak memory.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent
# The test helpers write the large images and wrap the command to report its own peak RSS;
# the benchmarks measure with exactly the same code.
sys.path.insert(0, str(REPO / "tests"))
from helpers.bigimages import big_png
from helpers.cli import _MEASURED


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


#: The repository root (benchmarks run from it, but need not).

def bench_data_dir() -> Path:
    """Where benchmark inputs that are slow to build are kept between runs.

    ``$WORKBENCH_BENCH_DATA``, else ``~/.cache/palette-workbench/bench``.
    """
    env = os.environ.get("WORKBENCH_BENCH_DATA")
    return Path(env) if env else Path.home() / ".cache" / "palette-workbench" / "bench"


def real_corpus() -> Path:
    """The folder of the real corpus (Debian's Tux Paint stamps), fetched if missing."""
    spec = importlib.util.spec_from_file_location("real_corpus", REPO / "scripts" / "real_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fetch()


#: The large images: (file name, width, height, alpha). 169, 231 and 600 megapixels, as
#: PNG (decoded through libvips) and one JPEG (decoded with DCT scaling, then resized).
LARGE_IMAGES = (
    ("scan-169mp-rgba.png", 13000, 13000, True),
    ("scan-231mp-rgb.png", 15200, 15200, False),
    ("scan-231mp.jpg", 15200, 15200, False),
    ("scan-600mp-rgba.png", 30000, 20000, True),
)


def large_images(folder: Path | None = None) -> list[Path]:
    """The :data:`LARGE_IMAGES`, written once into ``folder`` and reused afterwards.

    Default folder: ``bench_data_dir() / "large"``. Building all four took 33 s on 2
    cores (175 MB on disk, 120 MB peak RSS).
    """
    folder = folder or bench_data_dir() / "large"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, width, height, alpha in LARGE_IMAGES:
        path = folder / name
        if not path.exists():
            t = time.perf_counter()
            big_png(path, width, height, alpha=alpha)
            print(f"wrote {path} ({width}x{height}, {path.stat().st_size / 2**20:.0f} MB) in "
                  f"{time.perf_counter() - t:.0f}s", flush=True)
        paths.append(path)
    return paths


def link_or_copy(src: Path, dst: Path) -> None:
    """``dst`` as a hard link to ``src`` (a copy across file systems)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@dataclass
class Measured:
    """One ``workbench`` command run in a subprocess, with its time and peak memory.

    ``command_mb`` is the command process's own peak RSS (VmHWM). ``workers_mb`` is the
    largest RSS any of its child processes (decode workers, pools) reached, and
    ``tree_mb`` the largest sum over the command and its children at one moment; both
    are sampled every 20 ms. The sum counts pages that forked workers share with their
    parent once per process, so it is an upper bound.
    """

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    command_mb: float
    workers_mb: float
    tree_mb: float

    @property
    def peak_mb(self) -> float:
        """The largest single process: the command or one of its workers."""
        return max(self.command_mb, self.workers_mb)

    def json(self) -> dict:
        """The one JSON object a ``--json`` command printed on stdout."""
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise RuntimeError(f"workbench {' '.join(self.args)}: stdout is not one JSON object "
                               f"({exc}); stderr ends:\n{self.stderr[-3000:]}") from None


def run_cli_measured(*args: str, env: dict[str, str] | None = None,
                     timeout: float = 3600.0) -> Measured:
    """Run ``workbench ARGS`` (as ``python -m workbench.cli``) and measure it.

    Raises ``RuntimeError`` when the command exits non-zero or runs past ``timeout``.
    """
    import psutil

    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _MEASURED, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env or os.environ.copy(),
                            cwd=REPO)
    # Drain the pipes in threads: a chatty command must never block on a full pipe.
    chunks: dict[str, list[str]] = {"out": [], "err": []}
    readers = [threading.Thread(target=lambda f=f, k=k: chunks[k].append(f.read()), daemon=True)
               for f, k in ((proc.stdout, "out"), (proc.stderr, "err"))]
    for reader in readers:
        reader.start()
    watched = psutil.Process(proc.pid)
    workers = tree = 0.0
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"workbench {' '.join(args)} ran past {timeout:.0f}s")
        try:
            own = watched.memory_info().rss
            kids = [c.memory_info().rss for c in watched.children(recursive=True)]
        except psutil.Error:  # the process or a worker ended between the two calls
            kids, own = [], 0
        workers = max([workers, *(k / 2**20 for k in kids)])
        tree = max(tree, (own + sum(kids)) / 2**20)
        time.sleep(0.02)
    seconds = time.perf_counter() - t
    for reader in readers:
        reader.join()
    stdout, stderr = "".join(chunks["out"]), "".join(chunks["err"])
    lines = [ln for ln in stderr.splitlines() if ln.startswith("PEAK_RSS_KB ")]
    command = int(lines[-1].split()[1]) / 1024 if lines else float("nan")
    if proc.returncode != 0:
        raise RuntimeError(f"workbench {' '.join(args)} exited {proc.returncode}; stderr ends:\n"
                           f"{stderr[-3000:]}")
    return Measured(list(args), proc.returncode, stdout, stderr, seconds, command, workers, tree)
