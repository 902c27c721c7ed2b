"""Balance and diversity (pure core): the allocations and the k-centre cover that
selection is built on, checked against brute force and textbook versions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core.selection.balance import max_balance, normalized_entropy, quota_targets, water_fill
from workbench.core.selection.diversity import covering_radius, k_center_greedy


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(0, 30), min_size=1, max_size=7), frac=st.floats(0, 1.2),
       seed=st.integers(0, 5))
def test_water_fill_is_the_most_even_allocation(counts, frac, seed):
    n = int(frac * sum(counts))
    t = water_fill(counts, n, seed=seed)
    assert t.sum() == min(n, sum(counts))
    assert (t <= np.array(counts)).all() and (t >= 0).all()
    short = [ti for ti, ci in zip(t, counts) if ti < ci]
    if short:  # groups that could take more are all at the top level (within 1)
        assert min(short) >= t.max() - 1


def _best_entropy_brute_force(counts: list[int], n: int) -> float:
    """Maximum normalised entropy over every allocation (exhaustive; small cases only)."""
    g = sum(1 for c in counts if c > 0)
    best = -1.0
    for alloc in itertools.product(*(range(c + 1) for c in counts)):
        if sum(alloc) != min(n, sum(counts)):
            continue
        total = sum(alloc)
        h = -sum(a / total * math.log(a / total) for a in alloc if a)
        best = max(best, h / math.log(g) if g > 1 else 1.0)
    return best


@pytest.mark.parametrize("counts,n", [([5, 1, 3], 4), ([7, 7, 0, 2], 9), ([1, 1, 1], 2),
                                      ([10, 3], 12), ([4, 4, 4], 12), ([6, 2, 1, 5], 7)])
def test_max_balance_matches_brute_force(counts, n):
    assert max_balance(counts, n) == pytest.approx(_best_entropy_brute_force(counts, n), abs=1e-9)
    assert max_balance(dict(zip("abcd", counts)), n) == pytest.approx(max_balance(counts, n))


def test_water_fill_examples():
    assert water_fill([10, 2, 5], 8).tolist() == [3, 2, 3]
    assert water_fill([10, 2, 5], 100).tolist() == [10, 2, 5]
    assert sorted(water_fill([10, 2, 5], 9).tolist()) == [2, 3, 4]
    assert water_fill([10, 2, 5], 10, floor=[6, 0, 0]).tolist() == [6, 2, 2]
    # The remainder goes to different groups for different seeds, same groups for the same.
    picks = {tuple(water_fill([9] * 6, 20, seed=s)) for s in range(10)}
    assert len(picks) > 1
    assert (water_fill([9] * 6, 20, seed=3) == water_fill([9] * 6, 20, seed=3)).all()


def test_quota_targets():
    assert quota_targets({"a": 0.5, "b": 0.25, "c": 0.25}, 10) == {"a": 5, "b": 3, "c": 2}
    assert sum(quota_targets({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 10).values()) == 10
    assert quota_targets({"a": 3, "b": 4}, 10) == {"a": 3, "b": 4}
    with pytest.raises(ValueError, match="mix"):
        quota_targets({"a": 3, "b": 0.5}, 10)
    with pytest.raises(ValueError, match="ask for 12 items in total but n is 10"):
        quota_targets({"a": 6, "b": 6}, 10)
    with pytest.raises(ValueError, match="sum to at most 1"):
        quota_targets({"a": 0.7, "b": 0.7}, 10)


def test_normalized_entropy():
    assert normalized_entropy([5, 5, 5]) == 1.0
    assert normalized_entropy([9, 1]) == pytest.approx(0.469, abs=1e-3)
    assert normalized_entropy([4, 0, 0], n_groups=3) == 0.0
    assert normalized_entropy([7]) == 1.0


# --------------------------------------------------------------------------- diversity
def naive_k_center(x: np.ndarray, k: int, start: int) -> list[int]:
    picks, best = [start], x @ x[start]
    best[start] = np.inf
    while len(picks) < k:
        j = int(np.argmin(best))
        picks.append(j)
        best = np.maximum(best, x @ x[j])
        best[j] = np.inf
    return picks


def test_k_center_lazy_matches_textbook_greedy():
    x = unit(np.random.default_rng(4).normal(size=(3000, 24)))
    start = int(np.argmax(x @ x.mean(axis=0)))
    fast = k_center_greedy(x, 120)  # > one refresh period, so lazy steps are exercised
    assert fast.tolist() == naive_k_center(x, 120, start)
    assert k_center_greedy(x, 5, start=7)[0] == 7


def test_diverse_covers_more_than_random():
    from sklearn.datasets import make_blobs

    pts, _ = make_blobs(n_samples=[600, 150, 40, 10], n_features=12, cluster_std=1.0,
                        random_state=0)
    x = unit(pts - pts.mean(axis=0))
    k = 12
    diverse = covering_radius(x, k_center_greedy(x, k))
    rng = np.random.default_rng(0)
    randoms = [covering_radius(x, rng.choice(len(x), k, replace=False)) for _ in range(20)]
    assert diverse < min(randoms)
