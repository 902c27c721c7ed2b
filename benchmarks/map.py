"""Map speed and quality: our ``umap_2d`` against FiftyOne Brain's UMAP visualisation.

Usage: .venv/bin/python benchmarks/map.py [--n 50000] [--dim 512] [--clusters 30] [--seed 0]
                                          [--repeats 3] [--no-startup] [--no-fiftyone]

Embeddings: ``--clusters`` Gaussian clusters of Dirichlet-varied sizes in ``--dim``
dimensions (each with its own 8-d principal subspace and spread, plus isotropic
noise), L2-normalised, like CLIP embeddings of a varied collection.

Both maps use the same settings (n_neighbors=15, min_dist=0.1, metric="cosine",
seed=0) and run alternately in this process (``--repeats`` times each, medians
reported) after a 5,000-point warm-up of each (hot numba caches), so their ratio
is robust to other load on the machine.
Quality: ``sklearn.manifold.trustworthiness`` (k=10, cosine in the original space)
on the same 5,000 random points for both maps.

Targets: ours <= 0.5x FiftyOne's time, trustworthiness no worse than FiftyOne's
minus 0.02; clustering + naming 50,000 items < 60 s.

``--no-startup`` skips the numba start-up measurement: two fresh processes that
share a new, empty ``NUMBA_CACHE_DIR`` each import umap and map 2,000 points.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from _common import isolate_fiftyone, machine, median

SETTINGS = {"n_neighbors": 15, "min_dist": 0.1, "metric": "cosine", "seed": 0}


def make_embeddings(n: int, dim: int, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Clustered, L2-normalised synthetic embeddings and their cluster labels."""
    rng = np.random.default_rng(seed)
    weights = np.maximum(rng.dirichlet(np.full(clusters, 0.7)), 0.003)
    sizes = np.floor(weights / weights.sum() * n).astype(int)
    sizes[0] += n - sizes.sum()
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    parts, labels = [], []
    for c, size in enumerate(sizes):
        basis = np.linalg.qr(rng.standard_normal((dim, 8)))[0].T.astype(np.float32)
        spread = rng.uniform(0.25, 0.6)
        z = rng.standard_normal((size, 8)).astype(np.float32) * spread
        noise = rng.standard_normal((size, dim)).astype(np.float32) * (spread * 0.08)
        parts.append(centres[c] + z @ basis + noise)
        labels.append(np.full(size, c))
    X, y = np.concatenate(parts), np.concatenate(labels)
    order = rng.permutation(n)
    X = X[order] / np.linalg.norm(X[order], axis=1, keepdims=True)
    return np.ascontiguousarray(X, dtype=np.float32), y[order]


def fiftyone_dataset(n: int, name: str):
    """A dataset of n samples with dummy file paths (the map reads no images)."""
    import fiftyone as fo

    dataset = fo.Dataset(name)
    dataset.add_samples(
        [fo.Sample(filepath=f"/tmp/none/{i}.jpg") for i in range(n)], progress=False
    )
    return dataset


def fiftyone_map(dataset, X: np.ndarray) -> tuple[np.ndarray, float]:
    """FiftyOne Brain's UMAP on X, one row per sample of ``dataset``."""
    import fiftyone.brain as fob

    t = time.perf_counter()
    results = fob.compute_visualization(
        dataset,
        embeddings=X,
        method="umap",
        num_neighbors=SETTINGS["n_neighbors"],
        min_dist=SETTINGS["min_dist"],
        metric=SETTINGS["metric"],
        seed=SETTINGS["seed"],
        verbose=False,
        progress=False,
    )
    dt = time.perf_counter() - t
    return np.asarray(results.points), dt


def our_map(X: np.ndarray) -> tuple[np.ndarray, float]:
    from workbench.core.maps.projection import MapConfig, umap_2d

    t = time.perf_counter()
    coords = umap_2d(X, MapConfig(**SETTINGS))
    return coords, time.perf_counter() - t


_STARTUP = """
import time, numpy as np
t = time.perf_counter()
from workbench.core.maps.projection import ensure_numba_cache, umap_2d
ensure_numba_cache()
import umap
t_import = time.perf_counter() - t
X = np.random.default_rng(0).normal(size=(2000, 64)).astype("float32")
t = time.perf_counter()
umap_2d(X)
print(f"{t_import:.2f} {time.perf_counter() - t:.2f}")
"""


def numba_startup() -> list[tuple[float, float]]:
    """(import umap s, first umap_2d on 2,000 points s) for a cold, then a warm, process."""
    env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="wb-bench-numba-"))
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = repo + os.pathsep + env.get("PYTHONPATH", "")
    out = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", _STARTUP], env=env, capture_output=True, text=True, check=True
        )
        a, b = proc.stdout.split()[-2:]
        out.append((float(a), float(b)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--clusters", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sample", type=int, default=5000, help="points scored for trustworthiness"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each method")
    parser.add_argument("--no-startup", action="store_true", help="skip the numba cold/warm start")
    parser.add_argument("--no-fiftyone", action="store_true", help="time our map only")
    args = parser.parse_args()

    isolate_fiftyone()
    from workbench.core.maps.projection import ensure_numba_cache

    ensure_numba_cache()  # before anything imports umap/numba

    print(f"command: {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    print(f"machine: {machine()}")
    if not args.no_startup:
        (ci, cf), (wi, wf) = numba_startup()
        print(
            f"numba start-up, new process, empty cache: import umap {ci:.1f}s + first umap_2d "
            f"(2,000 pts) {cf:.1f}s = {ci + cf:.1f}s"
        )
        print(
            f"numba start-up, new process, warm cache:  import umap {wi:.1f}s + first umap_2d "
            f"(2,000 pts) {wf:.1f}s = {wi + wf:.1f}s"
        )

    t = time.perf_counter()
    X, y = make_embeddings(args.n, args.dim, args.clusters, args.seed)
    print(
        f"embeddings: {X.shape[0]} x {X.shape[1]}, {args.clusters} clusters "
        f"(sizes {np.bincount(y).min()}-{np.bincount(y).max()}), "
        f"made in {time.perf_counter() - t:.1f}s"
    )

    warm = X[np.random.default_rng(1).choice(len(X), 5000, replace=False)]
    t = time.perf_counter()
    our_map(warm)
    if not args.no_fiftyone:
        fiftyone_map(fiftyone_dataset(len(warm), "bench-map-warmup"), warm)
    print(f"warm-up (5,000 points, both methods): {time.perf_counter() - t:.1f}s")

    from sklearn.manifold import trustworthiness

    sample = np.random.default_rng(args.seed).choice(
        len(X), min(args.sample, len(X)), replace=False
    )

    def trust(points: np.ndarray) -> float:
        return float(trustworthiness(X[sample], points[sample], n_neighbors=10, metric="cosine"))

    # Alternate the two methods, so slow spells on a shared machine hit both alike.
    fo_times, our_times = [], []
    dataset = None if args.no_fiftyone else fiftyone_dataset(len(X), "bench-map")
    for r in range(args.repeats):
        if dataset is not None:
            fo_points, dt = fiftyone_map(dataset, X)
            fo_times.append(dt)
        ours, dt = our_map(X)
        our_times.append(dt)
        line = f"run {r + 1}: workbench umap_2d {dt:.1f}s"
        if fo_times:
            line += f", FiftyOne {fo_times[-1]:.1f}s, ratio {dt / fo_times[-1]:.2f}"
        print(line, flush=True)
    our_trust = trust(ours)
    print(
        f"workbench umap_2d:                                  median {median(our_times):.1f}s, "
        f"trustworthiness {our_trust:.4f}"
    )
    if fo_times:
        fo_trust = trust(fo_points)
        print(
            f"FiftyOne Brain compute_visualization(method='umap'): median {median(fo_times):.1f}s, "
            f"trustworthiness {fo_trust:.4f}"
        )
        print(
            f"ratio ours/FiftyOne (medians): {median(our_times) / median(fo_times):.2f} "
            f"(target <= 0.5); trustworthiness difference {our_trust - fo_trust:+.4f} "
            "(target >= -0.02)"
        )

    import pandas as pd

    from workbench.core.maps.cluster_names import load_vocabulary, name_clusters
    from workbench.core.maps.clustering import cluster_embeddings

    rng = np.random.default_rng(args.seed)
    styles = np.array([f"style-{i}" for i in range(12)])
    metadata = pd.DataFrame(
        {
            "style": np.where(rng.random(len(X)) < 0.9, styles[y % 12], rng.choice(styles, len(X))),
            "region": rng.choice(["Africa", "Americas", "Asia", "Europe", "Oceania", None], len(X)),
            "creator": rng.integers(0, 5000, len(X)).astype(str),
        }
    )
    vocab = load_vocabulary()
    # Stand-in text embeddings (random unit vectors): this times the naming, not CLIP.
    text = rng.standard_normal((len(vocab), X.shape[1])).astype(np.float32)
    t = time.perf_counter()
    result = cluster_embeddings(X)
    t_cluster = time.perf_counter() - t
    table = name_clusters(result, X, metadata=metadata, text_vocab=(vocab, text))
    t_total = time.perf_counter() - t
    print(
        f"cluster_embeddings: k={result.k} (silhouette {result.score:.3f}) in {t_cluster:.1f}s; "
        f"+ name_clusters ({len(table)} names) = {t_total:.1f}s (target < 60 s)"
    )
    print(f"example name: {table['name'].iloc[0]!r}")


if __name__ == "__main__":
    main()
