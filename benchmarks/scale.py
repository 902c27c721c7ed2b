"""The steps after embedding, at a million: map, near-duplicates, gaps, selection.

Synthetic 512-d unit embeddings around 2,000 centres (as ``benchmarks/selection.py``
makes them), with 1% planted near-copies, and realistic metadata: 40 styles of
Zipf-like sizes, 20,000 creators, a licence and consent mix, pHashes and colour
signatures (copies near their source). Each step runs the workbench's own core code
on arrays, as the glue calls it, in this process; its time and peak RSS (sampled every
20 ms, the inputs included) are printed, then a table, and the step that would break
first (the largest share of the time or of the memory budget).

Run: ``.venv/bin/python benchmarks/scale.py --n 1000000`` (``--budget-gb 16``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402
from selection import PeakRSS, _rss, clustered, plant_copies, synthetic_records  # noqa: E402

N_STYLES = 40


def records_for(n: int, planted: np.ndarray, seed: int = 7):
    """Metadata per row: style, creator, licence, consent, AI flag, hashes, colours."""
    rng = np.random.default_rng(seed)
    records = synthetic_records(n, planted, seed)
    shares = 1.0 / np.arange(1, N_STYLES + 1) ** 0.9
    records["style"] = np.array([f"style-{g:02d}" for g in range(N_STYLES)])[
        rng.choice(N_STYLES, n, p=shares / shares.sum())]
    records["creator"] = rng.integers(0, 20_000, n).astype(str)
    records["license"] = rng.choice(["CC-BY-4.0", "CC0-1.0", "CC-BY-NC-4.0", None], n,
                                    p=[0.6, 0.25, 0.1, 0.05])
    records["license_status"] = np.where(records["license"].isna(), "unknown", "valid")
    records["consent"] = rng.choice(["granted", "unknown", "opted_out"], n, p=[0.8, 0.18, 0.02])
    records["ai_generated"] = rng.choice(["false", "true", "unknown"], n, p=[0.9, 0.03, 0.07])
    records["sha256"] = [f"{i:064x}" for i in range(n)]
    records["width"], records["height"] = 1024, 768
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--select", type=int, default=10_000, help="images to select")
    parser.add_argument("--budget-gb", type=float, default=16.0)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} at start")

    from workbench.core.dedup.candidates import DedupConfig, duplicate_groups, near_duplicate_pairs
    from workbench.core.maps import density
    from workbench.core.maps.clustering import ClusterConfig, cluster_embeddings
    from workbench.core.maps.gaps import creator_concentration, representation
    from workbench.core.maps.projection import MapConfig, umap_2d
    from workbench.core.selection.select import SelectConfig, select_balanced

    t = time.perf_counter()
    x = clustered(args.n, 2_000, seed=4)
    planted = plant_copies(x, args.n // 100, seed=5)
    records = records_for(args.n, planted)
    print(f"data: {args.n:,} x {x.shape[1]} ({x.nbytes / 2**30:.2f} GiB) and metadata made in "
          f"{time.perf_counter() - t:.0f} s; RSS {_rss() / 2**30:.2f} GiB")

    results: dict[str, tuple[float, float, str]] = {}

    def step(name: str, fn):
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            note = fn()
            seconds = time.perf_counter() - t0
        results[name] = (seconds, mem.peak / 2**30, note)
        print(f"{name}: {seconds:.0f} s, peak RSS {mem.peak / 2**30:.2f} GiB; {note}", flush=True)

    state: dict = {}

    def do_map():
        config = MapConfig()
        state["coords"] = umap_2d(x, config)
        if args.n <= config.fit_sample:
            return f"UMAP fitted on all {args.n:,}"
        return (f"UMAP fitted on a stratified {config.fit_sample:,}, the other "
                f"{args.n - config.fit_sample:,} placed by their nearest sampled neighbours")

    def do_dedup():
        pairs = near_duplicate_pairs(records, x, DedupConfig())
        dup = pairs[pairs["verdict"] == "duplicate"]
        groups = duplicate_groups(len(x), dup["i"].to_numpy(), dup["j"].to_numpy())
        found = len({(int(a), int(b)) for a, b in dup[["i", "j"]].to_numpy()} &
                    {(int(a), int(b)) for a, b in planted})
        return (f"{len(dup):,} duplicate pairs ({found / len(planted):.1%} of the planted "
                f"copies), {int((pairs['verdict'] == 'review').sum()):,} to review, "
                f"{int((np.bincount(groups[groups >= 0]) >= 2).sum()):,} groups of copies")

    def do_gaps():
        rep = representation(records["style"].tolist(), None)
        creators = creator_concentration(records["style"].tolist(), records["creator"].tolist())
        clusters = cluster_embeddings(x, ClusterConfig())
        tiny = density.tiny_clusters(clusters.labels)
        sparse = density.sparse_regions(state["coords"])
        return (f"{len(rep.table)} groups, {int(creators['flagged'].sum())} creator flags, "
                f"{clusters.k} clusters ({clusters.method}), {len(tiny)} tiny, "
                f"{len(sparse)} sparse map regions")

    def do_select():
        sel = select_balanced(records, x, args.select, by="style", config=SelectConfig(seed=0))
        return (f"{len(sel):,} selected, balance {sel.balance_before:.3f} -> "
                f"{sel.balance_after:.3f}; excluded {sel.excluded_counts()}")

    for name, fn in (("map", do_map), ("near-duplicates", do_dedup), ("gaps", do_gaps),
                     ("selection", do_select)):
        step(name, fn)

    budget = args.budget_gb
    print(f"\n| step ({args.n:,} x 512) | time | peak RSS (inputs included) | note |")
    print("|---|---|---|---|")
    for name, (seconds, peak, note) in results.items():
        print(f"| {name} | {seconds:.0f} s | {peak:.2f} GiB | {note} |")
    total = sum(s for s, _, _ in results.values())
    worst_mem = max(results, key=lambda k: results[k][1])
    worst_time = max(results, key=lambda k: results[k][0])
    print(f"\nall four steps: {total:.0f} s; highest peak {results[worst_mem][1]:.2f} GiB "
          f"({worst_mem}) of a {budget:.0f} GiB budget: "
          f"{'within' if results[worst_mem][1] <= budget else 'OVER'} budget")
    print(f"first to break as the collection grows: {worst_mem} on memory "
          f"({results[worst_mem][1] / budget:.0%} of the budget), {worst_time} on time "
          f"({results[worst_time][0] / total:.0%} of the time)")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
