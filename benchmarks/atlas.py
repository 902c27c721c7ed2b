"""The image atlas at 8,000 images: time and peak memory of ``workbench atlas``.

Usage: .venv/bin/python benchmarks/atlas.py [--n 8000]

Builds (or reuses) the folder of exactly N images that ``benchmarks/real.py`` builds: the
796 Tux Paint stamps, hue-rotated copies of them in the same category folders, and four
images above 100 megapixels (169, 231 and 600 MP PNGs and a 231 MP JPEG). Prepares it
with ``load``, ``embed --model bundled``, ``map`` and ``gaps`` (for the clusters), then
measures, each as the command a user types in its own process:

  atlas N --out OUT/atlas-all.png --n N     every image on the map (the stress case)
  atlas N --out OUT/atlas.png               the default: 1,024 stratified by cluster

and prints the wall time (Python start-up and imports included), the command's own
``seconds``, and the peak RSS (VmHWM). Target: under 30 s for 8,000 images.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from _common import isolate_fiftyone, machine, real_corpus, run_cli_measured
from real import LICENSE, build_folder

TARGET_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8000, help="images in the folder")
    args = parser.parse_args()
    isolate_fiftyone()
    src = build_folder(real_corpus(), args.n)
    out = Path(tempfile.mkdtemp(prefix="wb-bench-atlas-"))
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(out / "embedding-cache"))
    name = f"bench-atlas-{args.n}"
    print(f"machine: {machine()}\n{args.n} images in {src}", flush=True)
    for step in (["load", str(src), "--name", name, "--labels-from-folders", "category",
                  "--license", LICENSE, "--no-progress"],
                 ["embed", name, "--model", "bundled", "--no-progress"],
                 ["map", name],
                 ["gaps", name, "--by", "category"]):
        run = run_cli_measured(*step, "--json", env=env)
        print(f"  prepare: {step[0]:<6} {run.seconds:6.1f} s", flush=True)
    results = []
    for label, extra in (("all", ["--n", str(args.n)]), ("default", [])):
        png = out / f"atlas-{label}.png"
        run = run_cli_measured("atlas", name, "--out", str(png), *extra, "--json", env=env)
        payload = run.json()
        results.append((label, run, payload))
        print(f"  atlas ({label}): {payload['placed']} thumbnails, grid {payload['grid']}, "
              f"cell {payload['cell_px']} px, image {payload['image_width']} x "
              f"{payload['image_height']} px ({png.stat().st_size / 2**20:.1f} MB PNG), "
              f"{len(payload['unreadable'])} unreadable; wall {run.seconds:.1f} s, own "
              f"{payload['seconds']:.1f} s; peak RSS {run.command_mb:.0f} MB", flush=True)
    label, run, payload = results[0]
    verdict = "met" if run.seconds < TARGET_S else "NOT met"
    print(f"\ntarget (atlas of {payload['placed']} images under {TARGET_S:.0f} s, wall): "
          f"{verdict} ({run.seconds:.1f} s); outputs in {out}")


if __name__ == "__main__":
    main()
