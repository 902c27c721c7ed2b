"""The Ray engine on one machine: 1 worker against 2, for inspection and for embedding.

Loads the real corpus (Debian's Tux Paint stamps) with ``engine="ray"`` on a local Ray of
1 and of 2 CPUs, then embeds it (bundled model, a fresh cache each time) on 1 and 2 Ray
actors; the local engine is timed beside them. Ray's start-up is timed apart.
Prints seconds and images/s per run and the 2-worker/1-worker speed-up (median of the
repeats, runs interleaved so that a busy moment hits both sides).

Run: ``.venv/bin/python benchmarks/ray_engine.py --repeats 2``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import isolate_fiftyone, machine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    isolate_fiftyone()
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "real_corpus", Path(__file__).resolve().parent.parent / "scripts" / "real_corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    root = corpus.fetch()

    import fiftyone as fo

    import workbench as wb

    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} at start")
    times: dict[tuple[str, str], list[float]] = {}
    n = 0
    from workbench.glue.ray_engine import ray_session

    startup: list[float] = []
    for rep in range(args.repeats):
        for engine, workers in (("local", None), ("ray", 1), ("ray", 2)):
            label = engine if engine == "local" else f"ray x{workers}"
            name = f"bench-ray-{rep}-{label.replace(' ', '')}"
            if fo.dataset_exists(name):
                fo.delete_dataset(name)
            t = time.perf_counter()
            session = ray_session(num_cpus=workers) if engine == "ray" else None
            if session is not None:  # Ray's start-up, timed apart from the steps
                session.__enter__()
                startup.append(time.perf_counter() - t)
            t = time.perf_counter()
            report = wb.load(root, name=name, labels_from_folders="category",
                             config=wb.LoadConfig(progress=False, engine=engine, workers=workers,
                                                  check_quality=False))
            times.setdefault(("load", label), []).append(time.perf_counter() - t)
            n = report.total
            ds = wb.get_dataset(name)
            with tempfile.TemporaryDirectory() as cache:
                t = time.perf_counter()
                wb.embed(ds, config=wb.EmbedConfig(model="bundled", progress=False, engine=engine,
                                                   engine_workers=workers, cache_dir=cache))
                times.setdefault(("embed", label), []).append(time.perf_counter() - t)
            if session is not None:
                session.__exit__(None, None, None)
            fo.delete_dataset(name)

    print(f"\n{n} real PNGs; seconds per step (median of {args.repeats}); starting a local "
          f"Ray takes {statistics.median(startup):.1f} s more, once per run")
    print("| step | local engine | ray, 1 worker | ray, 2 workers | ray 2 / ray 1 speed-up |")
    print("|---|---|---|---|---|")
    for step in ("load", "embed"):
        med = {label: statistics.median(times[(step, label)])
               for label in ("local", "ray x1", "ray x2")}
        print(f"| {step} | {med['local']:.1f} s ({n / med['local']:.0f}/s) | "
              f"{med['ray x1']:.1f} s ({n / med['ray x1']:.0f}/s) | "
              f"{med['ray x2']:.1f} s ({n / med['ray x2']:.0f}/s) | "
              f"{med['ray x1'] / med['ray x2']:.2f}x |")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
