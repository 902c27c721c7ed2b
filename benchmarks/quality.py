"""Quality checks on real clip art with planted defects: the workbench against cleanvision.

Usage: .venv/bin/python benchmarks/quality.py [--per-kind 40] [--seed 0]
(needs ``pip install cleanvision==0.3.7``; it is not a dependency of the workbench)

The images: the real corpus (Debian's Tux Paint stamps, 796 clip-art PNGs: RGBA, grey +
alpha, palette) plus ``--per-kind`` planted copies of each defect kind of
``tests/pure/test_quality_real.py`` (blank, near blank, dark, washed out, blurred, mostly
padding) and a few more kinds that probe the edges (milder blurs, a stronger one, a 10%
fade, a half-size picture on an empty canvas), plus copies in styles that are not defects
and that no content check (blank, dark, washed out, blurry) should flag: the test's 1 px
line art on transparency and pastel recolours that keep their dark outlines, and a
highlight-clipping over-exposure that keeps true blacks (there is no over-exposure check:
a bright picture that keeps its dark strokes is a style). They are built once under
``~/.cache/palette-workbench/bench/quality`` (``$WORKBENCH_BENCH_DATA``).

Three runs, each in its own process, measured from outside (wall time) and inside (the
process's own peak RSS, VmHWM from /proc/self/status at exit; ``ru_maxrss`` would carry
this script's high-water mark across fork and exec), with child processes sampled too:

  workbench        every file decoded with ``open_rgb(path, draft_size=INSPECT_SIZE)``,
                   scored with ``quality_scores`` and judged with ``judge_quality``
  cleanvision      ``Imagelab(filepaths).find_issues(ISSUE_TYPES, n_jobs=1)`` on the
                   same files as they are
  cleanvision-rgb  the same on RGB copies, every image flattened on white exactly as the
                   workbench decodes it (cleanvision crashes on grey + alpha PNGs)

cleanvision issue types map to checks as: low_information -> blank, dark -> dark,
light -> washed_out, blurry -> blurry, odd_aspect_ratio -> extreme_aspect; it has no
padding check, and its odd_size (sizes far from the collection's) is not
below_resolution. Its duplicate checks are not run (the workbench does those elsewhere).

Prints per tool: flag rates on the clean stamps per check, recall per planted kind, the
share of each style flagged by a content check, time and peak RSS (``--workbench-only``
skips cleanvision); for the workbench also the development and held-out halves of the stamps
(md5 of the relative path ending in 0-7, or not) apart.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import REPO, bench_data_dir, link_or_copy, machine, real_corpus

#: cleanvision issue types run (its image-property checks), and the check each maps to.
ISSUE_TYPES = {"low_information": "blank", "dark": "dark", "light": "washed_out",
               "blurry": "blurry", "odd_aspect_ratio": "extreme_aspect",
               "odd_size": None, "grayscale": None}


def _planting():
    """The planted-defect code of ``tests/pure/test_quality_real.py`` (one definition)."""
    sys.path.insert(0, str(REPO / "tests"))
    spec = importlib.util.spec_from_file_location(
        "quality_planting", REPO / "tests" / "pure" / "test_quality_real.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _extra_kinds(planting) -> dict:
    """Benchmark-only kinds: name -> (check it should trip, or None for a style that no
    content check should flag, maker(img, index))."""
    from PIL import Image, ImageFilter

    def blur(sigma):
        return lambda img, i: img.filter(ImageFilter.GaussianBlur(
            sigma * max(1.0, max(img.size) / planting.SCORE_SIZE)))

    def gain(img, i):  # two stops of exposure in linear light, clipped: blacks stay black
        lin = (np.asarray(img, np.float32) / 255) ** 2.2 * 4
        return Image.fromarray((np.clip(lin, 0, 1) ** (1 / 2.2) * 255).round()
                               .astype(np.uint8))

    return {
        "blurry_sigma1": ("blurry", blur(1)), "blurry_sigma1.5": ("blurry", blur(1.5)),
        "blurry_sigma3": ("blurry", blur(3)), "overexposed_gain4": (None, gain),
        "near_blank_faint10": ("blank", lambda img, i: planting._tone(
            img, lambda v: 255 - (255 - v) * 0.10)),
        "padding_half": ("mostly_padding", lambda img, i: planting._on_canvas(
            img, 1 / 2, (255, 255, 255))),
        **{kind: (None, lambda img, i, k=kind: planting.plant(k, img, i))
           for kind in planting.STYLES},
    }


def build(folder: Path, per_kind: int, seed: int) -> list[dict]:
    """The benchmark folder: originals (stamps + planted) and flattened RGB copies."""
    manifest_path = folder / f"manifest-v2-{per_kind}-{seed}.json"
    if manifest_path.exists():
        return json.loads(manifest_path.read_text())
    planting = _planting()
    from helpers.realdata import real_items

    from workbench.core.intake.inspect import INSPECT_SIZE
    from workbench.core.pixels.images import open_rgb

    items = real_items(real_corpus())
    decoded = planting.decode_all(items)
    usable = [i for i, img in enumerate(decoded)
              if (np.asarray(img) != np.asarray(img)[0, 0]).any()]
    makers = {kind: (check, lambda img, i, k=kind: planting.plant(k, img, i))
              for kind, check in planting.PLANTED.items()}
    makers.update(_extra_kinds(planting))
    rng = np.random.default_rng(seed)
    rows = []
    for it in items:
        dst = folder / "originals" / "stamps" / it.relpath
        link_or_copy(Path(it.path), dst)
        rows.append({"file": str(dst.relative_to(folder / "originals")), "kind": "clean",
                     "check": None, "source": it.relpath})
    outlined = [i for i in usable if planting._has_outline(decoded[i])]
    for kind, (check, make) in makers.items():
        pool = outlined if kind == "pastel" else usable
        for n, i in enumerate(rng.choice(pool, size=per_kind, replace=False)):
            rel = f"planted/{kind}/{n:04d}.png"
            (folder / "originals" / rel).parent.mkdir(parents=True, exist_ok=True)
            make(decoded[i], n).save(folder / "originals" / rel, compress_level=1)
            rows.append({"file": rel, "kind": kind, "check": check,
                         "source": items[i].relpath})
    for row in rows:
        flat = folder / "flat" / row["file"]
        flat.parent.mkdir(parents=True, exist_ok=True)
        img = open_rgb(folder / "originals" / row["file"], draft_size=INSPECT_SIZE).image
        img.save(flat, compress_level=1)
    manifest_path.write_text(json.dumps(rows))
    return rows


# -- the measured runs (each in a child process) -------------------------------------------

def _report_peak() -> None:
    with open("/proc/self/status") as fh:
        hwm = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    print(f"PEAK_RSS_KB {hwm}", file=sys.stderr)


def run_workbench(paths: list[str]) -> dict:
    from workbench.core.intake.inspect import INSPECT_SIZE
    from workbench.core.pixels.images import open_rgb
    from workbench.core.quality.checks import judge_quality
    from workbench.core.quality.scores import quality_scores

    t0 = time.perf_counter()
    scores, widths, heights, scoring = [], [], [], 0.0
    for path in paths:
        decoded = open_rgb(path, draft_size=INSPECT_SIZE)
        t = time.perf_counter()
        scores.append(quality_scores(decoded.image))
        scoring += time.perf_counter() - t
        widths.append(decoded.size[0])
        heights.append(decoded.size[1])
    t = time.perf_counter()
    result = judge_quality(scores, widths, heights, ids=paths)
    judging = time.perf_counter() - t
    return {"issues": dict(zip(paths, result.issues)), "seconds": time.perf_counter() - t0,
            "scoring_ms": 1000 * scoring / len(paths), "judging_s": judging,
            "thresholds": {c: t.value for c, t in result.thresholds.items()}}


def run_cleanvision(paths: list[str]) -> dict:
    from cleanvision import Imagelab

    t0 = time.perf_counter()
    try:
        lab = Imagelab(filepaths=paths, verbose=False)
        lab.find_issues({k: {} for k in ISSUE_TYPES}, n_jobs=1, verbose=False)
    except (IndexError, ValueError, TypeError, OSError) as exc:  # a crash is a result here
        return {"error": f"{type(exc).__name__}: {exc}", "seconds": time.perf_counter() - t0}
    issues = {p: [k for k in ISSUE_TYPES if bool(lab.issues.loc[p, f"is_{k}_issue"])]
              for p in paths}
    return {"issues": issues, "seconds": time.perf_counter() - t0}


def child(tool: str, root: Path, files: list[str], out: Path) -> None:
    atexit.register(_report_peak)
    paths = [str(root / f) for f in files]
    result = run_workbench(paths) if tool == "workbench" else run_cleanvision(paths)
    if "issues" in result:
        result["issues"] = {f: result["issues"][str(root / f)] for f in files}
    out.write_text(json.dumps(result))


def measured(tool: str, root: Path, files_json: Path, out: Path) -> tuple[float, float, float]:
    """Run one tool in a child process: (wall seconds, own peak MB, largest child MB)."""
    import psutil

    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", tool, "--root", str(root),
                             "--files", str(files_json), "--out", str(out)],
                            stderr=subprocess.PIPE, text=True, cwd=REPO / "benchmarks")
    watched, kids = psutil.Process(proc.pid), 0.0
    while proc.poll() is None:
        try:
            kids = max([kids] + [c.memory_info().rss / 2**20 for c in watched.children(True)])
        except psutil.Error:
            pass
        time.sleep(0.05)
    stderr = proc.stderr.read()
    wall = time.perf_counter() - t
    lines = [ln for ln in stderr.splitlines() if ln.startswith("PEAK_RSS_KB ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{tool} exited {proc.returncode}; stderr ends:\n{stderr[-3000:]}")
    return wall, int(lines[-1].split()[1]) / 1024, kids


# -- the comparison --------------------------------------------------------------------

PICTURE = ("blank", "dark", "washed_out", "blurry", "mostly_padding")
#: The checks that exclude by default: the ones a style must not trip.
CONTENT = ("blank", "dark", "washed_out", "blurry")


def tally(rows: list[dict], issues: dict, mapping: dict | None) -> dict:
    """Clean flag rates per check, and per planted kind the share its own check flagged
    (recall) and the share any picture check flagged; in workbench check names."""
    def checks(row):
        found = issues[row["file"]]
        return {mapping.get(i) or i for i in found} if mapping else set(found)

    clean = [r for r in rows if r["kind"] == "clean"]
    names = sorted({c for r in clean for c in checks(r)})
    rates = {c: sum(c in checks(r) for r in clean) / len(clean) for c in names}
    any_picture = sum(bool(checks(r) & set(PICTURE)) for r in clean) / len(clean)
    recall, anywhere, styles = {}, {}, {}
    for kind in dict.fromkeys(r["kind"] for r in rows if r["kind"] != "clean"):
        planted = [r for r in rows if r["kind"] == kind]
        if planted[0]["check"] is None:
            styles[kind] = sum(bool(checks(r) & set(CONTENT)) for r in planted) / len(planted)
            continue
        recall[kind] = sum(r["check"] in checks(r) for r in planted) / len(planted)
        anywhere[kind] = sum(bool(checks(r) & set(PICTURE)) for r in planted) / len(planted)
    return {"clean": len(clean), "rates": rates, "any_picture": any_picture,
            "recall": recall, "anywhere": anywhere, "styles": styles}


def _dev(relpath: str) -> bool:
    return int(hashlib.md5(relpath.encode()).hexdigest()[-1], 16) < 8


def show(label: str, t: dict) -> None:
    print(f"\n{label}: {t['clean']} clean stamps")
    print(f"  clean stamps with a picture-check flag: {t['any_picture']:.2%}")
    print("  clean flag rate per check: " + ", ".join(f"{c} {v:.2%}"
                                                       for c, v in t["rates"].items()))
    print("  planted kind: recall of its check (any picture check): " + ", ".join(
        f"{k} {v:.1%} ({t['anywhere'][k]:.0%})" for k, v in t["recall"].items()))
    print("  styles flagged by a content check: " + ", ".join(
        f"{k} {v:.1%}" for k, v in t["styles"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", choices=("workbench", "cleanvision"))
    parser.add_argument("--root", type=Path)
    parser.add_argument("--files", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--workbench-only", action="store_true",
                        help="skip the cleanvision runs (it need not be installed)")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.root, json.loads(args.files.read_text()), args.out)
        return

    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    folder = bench_data_dir() / "quality"
    rows = build(folder, args.per_kind, args.seed)
    files_json = folder / "files.json"
    files_json.write_text(json.dumps([r["file"] for r in rows]))
    print(f"{len(rows)} images: {sum(r['kind'] == 'clean' for r in rows)} stamps, "
          f"{sum(r['kind'] != 'clean' for r in rows)} planted, in {folder}", flush=True)
    results = {}
    runs = (("workbench", "workbench", "originals"),
            ("cleanvision", "cleanvision", "originals"),
            ("cleanvision-rgb", "cleanvision", "flat"))
    for label, tool, root in runs[:1] if args.workbench_only else runs:
        out = folder / f"result-{label}.json"
        wall, own, kids = measured(tool, folder / root, files_json, out)
        results[label] = json.loads(out.read_text())
        extra = (f", scoring {results[label]['scoring_ms']:.2f} ms/image, judging "
                 f"{results[label]['judging_s'] * 1000:.0f} ms" if tool == "workbench" else "")
        print(f"\n{label}: wall {wall:.1f} s (work {results[label]['seconds']:.1f} s{extra}), "
              f"peak RSS {own:.0f} MB (largest child {kids:.0f} MB)", flush=True)
        if "error" in results[label]:
            print(f"  crashed: {results[label]['error'][:300]}")
    show("workbench, all", tally(rows, results["workbench"]["issues"], None))
    for half, keep in (("development half", True), ("held-out half", False)):
        part = [r for r in rows if _dev(r["source"]) is keep]
        show(f"workbench, {half}", tally(part, results["workbench"]["issues"], None))
    print("\nworkbench thresholds:", {c: round(v, 4) for c, v in
                                      results["workbench"]["thresholds"].items()})
    if "issues" in results.get("cleanvision-rgb", {}):
        show("cleanvision 0.3.7 on RGB copies (issue types mapped to checks)",
             tally(rows, results["cleanvision-rgb"]["issues"], ISSUE_TYPES))


if __name__ == "__main__":
    main()
