"""``workbench run`` cold and warm: each stage's time and its share of the whole.

Usage: .venv/bin/python benchmarks/run.py [--repeats 3] [--only sample|real]

For each collection (``sample_data/`` and the real corpus, Debian's tuxpaint-stamps-default
fetched by ``scripts/real_corpus.py``), each repeat runs, as a user types it:

  cold  ``workbench run SRC --out OUT --json --no-progress`` into a new database and with a
        new, empty embedding cache: every file is inspected and embedded;
  warm  the same command again on that database and cache: the load finds every file
        unchanged and the embeddings come from the cache.

Printed per run: the process's wall time (Python start-up and imports included), the
journey's own time per stage (load, quality, embed, map, gaps, select, export; the
``seconds`` of its JSON report) and each stage's share of the stages' total, then the
medians over the repeats. Numba's compiled-code cache (UMAP) is kept between runs, as
it is for a user; a first run on a new machine pays about 20 s more to compile it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from _common import REPO, isolate_fiftyone, machine, median, real_corpus, run_cli_measured

#: What each collection needs on the command line beyond SOURCE and --out.
SAMPLE_ARGS = ("--by", "style", "--n", "120")  # as `make demo` runs it
REAL_LICENSE = "GPL-2.0-or-later"
REAL_ARGS = ("--labels-from-folders", "category", "--license", REAL_LICENSE,
             "--source", "Debian tuxpaint-stamps-default", "--allow-license", REAL_LICENSE)
STAGES = ("load", "quality", "embed", "map", "gaps", "select", "export")


def one_run(src: Path, extra: tuple[str, ...], name: str, out: Path, cache: Path) -> dict:
    """One ``workbench run``; returns its wall time and per-stage seconds."""
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(cache))
    run = run_cli_measured("run", str(src), "--out", str(out), "--name", name, *extra,
                           "--json", "--no-progress", env=env)
    seconds = run.json()["seconds"]
    return {"wall": run.seconds, "peak_mb": run.peak_mb,
            **{k: float(seconds.get(k, 0.0)) for k in STAGES}}


def show(label: str, row: dict) -> None:
    total = sum(row[k] for k in STAGES) or 1.0
    parts = ", ".join(f"{k} {row[k]:.1f} s ({row[k] / total:.0%})" for k in STAGES)
    print(f"  {label:<14} wall {row['wall']:6.1f} s, stages {total:6.1f} s, peak RSS "
          f"{row['peak_mb']:.0f} MB: {parts}", flush=True)


def bench(label: str, src: Path, extra: tuple[str, ...], repeats: int) -> None:
    print(f"\n{label}: {src}", flush=True)
    runs: dict[str, list[dict]] = {"cold": [], "warm": []}
    for r in range(repeats):
        work = Path(tempfile.mkdtemp(prefix=f"wb-bench-run-{label}-"))
        name = f"bench-run-{label}-{r}"
        for kind in ("cold", "warm"):
            runs[kind].append(one_run(src, extra, name, work / kind, work / "cache"))
            show(f"run {r + 1} {kind}", runs[kind][-1])
    for kind, rows in runs.items():
        show(f"median {kind}", {k: median([row[k] for row in rows]) for k in rows[0]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("sample", "real"))
    args = parser.parse_args()
    isolate_fiftyone()
    print(f"machine: {machine()}", flush=True)
    if args.only in (None, "sample"):
        bench("sample", REPO / "sample_data", SAMPLE_ARGS, args.repeats)
    if args.only in (None, "real"):
        bench("real", real_corpus(), REAL_ARGS, args.repeats)


if __name__ == "__main__":
    main()
