"""Clusters and their names on real images: the Tux Paint stamps and sample_data's families.

Prints every figure the acceptance rests on (run with ``-s``): the share in no cluster
before and after reassignment, ARI and NMI against the category folders, the agreement
between seeds 0 and 1 and between two 90% subsamples, and how well the names match the
members' own words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from workbench.core.maps.cluster_names import item_texts, name_clusters, words
from workbench.core.maps.clustering import NOISE, ClusterConfig, cluster_embeddings
from workbench.core.pixels.images import ImageDecodeError, open_rgb

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def real_clusters(real_embeddings):
    return cluster_embeddings(real_embeddings, ClusterConfig(seed=0))


@pytest.fixture(scope="module")
def sample_embeddings(sample_data, tmp_path_factory):
    """Bundled-model embeddings of sample_data's readable images, and their families."""
    from helpers.realdata import embed_paths

    paths = []
    for path in sorted((sample_data / "images").rglob("*.*")):
        try:
            open_rgb(path)
        except ImageDecodeError:  # the deliberately broken files
            continue
        paths.append(str(path))
    X = embed_paths(paths, tmp_path_factory.mktemp("sample-cache"))
    return X, paths, np.array([Path(p).parent.name for p in paths])


def _subsample_agreement(X: np.ndarray, seed: int) -> float:
    """ARI between the clusterings of two random 90% subsets, on the items both hold."""
    rng = np.random.default_rng(seed)
    n = len(X)
    labels = []
    for _ in range(2):
        rows = np.sort(rng.choice(n, int(0.9 * n), replace=False))
        full = np.full(n, -2)
        full[rows] = cluster_embeddings(X[rows]).labels
        labels.append(full)
    both = (labels[0] > -2) & (labels[1] > -2)
    return adjusted_rand_score(labels[0][both], labels[1][both])


def test_real_clusters_cover_the_collection_and_hold_across_seeds(real_items, real_embeddings,
                                                                  real_clusters):
    categories = [it.category for it in real_items]
    res = real_clusters
    other = cluster_embeddings(real_embeddings, ClusterConfig(seed=1))
    coverage = 1 - res.noise_after
    seeds = adjusted_rand_score(res.labels, other.labels)
    subsamples = [_subsample_agreement(real_embeddings, s) for s in range(3)]
    print(f"\nreal stamps ({len(real_items)} images, {len(set(categories))} categories): "
          f"{res.summary()}\n  in no cluster {res.noise_before:.1%} before reassignment, "
          f"{res.noise_after:.1%} after (threshold {res.reassign_threshold:.3f}: "
          f"{res.reassign_basis}); coverage {coverage:.1%}\n"
          f"  vs category folders: ARI {adjusted_rand_score(categories, res.labels):.3f}, "
          f"NMI {normalized_mutual_info_score(categories, res.labels):.3f}\n"
          f"  seeds 0 vs 1: ARI {seeds:.3f}; two 90% subsamples: ARI "
          f"{', '.join(f'{a:.3f}' for a in subsamples)}")
    assert res.method == "hdbscan" and res.seed == 0 and other.seed == 1
    assert res.k >= 5
    assert coverage >= 0.8
    assert seeds >= 0.8
    assert res.noise_before > res.noise_after


def test_real_cluster_names_come_from_the_members_words(real_items, real_embeddings,
                                                        real_clusters):
    texts = item_texts([it.path for it in real_items], [it.caption for it in real_items])
    table = name_clusters(real_clusters, real_embeddings, texts=texts)
    member_words = [set(words(f"{it.caption or ''} {it.relpath}")) for it in real_items]
    named = table[table["cluster"] != NOISE]
    matches, usage = [], []
    for row in named.itertuples():
        members = np.flatnonzero(real_clusters.labels == row.cluster)
        vocabulary = set().union(*(member_words[i] for i in members))
        name_words = set(words(row.name))
        matches.append(bool(name_words & vocabulary))
        usage.append(np.mean([bool(name_words & member_words[i]) for i in members]))
        print(f"  {row.cluster:>3} {row.size:>4}  {row.name:<40} [{row.name_source}] "
              f"used by {usage[-1]:.0%} of its members")
    share = float(np.mean(matches))
    print(f"names with a word from their members' captions or paths: {share:.0%}; "
          f"members whose words include their cluster's name: mean {np.mean(usage):.0%}")
    assert share >= 0.8
    assert (named["name_source"] == "text").mean() >= 0.8
    assert named["name"].is_unique


def test_sample_data_clusters_match_the_families(sample_embeddings):
    X, paths, families = sample_embeddings
    res = cluster_embeddings(X, ClusterConfig(seed=0))
    ari = adjusted_rand_score(families, res.labels)
    table = name_clusters(res, X, texts=item_texts(paths))
    print(f"\nsample_data ({len(paths)} readable images, {len(set(families))} families): "
          f"{res.summary()}; ARI vs families {ari:.3f}")
    print(table[["cluster", "size", "name", "name_source"]].to_string(index=False))
    assert ari >= 0.95
    for row in table[table["cluster"] != NOISE].itertuples():
        family = set(words(families[res.labels == row.cluster][0]))
        assert set(words(row.name)) & family, row.name
