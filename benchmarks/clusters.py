"""Clusters, cluster names and label issues on real images, timed, with the alternatives.

Usage: .venv/bin/python benchmarks/clusters.py [--label-seeds 10] [--subsamples 5]
                                               [--synthetic 20000] [--no-alternatives]

Real images: Debian's Tux Paint stamps (796 clip-art PNGs, 16 category folders, each
with an English description; ``scripts/real_corpus.py``) and ``sample_data/`` (six
style families, the broken files skipped), embedded with the bundled model
(EfficientNet-Lite0; vectors cached under ``~/.cache/palette-workbench/bench``). No
database is involved: the core functions receive arrays.

Printed, for the stamps: ``cluster_embeddings`` time, clusters, share in no cluster
before and after reassignment, ARI and NMI against the category folders, ARI between
seeds 0 and 1 and between pairs of 90% subsamples; ``name_clusters`` time, the names and
their sources, the share of names holding a word of their members' captions or paths;
for sample_data, ARI against the families. With the alternatives (default on): the
same figures for the previous default (HDBSCAN, minimum cluster size N/30, no
reassignment), PCA-32, UMAP-10 + HDBSCAN (BERTopic's recipe) and k-means. Label issues:
5% of the category labels swapped in pairs (and, separately, replaced uniformly), for
``--label-seeds`` seeds: precision at recall 0.6 of the ranking, the flagged set's
precision and recall, and the time. ``--synthetic N``: the time of both on N clustered
synthetic 256-d embeddings with a diffuse background (0 skips it).
"""

from __future__ import annotations

import argparse
import hashlib
import time
import warnings
from pathlib import Path

import numpy as np
from _common import REPO, bench_data_dir, machine, real_corpus
from sklearn.metrics import adjusted_rand_score as ari
from sklearn.metrics import normalized_mutual_info_score as nmi

from workbench.core.maps.cluster_names import item_texts, name_clusters, words
from workbench.core.maps.clustering import NOISE, ClusterConfig, ClusterResult, cluster_embeddings
from workbench.core.labels.label_issues import find_label_issues, propagate_labels, swap_labels


def embed(paths: list[Path]) -> np.ndarray:
    """Bundled-model unit embeddings of ``paths``, cached between runs."""
    from workbench.models import EfficientNetLite0, EmbeddingCache, embed_items

    embedder = EfficientNetLite0(device="cpu")
    cache = EmbeddingCache.for_embedder(embedder, bench_data_dir() / "embedding-cache")
    items = [(i, hashlib.sha256(p.read_bytes()).hexdigest(), str(p)) for i, p in enumerate(paths)]
    result = embed_items(embedder, items, cache, progress=False)
    if result.failed:
        raise RuntimeError(f"could not embed {result.failed[:3]}")
    return result.matrix(list(range(len(paths))))


def stamps() -> tuple[np.ndarray, list[Path], np.ndarray, list[str | None]]:
    """Embeddings, paths, categories and English captions of the real stamps."""
    root = real_corpus()
    paths = sorted(root.rglob("*.png"))
    captions = []
    for p in paths:
        txt = p.with_suffix(".txt")
        lines = txt.read_text("utf-8", errors="replace").splitlines()[:1] if txt.exists() else []
        captions.append(lines[0].strip() or None if lines else None)
    categories = np.array([p.relative_to(root).parts[0] for p in paths], dtype=object)
    return embed(paths), paths, categories, captions


def sample_data() -> tuple[np.ndarray, list[Path], np.ndarray]:
    """Embeddings, paths and families of sample_data's readable images."""
    from workbench.core.pixels.images import ImageDecodeError, open_rgb

    paths = []
    for p in sorted((REPO / "sample_data" / "images").rglob("*.*")):
        try:
            open_rgb(p)
        except ImageDecodeError:
            continue
        paths.append(p)
    return embed(paths), paths, np.array([p.parent.name for p in paths])


def umap_hdbscan(X: np.ndarray, seed: int) -> ClusterResult:
    """BERTopic's recipe: UMAP to 10 dimensions, HDBSCAN, noise reassigned as ours is."""
    import umap
    from sklearn.cluster import HDBSCAN

    size = max(10, round(np.sqrt(len(X)) / 2))
    with warnings.catch_warnings():  # a seed makes UMAP single-threaded; sklearn's `copy`
        warnings.simplefilter("ignore", (UserWarning, FutureWarning))
        Z = umap.UMAP(n_components=10, n_neighbors=15, min_dist=0.0, metric="cosine",
                      random_state=seed).fit_transform(X)
        raw = HDBSCAN(min_cluster_size=size).fit_predict(Z)
    labels, _ = propagate_labels(X, raw)
    return ClusterResult(labels, k=len(set(labels.tolist()) - {NOISE}), method="umap+hdbscan",
                         seed=seed, score=float("nan"), noise_before=float((raw == NOISE).mean()))


def old_default(n: int, seed: int) -> ClusterConfig:
    """The previous ``"auto"``: min_samples = min_cluster_size = N/30, PCA-32, no reassignment."""
    size = max(10, min(100, round(n / 30)))
    return ClusterConfig(method="hdbscan", min_cluster_size=size, min_samples=size, pca_dims=32,
                         reassign_quantile=None, seed=seed)


METHODS = {
    "auto (new default)": lambda X, s: cluster_embeddings(X, ClusterConfig(seed=s)),
    "previous auto (N/30, PCA-32)": lambda X, s: cluster_embeddings(X, old_default(len(X), s)),
    "auto with PCA-32": lambda X, s: cluster_embeddings(X, ClusterConfig(seed=s, pca_dims=32)),
    "UMAP-10 + HDBSCAN + reassignment": umap_hdbscan,
    "k-means, k by silhouette": lambda X, s: cluster_embeddings(
        X, ClusterConfig(method="kmeans", seed=s)),
}


def subsample_ari(method, X: np.ndarray, seed: int) -> float:
    """ARI between the clusterings of two random 90% subsets, on the items both hold."""
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(2):
        rows = np.sort(rng.choice(len(X), int(0.9 * len(X)), replace=False))
        full = np.full(len(X), -2)
        full[rows] = method(X[rows], 0).labels
        runs.append(full)
    both = (runs[0] > -2) & (runs[1] > -2)
    return ari(runs[0][both], runs[1][both])


def clusters_report(name: str, method, X, categories, S, families, subsamples: int) -> None:
    t = time.perf_counter()
    res = method(X, 0)
    seconds = time.perf_counter() - t
    other = method(X, 1)
    subs = [subsample_ari(method, X, s) for s in range(subsamples)]
    before = "-" if res.noise_before is None else f"{res.noise_before:.1%}"
    print(f"| {name} | {seconds:.1f} s | {res.k} | {before} | {res.noise_after:.1%} | "
          f"{1 - res.noise_after:.1%} | {ari(categories, res.labels):.3f} | "
          f"{nmi(categories, res.labels):.3f} | {ari(res.labels, other.labels):.3f} | "
          f"{np.mean(subs):.2f} ({min(subs):.2f}-{max(subs):.2f}) | "
          f"{ari(families, method(S, 0).labels):.3f} |", flush=True)


def names_report(X, paths, captions) -> None:
    res = cluster_embeddings(X)
    texts = item_texts(paths, captions)
    t = time.perf_counter()
    table = name_clusters(res, X, texts=texts)
    seconds = time.perf_counter() - t
    member_words = [set(words(text)) for text in texts]
    print(f"\nname_clusters on the stamps: {seconds:.2f} s")
    print("| cluster | size | name | source | members using a name word |\n|---|---|---|---|---|")
    matched = []
    for row in table.itertuples():
        if row.cluster == NOISE:
            print(f"| {row.cluster} | {row.size} | {row.name} | {row.name_source} | |")
            continue
        members = np.flatnonzero(res.labels == row.cluster)
        name_words = set(words(row.name))
        matched.append(bool(name_words & set().union(*(member_words[i] for i in members))))
        usage = np.mean([bool(name_words & member_words[i]) for i in members])
        print(f"| {row.cluster} | {row.size} | {row.name} | {row.name_source} | {usage:.0%} |")
    print(f"names holding a word of their members' captions or paths: {np.mean(matched):.0%}")


def uniform_wrong(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    classes = sorted(set(labels))
    truth = np.zeros(len(labels), bool)
    truth[rng.choice(len(labels), round(0.05 * len(labels)), replace=False)] = True
    noisy = labels.copy()
    noisy[truth] = [rng.choice([c for c in classes if c != v]) for v in labels[truth]]
    return noisy, truth


def label_report(X, categories, seeds: int) -> None:
    print("\n| noise | seeds | precision at recall 0.6: mean (min-max) | flagged | "
          "flagged precision | flagged recall | time |\n|---|---|---|---|---|---|---|")
    for name, plant in (("5% swapped in pairs", lambda s: swap_labels(categories, 0.05, seed=s)),
                        ("5% replaced uniformly", lambda s: uniform_wrong(categories, s))):
        rows = []
        for seed in range(seeds):
            noisy, truth = plant(seed)
            t = time.perf_counter()
            res = find_label_issues(X, noisy)
            seconds = time.perf_counter() - t
            flagged = res.table["flagged"].to_numpy()
            hits = (flagged & truth).sum()
            rows.append((res.precision_at_recall(truth, 0.6), flagged.sum(),
                         hits / max(flagged.sum(), 1), hits / truth.sum(), seconds))
        r = np.array(rows)
        print(f"| {name} | 0-{seeds - 1} | {r[:, 0].mean():.2f} ({r[:, 0].min():.2f}-"
              f"{r[:, 0].max():.2f}) | {r[:, 1].mean():.0f} | {r[:, 2].mean():.2f} | "
              f"{r[:, 3].mean():.2f} | {np.median(r[:, 4]):.2f} s |", flush=True)


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """40 clusters of Dirichlet sizes in 256-d, each with its own spread, and 15% background."""
    rng = np.random.default_rng(seed)
    sizes = np.maximum((rng.dirichlet(np.ones(40)) * n * 0.85).astype(int), 20)
    centres = rng.normal(size=(40, 256))
    parts = [c + rng.normal(scale=rng.uniform(0.45, 0.9), size=(s, 256))
             for c, s in zip(centres, sizes)]
    background = n - int(sizes.sum())
    X = np.vstack(parts + [rng.normal(scale=1.6, size=(background, 256))]).astype(np.float32)
    y = np.concatenate([np.repeat(np.arange(40), sizes), np.full(background, -1)])
    return X, y


def synthetic_report(n: int) -> None:
    X, y = synthetic(n)
    t = time.perf_counter()
    res = cluster_embeddings(X)
    t_cluster = time.perf_counter() - t
    fg = y >= 0
    noisy, truth = swap_labels(np.where(fg, y, -2), 0.05, seed=0)
    t = time.perf_counter()
    issues = find_label_issues(X, noisy)
    t_issues = time.perf_counter() - t
    print(f"\nsynthetic {n:,} x 256 (40 clusters, 15% background): cluster_embeddings "
          f"{t_cluster:.1f} s, {res.k} clusters, in no cluster {res.noise_before:.1%} -> "
          f"{res.noise_after:.1%}, ARI on the clustered items {ari(y[fg], res.labels[fg]):.3f}; "
          f"find_label_issues {t_issues:.1f} s, precision at recall 0.6 "
          f"{issues.precision_at_recall(truth, 0.6):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label-seeds", type=int, default=10)
    parser.add_argument("--subsamples", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=20000)
    parser.add_argument("--no-alternatives", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    t = time.perf_counter()
    X, paths, categories, captions = stamps()
    S, _, families = sample_data()
    print(f"embedded {len(X)} stamps ({len(set(categories))} categories) and {len(S)} "
          f"sample_data images in {time.perf_counter() - t:.0f} s (cached after the first run)")
    print("\n| method | time (stamps) | clusters | in no cluster before | after | coverage | "
          "ARI vs category | NMI vs category | ARI seed 0 vs 1 | ARI 90% subsamples | "
          "sample_data ARI |\n|---|---|---|---|---|---|---|---|---|---|---|")
    chosen = list(METHODS.items())[:1] if args.no_alternatives else METHODS.items()
    for name, method in chosen:
        clusters_report(name, method, X, categories, S, families, args.subsamples)
    names_report(X, paths, captions)
    label_report(X, categories, args.label_seeds)
    if args.synthetic:
        synthetic_report(args.synthetic)


if __name__ == "__main__":
    main()
