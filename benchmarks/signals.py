"""Load throughput with and without reading the rights signals inside the files.

Usage: .venv/bin/python benchmarks/signals.py [--n 5000] [--repeats 3] [--only generated|real]

The workbench has no switch to stop reading signals (an opt-out written in a file must
never be missed), so "off" is made here, for the benchmark only: in this process, before
the decode workers fork, the three steps that signal reading adds are replaced by no-ops:
the search for a C2PA marker while hashing (plain sha256 instead), the header reading
(XMP, PNG text, EXIF, IPTC) and the C2PA manifest reading. Everything else is the same
``wb.load``: hashing, decoding, perceptual hash, colour signature, quality scores, and the
writes to FiftyOne.

Each repeat loads the folder into a new dataset, "off" and "on" alternated (off, on, off,
on, ...) so that the machine's drift hits both alike. Printed: images/s of each run, the
median of each, and on/off as the ratio of the medians and the median of the paired
ratios (each "on" run against the "off" run just before it). Target: within 1.3x
(time on / time off <= 1.3) on the 5,000-image folder and on the real corpus.

Folders: ``--n`` generated 512 px images (half JPEG, half PNG: the folder of
``benchmarks/load.py``), and the real corpus (Debian's tuxpaint-stamps-default, 796 PNGs).
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from _common import bench_data_dir, isolate_fiftyone, machine, make_images, median, real_corpus


@contextlib.contextmanager
def signals_off():
    """Replace the signal-reading steps of :func:`workbench.core.intake.inspect.inspect_file`."""
    from workbench.core.intake import inspect
    from workbench.core.pixels.hashing import sha256_file

    saved = inspect.sha256_and_markers, inspect.read_header, inspect.read_c2pa
    inspect.sha256_and_markers = lambda path, markers: (sha256_file(path), set())
    inspect.read_header = lambda image, found: None
    inspect.read_c2pa = lambda path, found: None
    try:
        yield
    finally:
        inspect.sha256_and_markers, inspect.read_header, inspect.read_c2pa = saved


def bench(label: str, folder: Path, n_files: int, repeats: int) -> tuple[float, float]:
    import time

    import workbench as wb

    print(f"\n{label}: {n_files} images in {folder}", flush=True)
    rates: dict[str, list[float]] = {"off": [], "on": []}
    seconds: dict[str, list[float]] = {"off": [], "on": []}
    for r in range(repeats):
        for kind in ("off", "on"):
            name = f"bench-signals-{label}-{kind}-{r}"
            context = signals_off() if kind == "off" else contextlib.nullcontext()
            with context:
                t = time.perf_counter()
                report = wb.load(folder, name=name, config=wb.LoadConfig(progress=False))
                dt = time.perf_counter() - t
            if report.inspected != n_files:
                raise RuntimeError(f"{label} {kind}: read {report.inspected} files, expected "
                                   f"{n_files}: {report.summary(details=False)}")
            tally = report.signals or {}
            found = tally.get("files", 0) - tally.get("no_embedded_signal", 0)
            rates[kind].append(n_files / dt)
            seconds[kind].append(dt)
            print(f"  run {r + 1} signals {kind:<3}: {dt:6.1f} s = {n_files / dt:5.0f} images/s "
                  f"(files with a signal found: {found})", flush=True)
            wb.get_dataset(name).delete()
    paired = [on / off for on, off in zip(seconds["on"], seconds["off"])]
    of_medians = median(seconds["on"]) / median(seconds["off"])
    print(f"  median: off {median(rates['off']):.0f} images/s, on {median(rates['on']):.0f} "
          f"images/s; time on/off {of_medians:.3f} (medians), {median(paired):.3f} (median of "
          f"paired runs: {', '.join(f'{p:.3f}' for p in paired)}); target <= 1.3", flush=True)
    return of_medians, median(paired)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="generated images")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("generated", "real"))
    args = parser.parse_args()
    isolate_fiftyone()
    print(f"machine: {machine()}", flush=True)
    if args.only in (None, "generated"):
        folder = bench_data_dir() / f"load-{args.n}"
        files = make_images(folder, args.n, size=512, png_every=2)
        bench("generated", folder, len(files), args.repeats)
    if args.only in (None, "real"):
        corpus = real_corpus()
        n_files = sum(1 for p in corpus.rglob("*.png"))
        bench("real", corpus, n_files, args.repeats)


if __name__ == "__main__":
    main()
