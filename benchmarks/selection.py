"""Selection benchmarks: near-duplicate detection vs FiftyOne Brain, and diverse selection.

(Not named ``select.py``: running any script in this folder puts the folder first on
``sys.path``, where a ``select.py`` would shadow the standard library's ``select`` and
break ``multiprocessing`` in every benchmark.)

Usage: .venv/bin/python benchmarks/selection.py [--part a|b|both] [--n-dedup 100000]
       [--n-select 1000000] [--repeats 3]

(a) Near duplicates on N x 512 synthetic clustered, L2-normalised embeddings with
    planted noise-perturbed copies: ``find_near_duplicates`` against
    ``fiftyone.brain.compute_near_duplicates`` on the same embeddings and threshold.
    FiftyOne's sklearn backend measures cosine *distance* on mean-centred embeddings
    (``NeighborsHelper._build_neighbors`` subtracts the mean, then uses euclidean
    distance on re-normalised vectors with radius ``sqrt(2 * thresh)``). So the data
    are centred and re-normalised once here, and both get the same array with
    ``thresh = 1 - threshold``. FiftyOne only exposes the pairs (kept sample, duplicate)
    of its greedy pass (``neighbors_map``); those are the pairs we must find.
    Targets: >= 99% of FiftyOne's pairs, no pair below the threshold, <= 0.5x its time.
    Then the whole near-duplicate step as the selection runs it by default
    (``near_duplicate_pairs`` with ``DedupConfig()``): candidates down to cosine 0.6, each
    judged on pHash and colour signature, on synthetic hashes and signatures (copies
    get their source's hash with up to 6 bits flipped and its signature with noise).
    Its time against FiftyOne's is the ratio the target applies to.
(b) ``select_balanced(strategy="diverse")``: 10,000 from N x 512 in 50 groups.
    Targets: < 60 s and < 8 GB peak RSS (the embedding array alone is N * 512 * 4 bytes,
    2 GB for a million rows).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import threading
import time

import numpy as np
from _common import isolate_fiftyone, machine

THRESHOLD = 0.95
DIM = 512


def clustered(n: int, n_centres: int, seed: int, chunk: int = 100_000) -> np.ndarray:
    """Unit vectors around ``n_centres`` random centres (within-cluster cosine ~0.5)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_centres, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = np.empty((n, DIM), dtype=np.float32)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        block = centres[rng.integers(0, n_centres, hi - lo)]
        block += rng.standard_normal((hi - lo, DIM), dtype=np.float32) / np.sqrt(DIM)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        x[lo:hi] = block
    return x


def plant_copies(x: np.ndarray, n_pairs: int, seed: int) -> np.ndarray:
    """Overwrite ``n_pairs`` rows with noisy copies of others (cosine ~0.91-0.995)."""
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    rows = rng.choice(n, 2 * n_pairs, replace=False)
    src, dst = rows[:n_pairs], rows[n_pairs:]
    eps = rng.standard_normal((n_pairs, DIM)).astype(np.float32)
    eps /= np.linalg.norm(eps, axis=1, keepdims=True)
    x[dst] = x[src] + eps * rng.uniform(0.1, 0.45, (n_pairs, 1)).astype(np.float32)
    x[dst] /= np.linalg.norm(x[dst], axis=1, keepdims=True)
    return np.stack([np.minimum(src, dst), np.maximum(src, dst)], axis=1)


def exact_pairs_touching(x: np.ndarray, rows: np.ndarray, threshold: float) -> set:
    """Every pair with cosine >= threshold that involves one of ``rows`` (float64 check)."""
    out = set()
    for lo in range(0, rows.size, 2048):
        q = rows[lo:lo + 2048]
        sims = x[q] @ x.T
        a, b = np.nonzero(sims >= threshold - 1e-4)
        for i, j in zip(q[a].tolist(), b.tolist()):
            if i != j and float(x[i].astype(np.float64) @ x[j].astype(np.float64)) >= threshold:
                out.add((min(i, j), max(i, j)))
    return out


def synthetic_records(n: int, planted: np.ndarray, seed: int):
    """Records with a random 64-bit pHash and colour signature per row; copies near their source."""
    import pandas as pd

    from workbench.core.pixels.color import SIGNATURE_SIZE
    from workbench.core.dedup.candidates import COLOR_COLUMN

    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    sigs = rng.dirichlet(np.full(SIGNATURE_SIZE, 0.3), n).astype(np.float32)
    src, dst = planted[:, 0], planted[:, 1]
    flips = rng.integers(0, 7, len(dst))
    for k, (d, f) in enumerate(zip(dst, flips)):
        bits = rng.choice(64, f, replace=False)
        hashes[d] = hashes[src[k]] ^ np.uint64(sum(1 << int(b) for b in bits))
    noisy = sigs[src] * rng.uniform(0.97, 1.03, (len(src), SIGNATURE_SIZE)).astype(np.float32)
    sigs[dst] = noisy / noisy.sum(axis=1, keepdims=True)
    return pd.DataFrame({"id": [f"s{i:07d}" for i in range(n)],
                         "phash": [f"{int(h):016x}" for h in hashes], COLOR_COLUMN: list(sigs)})


def full_step(x: np.ndarray, records, repeats: int) -> float:
    """Median time of the default near-duplicate step (candidates, pHash, colour, groups)."""
    from workbench.core.dedup.candidates import DedupConfig, duplicate_groups, near_duplicate_pairs

    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        pairs = near_duplicate_pairs(records, x, DedupConfig())
        dup = pairs[pairs["verdict"] == "duplicate"]
        duplicate_groups(len(x), dup["i"].to_numpy(), dup["j"].to_numpy())
        times.append(time.perf_counter() - t)
    print(f"ours, whole step (DedupConfig(): candidates at cosine >= {DedupConfig().radius}, "
          f"pHash and colour judged): {len(dup):,} duplicate pairs, "
          f"{int((pairs['verdict'] == 'review').sum()):,} to review, in "
          f"{statistics.median(times):.1f} s (median of {repeats}: "
          f"{', '.join(f'{v:.1f}' for v in times)})")
    return statistics.median(times)


def part_a(n: int, repeats: int) -> None:
    from workbench.core.dedup.candidates import duplicate_groups, find_near_duplicates

    print(f"\n(a) near duplicates: {n:,} x {DIM}, cosine >= {THRESHOLD}")
    x = clustered(n, 200, seed=0)
    planted = plant_copies(x, n // 50, seed=1)
    x -= x.mean(axis=0)  # centre once so FiftyOne's own centring changes nothing
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sims = np.einsum("ij,ij->i", x[planted[:, 0]].astype(np.float64),
                     x[planted[:, 1]].astype(np.float64))
    print(f"planted {len(planted):,} copies, {int((sims >= THRESHOLD).sum()):,} of them at "
          f"cosine >= {THRESHOLD} (the rest sit just below it)")

    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        pairs = find_near_duplicates(x, THRESHOLD, seed=0)
        duplicate_groups(n, pairs["i"].to_numpy(), pairs["j"].to_numpy())
        times.append(time.perf_counter() - t)
    ours_t = statistics.median(times)
    ours = set(zip(pairs["i"].tolist(), pairs["j"].tolist()))
    print(f"ours (semdedup, k={round(n ** 0.5)}, 2 clusters/point): {len(ours):,} pairs in "
          f"{ours_t:.1f} s (median of {repeats}: {', '.join(f'{v:.1f}' for v in times)})")

    records = synthetic_records(n, planted, seed=3)
    full_t = full_step(x, records, repeats)

    import fiftyone as fo
    import fiftyone.brain as fob

    fo.config.show_progress_bars = False
    t = time.perf_counter()
    ds = fo.Dataset()
    ds.add_samples([fo.Sample(filepath=f"/nonexistent/img{i:07d}.jpg") for i in range(n)])
    sample_ids = ds.values("id")
    print(f"fiftyone: dataset of {n:,} samples built in {time.perf_counter() - t:.1f} s "
          "(not counted)")
    t = time.perf_counter()
    index = fob.compute_near_duplicates(ds, threshold=1.0 - THRESHOLD, embeddings=x.copy())
    fo_t = time.perf_counter() - t
    pos = {sid: k for k, sid in enumerate(sample_ids)}
    fo_pairs = {(min(pos[u], pos[d]), max(pos[u], pos[d]))
                for u, dups in (index.neighbors_map or {}).items() for d, _ in dups}
    fo_dups = {pos[d] for d in index.duplicate_ids}
    print(f"fiftyone compute_near_duplicates(thresh={1 - THRESHOLD:.2f}): "
          f"{len(fo_dups):,} duplicates, {len(fo_pairs):,} (kept, duplicate) pairs in "
          f"{fo_t:.1f} s")

    found = len(fo_pairs & ours)
    in_ours = {i for p in ours for i in p}
    exact = np.einsum("ij,ij->i", x[pairs["i"]].astype(np.float64),
                      x[pairs["j"]].astype(np.float64))
    below = int((exact < THRESHOLD).sum())
    check_rows = np.unique(np.concatenate([planted.ravel(), list(in_ours) or [0],
                                           list(fo_dups) or [0],
                                           np.random.default_rng(2).choice(n, 5000)]))
    truth = exact_pairs_touching(x, check_rows, THRESHOLD)
    print(f"recall of FiftyOne's pairs: {found:,}/{len(fo_pairs):,} = "
          f"{found / max(len(fo_pairs), 1):.2%} (target >= 99%)")
    print(f"FiftyOne duplicates that are in one of our pairs: "
          f"{len(fo_dups & in_ours):,}/{len(fo_dups):,}")
    print(f"our pairs below the threshold (float64 re-check): {below} (target 0)")
    print(f"exact recall on the {len(check_rows):,} rows checked by brute force: "
          f"{len(truth & ours):,}/{len(truth):,} = {len(truth & ours) / max(len(truth), 1):.2%}")
    print(f"time ratio ours / fiftyone, cosine search alone: {ours_t / fo_t:.3f}; "
          f"speed-up {fo_t / ours_t:.0f}x")
    print(f"time ratio ours / fiftyone, whole near-duplicate step: {full_t / fo_t:.3f} "
          f"(target <= 0.5); speed-up {fo_t / full_t:.0f}x")
    ds.delete()


class PeakRSS:
    """Samples the process's resident memory every 20 ms (ru_maxrss only ever grows)."""

    def __enter__(self):
        self.peak, self._stop = _rss(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def part_b(n: int, k: int = 10_000, n_groups: int = 50) -> None:
    import pandas as pd

    from workbench.core.selection.select import SelectConfig, select_balanced

    print(f"\n(b) diverse selection: {k:,} from {n:,} x {DIM} in {n_groups} groups")
    t = time.perf_counter()
    rng = np.random.default_rng(3)
    shares = 1.0 / np.arange(1, n_groups + 1) ** 0.8  # Zipf-like: uneven groups
    group = rng.choice(n_groups, n, p=shares / shares.sum())
    x = clustered(n, 10 * n_groups, seed=4)  # ~10 sub-clusters per group on average
    records = pd.DataFrame({
        "id": [f"s{i:07d}" for i in range(n)],
        "style": np.array([f"style-{g:02d}" for g in range(n_groups)])[group],
        "consent": rng.choice(["granted", "unknown", "opted_out"], n, p=[0.7, 0.28, 0.02]),
        "license": "CC-BY-4.0", "license_status": "valid", "ai_generated": "false",
        "creator": rng.integers(0, 50_000, n).astype(str),
    })
    base = _rss()
    print(f"data made in {time.perf_counter() - t:.1f} s; embeddings {x.nbytes / 2**30:.2f} GiB, "
          f"RSS before selecting {base / 2**30:.2f} GiB")
    config = SelectConfig(strategy="diverse", seed=0, dedup=None)
    with PeakRSS() as mem:
        t = time.perf_counter()
        sel = select_balanced(records, x, k, by="style", config=config)
        dt = time.perf_counter() - t
    c = sel.counts
    print(f"selected {len(sel):,} in {dt:.1f} s (target < 60 s); groups {c['eligible'].min():,}"
          f"-{c['eligible'].max():,} eligible, targets {c['target'].min()}-{c['target'].max()}")
    print(f"balance {sel.balance_before:.3f} -> {sel.balance_after:.3f} (max possible "
          f"{sel.params['stats']['max_balance']:.3f}); excluded {sel.excluded_counts()}")
    print(f"peak RSS during selection {mem.peak / 2**30:.2f} GiB (target < 8 GiB; includes the "
          f"{x.nbytes / 2**30:.2f} GiB embeddings and the records); +{(mem.peak - base) / 2**30:.2f} "
          f"GiB over the inputs; process ru_maxrss "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["a", "b", "both"], default="both")
    parser.add_argument("--n-dedup", type=int, default=100_000)
    parser.add_argument("--n-select", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    isolate_fiftyone()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} at start "
          "(the dev box is shared: timings vary with it)")
    if args.part in ("a", "both"):
        part_a(args.n_dedup, args.repeats)
    if args.part in ("b", "both"):
        part_b(args.n_select)
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
