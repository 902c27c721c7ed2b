"""Load throughput: images/s for a fresh load of a generated folder.

Usage: .venv/bin/python benchmarks/load.py [--n 5000] [--repeats 3]

Each repeat loads the same folder into a new dataset in an isolated database, so
every file is hashed, fully decoded, measured and phashed. Target: > 150 images/s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import isolate_fiftyone, machine, make_images, median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", default=None, help="folder to cache generated images")
    args = parser.parse_args()

    isolate_fiftyone()
    folder = Path(args.images or tempfile.mkdtemp(prefix="wb-bench-load-"))
    t = time.perf_counter()
    make_images(folder, args.n, size=512, png_every=2)
    print(f"generated/found {args.n} images (512 px, half JPEG half PNG) in "
          f"{time.perf_counter() - t:.1f}s at {folder}")

    import workbench as wb

    rates = []
    for r in range(args.repeats):
        t = time.perf_counter()
        report = wb.load(folder, name=f"bench-load-{r}", config=wb.LoadConfig(progress=False))
        dt = time.perf_counter() - t
        assert report.added == args.n, report.summary()
        rates.append(args.n / dt)
        print(f"run {r + 1}: {args.n} images in {dt:.2f}s = {args.n / dt:.0f} images/s")
    print(f"machine: {machine()}")
    print(f"median: {median(rates):.0f} images/s (target > 150)")


if __name__ == "__main__":
    main()
