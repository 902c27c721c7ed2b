"""How many items each group gets: water-filling caps, quotas and the balance score.

Pure numpy. The functions here decide *how many* items a group keeps; *which* items
is decided in :mod:`workbench.core.selection.select` (random by seed) or
:mod:`workbench.core.selection.diversity` (k-center greedy).

The balance score is the normalised entropy of group shares, ``H / ln(G)``: 1.0 when
every group has the same share, lower when a few groups dominate. ``G`` is the number
of groups that *could* be represented (groups with at least one eligible item), so a
group that lost every item to the rights filter does not count against a selection.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np


def _as_counts(counts: Sequence[int] | np.ndarray, name: str = "counts") -> np.ndarray:
    arr = np.asarray(counts)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of counts; got shape {arr.shape}")
    if arr.size and (not np.issubdtype(arr.dtype, np.number) or np.any(arr < 0)
                     or np.any(arr != np.floor(arr))):
        raise ValueError(f"{name} must hold non-negative integers; got {arr.tolist()[:10]}")
    return arr.astype(np.int64)


def water_fill(counts: Sequence[int] | np.ndarray, n: int, *, seed: int | None = 0,
               labels: Sequence[str] | None = None,
               floor: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """Per-group targets that sum to ``min(n, sum(counts))`` and are as even as possible.

    MetaCLIP-style balancing: every group keeps at most ``t`` items, where ``t`` is the
    largest integer with ``sum(min(count_g, t)) <= n``. The remaining ``r < #{count_g > t}``
    slots go one each to groups that still have items, chosen at random by ``seed``
    (so no group is favoured by its position). The result is the most even allocation
    possible: every other allocation of ``n`` items is majorised-worse.

    Parameters
    ----------
    counts
        Items available per group (the upper bound of each target).
    n
        How many items to allocate in total.
    seed
        Seed for the choice of groups that get one of the remainder slots.
    labels
        Group labels aligned with ``counts``. When given, the remainder draw is keyed by
        label rather than position, so reordering groups does not change who wins.
    floor
        Optional lower bound per group (already-promised items): the level then rises
        from the smallest groups up, ``target_g = clip(t, floor_g, count_g)``.

    Returns
    -------
    numpy.ndarray
        Integer targets, ``floor_g <= target_g <= count_g``.

    Examples
    --------
    >>> water_fill([10, 2, 5], 8).tolist()
    [3, 2, 3]
    >>> water_fill([10, 2, 5], 100).tolist()
    [10, 2, 5]
    >>> water_fill([10, 2, 5], 10, floor=[6, 0, 0]).tolist()
    [6, 2, 2]
    """
    c = _as_counts(counts)
    lower = np.zeros_like(c) if floor is None else _as_counts(floor, "floor")
    if lower.shape != c.shape or np.any(lower > c):
        raise ValueError("floor must align with counts and never exceed them; got "
                         f"floor={lower.tolist()[:10]}, counts={c.tolist()[:10]}")
    if n < lower.sum():
        raise ValueError(f"n must be at least sum(floor) = {int(lower.sum())}; got {n}")
    if n >= c.sum():
        return c.copy()
    # Hand-written: no library offers this ~15-line allocation. Binary search for the
    # largest level t with sum(clip(t, floor, counts)) <= n (the sum is monotone in t).
    lo, hi = 0, int(c.max())
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if np.clip(mid, lower, c).sum() <= n:
            lo = mid
        else:
            hi = mid - 1
    targets = np.clip(lo, lower, c)
    remainder = int(n - targets.sum())
    if remainder:
        open_groups = np.flatnonzero((lower <= lo) & (c > lo))
        if labels is not None:
            # Deterministic, label-keyed order: a seeded random key per label.
            keys = [_label_key(labels[g], seed) for g in open_groups]
            order = open_groups[np.argsort(keys, kind="stable")]
        else:
            order = np.random.default_rng(seed).permutation(open_groups)
        targets[order[:remainder]] += 1
    return targets


def _label_key(label: object, seed: int | None) -> int:
    """A stable pseudo-random integer for (label, seed): independent of group order."""
    return int(group_rng(label, seed).integers(0, 2**62))


def group_rng(label: object, seed: int | None) -> np.random.Generator:
    """A random generator for one group, derived from ``seed`` and the group's label.

    Keyed by label so that adding or removing another group does not change this
    group's draw.
    """
    return np.random.default_rng([int(seed or 0), zlib.crc32(str(label).encode())])


def normalized_entropy(counts: Sequence[int] | np.ndarray, n_groups: int | None = None) -> float:
    """Normalised entropy ``H / ln(G)`` of the shares given by ``counts``.

    Parameters
    ----------
    counts
        Items per group (zeros allowed: they add nothing to ``H``).
    n_groups
        ``G``, the number of groups the shares are measured against; defaults to the
        number of non-zero counts. With ``G <= 1`` the score is 1.0 (one group is
        trivially even); with no items at all it is ``nan``.

    Examples
    --------
    >>> normalized_entropy([5, 5, 5])
    1.0
    >>> round(normalized_entropy([9, 1]), 3)
    0.469
    """
    c = _as_counts(counts).astype(float)
    total = c.sum()
    if total == 0:
        return float("nan")
    g = int(np.count_nonzero(c)) if n_groups is None else int(n_groups)
    if g <= 1:
        return 1.0
    p = c[c > 0] / total
    # Rounded so that a perfectly even split reads exactly 1.0 (not 0.9999999999999998).
    return round(float(-(p * np.log(p)).sum() / np.log(g)), 12)


def max_balance(eligible_counts: Sequence[int] | np.ndarray | Mapping[object, int], n: int) -> float:
    """The highest balance score any selection of ``n`` items from this pool can reach.

    The water-filling allocation is the most even one, so its normalised entropy is the
    maximum; ``G`` is the number of groups with at least one eligible item.

    Parameters
    ----------
    eligible_counts
        Eligible items per group (a sequence, or a mapping group -> count).
    n
        Selection size.

    Examples
    --------
    >>> round(max_balance([100, 100, 2], 30), 3)  # 14 + 14 + 2 is the best possible
    0.812
    >>> max_balance([50, 50], 20)
    1.0
    """
    if isinstance(eligible_counts, Mapping):
        eligible_counts = list(eligible_counts.values())
    c = _as_counts(eligible_counts, "eligible_counts")
    if n <= 0:
        raise ValueError(f"n must be a positive number of items; got {n}")
    alloc = water_fill(c, n, seed=0)
    return normalized_entropy(alloc, n_groups=int(np.count_nonzero(c)))


def quota_targets(quotas: Mapping[str, int | float], n: int) -> dict[str, int]:
    """Turn quotas (counts or proportions of ``n``) into integer targets per group.

    Counts are ``int`` values (their sum must not exceed ``n``). Proportions are
    ``float`` values in ``[0, 1]`` summing to at most 1; they become counts by the
    largest-remainder method (floor each share, then hand the leftover units to the
    largest fractional parts, ties by group label), so proportions summing to 1 give
    exactly ``n``. Mixing counts and proportions is an error.

    Examples
    --------
    >>> quota_targets({"a": 0.5, "b": 0.25, "c": 0.25}, 10)
    {'a': 5, 'b': 3, 'c': 2}
    >>> quota_targets({"a": 3, "b": 4}, 10)
    {'a': 3, 'b': 4}
    """
    if not quotas:
        raise ValueError("quotas must name at least one group; got an empty mapping")
    kinds = set()
    for group, value in quotas.items():
        if isinstance(value, (bool, np.bool_)):
            raise ValueError(f"quotas[{group!r}] must be a count (int) or a proportion "
                             f"(float in [0, 1]); got {value!r}")
        if isinstance(value, (int, np.integer)):
            if value < 0:
                raise ValueError(f"quotas[{group!r}] must be a count >= 0; got {value}")
            kinds.add("count")
        elif isinstance(value, (float, np.floating)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"quotas[{group!r}] is a proportion, so it must lie in "
                                 f"[0, 1]; got {value}")
            kinds.add("proportion")
        else:
            raise ValueError(f"quotas[{group!r}] must be an int count or a float proportion; "
                             f"got {type(value).__name__} {value!r}")
    if len(kinds) > 1:
        raise ValueError("quotas must be all counts (int) or all proportions (float); got a "
                         f"mix: {dict(quotas)}")
    if kinds == {"count"}:
        total = int(sum(int(v) for v in quotas.values()))
        if total > n:
            raise ValueError(f"quotas ask for {total} items in total but n is {n}; lower the "
                             "quotas or raise n")
        return {str(g): int(v) for g, v in quotas.items()}
    total = float(sum(float(v) for v in quotas.values()))
    if total > 1.0 + 1e-9:
        raise ValueError(f"quota proportions must sum to at most 1; got {total:.6g}")
    groups = [str(g) for g in quotas]
    exact = np.array([float(v) * n for v in quotas.values()])
    floors = np.floor(exact + 1e-9).astype(np.int64)
    leftover = min(round(total * n) - int(floors.sum()), len(groups))
    if leftover > 0:
        frac = exact - floors
        order = sorted(range(len(groups)), key=lambda i: (-round(frac[i], 12), groups[i]))
        for i in order[:leftover]:
            floors[i] += 1
    return dict(zip(groups, (int(v) for v in floors)))
