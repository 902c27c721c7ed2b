"""Load throughput and peak memory: ``workbench load`` on a generated folder.

Usage: .venv/bin/python benchmarks/load.py [--n 5000] [--repeats 3] [--large]

Each repeat runs ``python -m workbench.cli load SRC --name NEW --no-progress --json``
in a subprocess, loading the same folder into a new dataset of an isolated database,
so every file is hashed (sha256), decoded, measured and perceptually hashed, and written
to FiftyOne. Printed per run:

  images/s   files read / the load's own time (the ``seconds`` of its report: from
             scanning the folder to the last commit, without Python start-up and imports);
  wall       the whole process, start-up included;
  peak RSS   the command's own high-water mark (VmHWM at exit), the largest decode
             worker, and the largest sum over the command and its workers (sampled
             every 20 ms; pages shared after fork count once per process).

``--large`` adds four images above 100 megapixels (PNGs of 169 MP RGBA, 231 MP RGB and
600 MP RGBA, and a 231 MP JPEG; built once, kept under
``~/.cache/palette-workbench/bench/large``), which are decoded shrunk.
Targets: > 150 images/s (without ``--large``); peak RSS of the command and of each
worker at most 1.5 GB (1,536 MB), with or without the large images.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import isolate_fiftyone, large_images, machine, make_images, median, run_cli_measured

#: Peak RSS allowed for the load command and for each of its workers (MB).
BUDGET_MB = 1536


def source_folder(files: list[Path], large: list[Path]) -> Path:
    """A new folder of links to ``files``, and to ``large`` in a sub-folder ``scans``."""
    source = Path(tempfile.mkdtemp(prefix="wb-bench-load-src-"))
    for path in files:
        os.symlink(path.resolve(), source / path.name)
    if large:
        (source / "scans").mkdir()
        for path in large:
            os.symlink(path.resolve(), source / "scans" / path.name)
    return source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="generated images")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large", action="store_true",
                        help="add the four images above 100 megapixels")
    parser.add_argument("--images", default=None, help="folder to cache generated images")
    args = parser.parse_args()

    isolate_fiftyone()
    folder = Path(args.images or tempfile.mkdtemp(prefix="wb-bench-load-"))
    t = time.perf_counter()
    files = make_images(folder, args.n, size=512, png_every=2)
    print(f"generated/found {args.n} images (512 px, half JPEG half PNG) in "
          f"{time.perf_counter() - t:.1f}s at {folder}")
    large = large_images() if args.large else []
    if large:
        print("with " + ", ".join(p.name for p in large))
    source = source_folder(files, large)
    n_files = len(files) + len(large)

    rates, peaks = [], []
    for r in range(args.repeats):
        run = run_cli_measured("load", str(source), "--name", f"bench-load-{r}", "--no-progress",
                               "--json")
        report = run.json()
        if report["added"] != n_files or report["skipped"]:
            raise RuntimeError(f"expected {n_files} files added, none skipped; got "
                               f"{report['added']} added, skipped {report['skipped'][:3]}")
        rates.append(n_files / report["seconds"])
        peaks.append(run.peak_mb)
        print(f"run {r + 1}: {n_files} images in {report['seconds']:.2f}s = {rates[-1]:.0f} "
              f"images/s (wall {run.seconds:.1f}s); peak RSS: command {run.command_mb:.0f} MB, "
              f"largest worker {run.workers_mb:.0f} MB, sum {run.tree_mb:.0f} MB", flush=True)
    print(f"machine: {machine()}")
    target = " (target > 150)" if not large else ""
    print(f"median: {median(rates):.0f} images/s{target}")
    print(f"peak RSS, largest process: {max(peaks):.0f} MB (budget {BUDGET_MB} MB: "
          f"{'met' if max(peaks) <= BUDGET_MB else 'NOT met'})")


if __name__ == "__main__":
    main()
