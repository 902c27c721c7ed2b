"""The whole journey on real images, stage by stage, as the commands a user types.

Usage: .venv/bin/python benchmarks/real.py [--n 1000 --n 5000]

Runs each stage as ``python -m workbench.cli ...`` in its own process, in order:

  load SRC --name N --labels-from-folders category --license GPL-2.0-or-later
  embed N --model bundled                  (cold: a new, empty embedding cache)
  map N
  gaps N --by category --html OUT/coverage.html
  select N --n 160 --by category --allow-license GPL-2.0-or-later
  export N --format kohya --out OUT/kohya
  export N --format imagefolder --out OUT/imagefolder

(each with ``--json``, and ``--no-progress`` where the command has it) and prints, per
stage: the wall time of the process (Python start-up and imports included), and the
command's own time where its report gives one; images/s (images the stage handled / the
wall time); peak RSS: the command's own high-water mark (VmHWM at exit), the largest
worker process, and the largest sum over the command and its workers (sampled every
20 ms; pages shared after fork count once per process).

Without ``--n`` it runs on the real corpus as it is: Debian's tuxpaint-stamps-default,
796 clip-art PNGs in 16 category folders (GPL-2.0-or-later; ``scripts/real_corpus.py``
fetches it). Each ``--n N`` (repeatable) builds a folder of exactly N images: the
corpus, hue-rotated copies of its stamps in the same category folders to fill up (a
``tEXt`` chunk names the source and the variant, so every file's sha256 differs), and
four images above 100 megapixels in a folder ``scans``: PNGs of 169 MP (RGBA), 231 MP
(RGB) and 600 MP (RGBA) and a JPEG of 231 MP. Folders and large images are kept under
``~/.cache/palette-workbench/bench`` (``$WORKBENCH_BENCH_DATA``) for reruns.

Acceptance: peak RSS of ``workbench load`` and of ``workbench embed`` (the command or
any one worker) at most 1.5 GB (1,536 MB), at 1,000 and at 5,000 images with the large
images.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from _common import (
    Measured,
    bench_data_dir,
    isolate_fiftyone,
    large_images,
    link_or_copy,
    machine,
    real_corpus,
    run_cli_measured,
)

LICENSE = "GPL-2.0-or-later"
#: Peak RSS allowed for ``workbench load`` and ``workbench embed`` (MB).
BUDGET_MB = 1536
SELECT_N = 160
#: Marks a benchmark folder as complete; written last.
DONE = ".complete"


@dataclass
class Stage:
    """One command of the journey and what it measured."""

    name: str
    images: int
    run: Measured

    @property
    def rate(self) -> float:
        return self.images / self.run.seconds


def _recolour(job: tuple[str, str, int]) -> None:
    """Write a hue-rotated copy of one stamp (alpha kept), tagged with its origin."""
    from PIL import Image, PngImagePlugin

    src, dst, variant = job
    with Image.open(src) as img:
        rgba = img.convert("RGBA")
    alpha = rgba.getchannel("A")
    h, s, v = rgba.convert("RGB").convert("HSV").split()
    # Golden-ratio steps give well-spread hues for any number of variants; a floor on
    # saturation tints grey stamps too, so no variant repeats its source's pixels.
    shift = int(256 * ((variant * 0.6180339887) % 1.0))
    h = h.point(lambda x: (x + shift) % 256)
    s = s.point(lambda x: max(x, 64))
    out = Image.merge("HSV", (h, s, v)).convert("RGB")
    out.putalpha(alpha)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", f"benchmark variant {variant} of {Path(src).name}, hue +{shift}/256")
    tmp = Path(dst).with_name(f".{Path(dst).name}.partial")
    out.save(tmp, format="PNG", pnginfo=info)
    tmp.rename(dst)


def build_folder(corpus: Path, n: int) -> Path:
    """A folder of exactly ``n`` images: corpus, recoloured stamps, the large images."""
    folder = bench_data_dir() / f"real-n{n}"
    if (folder / DONE).exists():
        return folder
    stamps = sorted(corpus.rglob("*.png"))
    large = large_images()
    if n < len(large) + 16:
        raise ValueError(f"--n must be at least {len(large) + 16} (the large images and one "
                         f"stamp per category); got {n}")
    n_real = n - len(large)
    if n_real < len(stamps):  # an even spread over the sorted paths keeps every category
        stamps = [stamps[i * len(stamps) // n_real] for i in range(n_real)]
    for path in stamps:
        if not (folder / path.relative_to(corpus)).exists():
            link_or_copy(path, folder / path.relative_to(corpus))
    jobs = []
    extra = n_real - len(stamps)
    for j in range(extra):
        variant, i = divmod(j, len(stamps))
        # Each round of variants is spread evenly over the stamps (and so the categories).
        in_round = min(len(stamps), extra - variant * len(stamps))
        src = stamps[i * len(stamps) // in_round]
        variant += 1
        rel = src.relative_to(corpus)
        dst = folder / rel.with_name(f"{rel.stem}-hue{variant}.png")
        if not dst.exists():
            jobs.append((str(src), str(dst), variant))
    with ProcessPoolExecutor() as pool:
        list(pool.map(_recolour, jobs, chunksize=64))
    for path in large:
        if not (folder / "scans" / path.name).exists():
            link_or_copy(path, folder / "scans" / path.name)
    found = sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    if found != n:
        raise RuntimeError(f"{folder} holds {found} images; expected {n}. Delete it and rerun.")
    (folder / DONE).write_text(f"{n} images\n")
    return folder


def journey(src: Path, name: str, n_files: int) -> list[Stage]:
    """Run every stage on ``src`` as dataset ``name``, printing each as it ends."""
    out = Path(tempfile.mkdtemp(prefix="wb-bench-real-"))
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(out / "embedding-cache"))
    stages: list[Stage] = []

    def stage(label: str, images_of, *args: str) -> dict:
        run = run_cli_measured(*args, "--json", env=env)
        payload = run.json()
        stages.append(Stage(label, images_of(payload), run))
        s = stages[-1]
        own = f" (its report: {payload['seconds']:.1f} s)" if "seconds" in payload else ""
        print(f"  {label:<18} {run.seconds:7.1f} s  {s.rate:8.1f} images/s  peak RSS: command "
              f"{run.command_mb:5.0f} MB, largest worker {run.workers_mb:5.0f} MB, "
              f"sum {run.tree_mb:5.0f} MB{own}", flush=True)
        return payload

    loaded = stage("load", lambda p: p["inspected"], "load", str(src), "--name", name,
                   "--labels-from-folders", "category", "--license", LICENSE, "--no-progress")
    total = loaded["total"]
    print(f"    {loaded['added']} added of {n_files} files, {total} usable; "
          f"{len(loaded['skipped'])} skipped, {len(loaded['duplicates'])} exact duplicate(s)")
    embedded = stage("embed (bundled)", lambda p: p["computed"], "embed", name,
                     "--model", "bundled", "--no-progress")
    if embedded["failed"]:
        print(f"    embed failed on {len(embedded['failed'])}: {embedded['failed'][:3]}")
    stage("map", lambda p: total, "map", name)
    stage("gaps", lambda p: total, "gaps", name, "--by", "category",
          "--html", str(out / "coverage.html"))
    selected = stage("select", lambda p: total, "select", name, "--n", str(SELECT_N),
                     "--by", "category", "--allow-license", LICENSE)
    if selected["selected"] != SELECT_N:
        raise RuntimeError(f"select chose {selected['selected']} images, not {SELECT_N}")
    for fmt in ("kohya", "imagefolder"):
        stage(f"export {fmt}", lambda p: SELECT_N, "export", name, "--format", fmt,
              "--out", str(out / fmt))
    print(f"    outputs in {out}")
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", default=None,
                        help="build a folder of exactly N images (repeatable); "
                             "default: the real corpus as it is")
    args = parser.parse_args()
    isolate_fiftyone()
    corpus = real_corpus()
    runs = [("corpus", corpus)] if not args.n else \
        [(f"n{n}", build_folder(corpus, n)) for n in args.n]
    print(f"machine: {machine()}", flush=True)
    verdicts = []
    for label, src in runs:
        n_files = sum(1 for p in src.rglob("*") if p.suffix in (".png", ".jpg"))
        print(f"\n{label}: {n_files} images in {src}", flush=True)
        stages = journey(src, f"bench-real-{label}", n_files)
        for s in stages[:2]:
            ok = s.run.peak_mb <= BUDGET_MB
            verdicts.append(ok)
            print(f"  {label} {s.name}: peak RSS {s.run.peak_mb:.0f} MB "
                  f"({'within' if ok else 'OVER'} the {BUDGET_MB} MB budget)")
        print(f"  total {sum(s.run.seconds for s in stages):.1f} s", flush=True)
    print(f"\nacceptance (load and embed peak RSS <= {BUDGET_MB} MB): "
          f"{'met' if all(verdicts) else 'NOT met'}")


if __name__ == "__main__":
    main()
