"""Near-duplicate detection (pure core): exactness, recall on planted copies, keepers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core.dedup import (
    DedupConfig,
    choose_keepers,
    documentation_score,
    duplicate_groups,
    find_near_duplicates,
    resolve_duplicates,
)
from workbench.core.embeddings import check_embeddings


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def naive_pairs(x: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    sims = x.astype(np.float64) @ x.astype(np.float64).T
    i, j = np.nonzero(np.triu(sims >= threshold, k=1))
    return set(zip(i.tolist(), j.tolist()))


def planted(n: int, n_pairs: int, dim: int, seed: int, noise=(0.05, 0.25), n_centres: int = 20):
    """Clustered unit vectors with ``n_pairs`` noise-perturbed copies planted in them."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_centres, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = centres[rng.integers(0, n_centres, n)] + rng.normal(size=(n, dim)) / np.sqrt(dim)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    src = rng.choice(n, n_pairs, replace=False)
    dst = rng.choice(np.setdiff1d(np.arange(n), src), n_pairs, replace=False)
    eps = rng.normal(size=(n_pairs, dim))
    eps /= np.linalg.norm(eps, axis=1, keepdims=True)
    x[dst] = x[src] + eps * rng.uniform(*noise, size=(n_pairs, 1))
    return unit(x), {(min(a, b), max(a, b)) for a, b in zip(src.tolist(), dst.tolist())}


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 60), dim=st.integers(2, 12), seed=st.integers(0, 10_000),
       threshold=st.floats(0.5, 0.999), copies=st.integers(0, 10))
def test_brute_force_is_exact(n, dim, seed, threshold, copies):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(max(n, 1), dim))[:n]
    for k in range(min(copies, max(n - 1, 0))):
        x[k + 1] = x[k] + rng.normal(size=dim) * 0.05
    x = unit(x) if n else np.zeros((0, dim), np.float32)
    pairs = find_near_duplicates(x, threshold, method="brute")
    assert set(zip(pairs["i"], pairs["j"])) == naive_pairs(x, threshold)
    assert (pairs["i"] < pairs["j"]).all() and (pairs["similarity"] >= threshold).all()
    assert list(pairs.columns) == ["i", "j", "similarity"]


def test_semdedup_recall_on_planted_copies():
    x, truth = planted(5000, 300, 64, seed=0)
    threshold = 0.95
    exact = naive_pairs(x, threshold)
    # The planted copies well inside the threshold are all real duplicates.
    sims = {p: float(x[p[0]].astype(np.float64) @ x[p[1]]) for p in truth}
    assert {p for p, s in sims.items() if s >= threshold} <= exact
    found = find_near_duplicates(x, threshold, n_clusters=50, seed=0)  # forced clustering
    got = set(zip(found["i"].tolist(), found["j"].tolist()))
    assert got <= exact  # no false positives, ever
    assert (found["similarity"] >= threshold).all()
    recall = len(got) / len(exact)
    assert recall >= 0.99, recall
    # Joining the 2 nearest clusters is what buys the recall: 1 cluster per point misses more.
    one = find_near_duplicates(x, threshold, n_clusters=50, n_assign=1, seed=0)
    assert len(one) <= len(found)


def test_threshold_is_inclusive_and_results_sorted():
    x = unit(np.array([[1.0, 0.0], [0.6, 0.8], [1.0, 0.0], [0.0, 1.0]]))
    pairs = find_near_duplicates(x, 0.6, method="brute")
    assert pairs[["i", "j"]].values.tolist() == [[0, 1], [0, 2], [1, 2], [1, 3]]
    assert pairs["similarity"].tolist() == pytest.approx([0.6, 1.0, 0.6, 0.8])


def test_auto_clusters_small_input_is_exact():
    x, _ = planted(1500, 50, 32, seed=3)
    auto = find_near_duplicates(x, 0.9)
    assert set(zip(auto["i"], auto["j"])) == naive_pairs(x, 0.9)


def test_duplicate_groups_chain():
    labels = duplicate_groups(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert labels[0] == labels[1] == labels[2]
    assert labels[4] == labels[5] and len(set(labels.tolist())) == 3


def test_keepers_prefer_resolution_then_documentation_then_id():
    records = pd.DataFrame({
        "id": ["b", "a", "c", "d", "e", "f"],
        "width": [100, 100, 50, 10, 10, 10], "height": 100,
        "creator": ["x", None, "x", None, "y", None],
        "source": [None, None, None, None, "s", None],
        "license_status": ["valid", "unknown", "valid", "valid", "valid", "valid"],
        "consent": "granted",
    })
    labels = np.array([0, 0, 0, 1, 1, 2])
    keeper = choose_keepers(records, labels)
    # group 0: a and b tie on resolution, b is better documented; c is smaller.
    assert keeper.tolist() == [0, 0, 0, 4, 4, 5]
    assert documentation_score(records).tolist() == [3, 1, 3, 2, 4, 2]
    same = records.assign(creator=None, source=None, license_status="valid")
    assert choose_keepers(same, np.array([0, 0, 1, 1, 1, 2]))[:2].tolist() == [1, 1]  # "a" < "b"


def test_resolve_duplicates_combines_exact_and_near():
    x = unit(np.array([[1, 0, 0], [1, 0.01, 0], [0, 1, 0], [0, 0, 1]], dtype=float))
    records = pd.DataFrame({"id": list("pqrs"), "sha256": ["h", None, "k", "k"],
                            "width": [10, 20, 30, 30], "height": 10})
    keeper, n_pairs = resolve_duplicates(records, x, DedupConfig(threshold=0.99))
    assert keeper.tolist() == [1, 1, 2, 2] and n_pairs == 1
    keeper, n_pairs = resolve_duplicates(records, None, None)  # exact only
    assert keeper.tolist() == [0, 1, 2, 2] and n_pairs == 0


def test_config_and_input_validation():
    with pytest.raises(ValueError, match=r"method must be one of \['semdedup', 'brute'\]"):
        DedupConfig(method="fast")
    with pytest.raises(ValueError, match="threshold is a cosine similarity"):
        DedupConfig(threshold=1.5)
    with pytest.raises(ValueError, match="n_clusters"):
        DedupConfig(n_clusters=0)
    with pytest.raises(ValueError, match="2-D"):
        check_embeddings(np.ones(3))
    with pytest.raises(ValueError, match="row 1 has norm"):
        check_embeddings(np.array([[1, 0], [3, 4]], dtype=np.float32))
    with pytest.raises(ValueError, match="row 0 has norm nan"):
        check_embeddings(np.array([[np.nan, 0]], dtype=np.float32))
    x = unit(np.eye(3))
    assert check_embeddings(x) is x  # no copy for float32 C-contiguous input
