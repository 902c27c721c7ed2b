"""Balanced selection (pure core): properties over random pools, and each rule by hand."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.balance import max_balance, normalized_entropy, quota_targets, water_fill
from workbench.core.dedup import DedupConfig
from workbench.core.diversity import covering_radius, k_center_greedy
from workbench.core.rights_filter import RightsPolicy
from workbench.core.selection import SelectConfig, Selection, select_balanced

THRESHOLD = 0.95
ALLOWED = {"CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0"}


# --------------------------------------------------------------------------- helpers
def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def make_pool(n: int, seed: int, *, groups=("ink", "oil", "wood"), dup_every: int = 0,
              clean: bool = False, dim: int = 16) -> tuple[pd.DataFrame, np.ndarray]:
    """A synthetic pool: uneven groups, mixed rights records, optional planted dups."""
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.ones(len(groups)) * 0.8)
    df = pd.DataFrame({
        "id": [f"s{i:04d}" for i in range(n)],
        "style": rng.choice(list(groups), n, p=shares),
        "region": rng.choice(["East Asia", "Europe"], n),
        "consent": "granted" if clean else rng.choice(["granted", "unknown", "opted_out"], n,
                                                      p=[0.6, 0.3, 0.1]),
        "license": "CC0-1.0" if clean else rng.choice(["CC-BY-4.0", "CC0-1.0", "MIT", None], n,
                                                      p=[0.5, 0.3, 0.1, 0.1]),
        "ai_generated": "false" if clean else rng.choice(["false", "true", "unknown"], n,
                                                         p=[0.8, 0.1, 0.1]),
        "creator": rng.choice(["ana", "bo", "chen", "dia", None], n),
        "sha256": [f"{i:064x}" for i in range(n)],
        "width": rng.integers(64, 2048, n),
        "height": rng.integers(64, 2048, n),
    })
    df["license_status"] = np.where(df["license"].isna(), "unknown", "valid")
    x = rng.normal(size=(n, dim))
    if dup_every:
        for i in range(dup_every, n, dup_every):
            x[i] = x[i - 1] + rng.normal(size=dim) * 0.02  # cos ~ 0.9998
    return df, unit(x)


def oracle_dup_groups(df: pd.DataFrame, x: np.ndarray, threshold: float) -> list[int]:
    """Duplicate groups by brute force and a plain dict union-find (independent of the code)."""
    n = len(df)
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    sims = x.astype(np.float64) @ x.astype(np.float64).T
    sha = df["sha256"].tolist()
    for i in range(n):
        for j in range(i + 1, n):
            if sims[i, j] >= threshold or sha[i] == sha[j]:
                parent[find(i)] = find(j)
    return [find(i) for i in range(n)]


def rights_ok(row: pd.Series, policy: RightsPolicy) -> bool:
    """The rights rules written out directly, to check the filter against."""
    if row["consent"] == "opted_out":
        return False
    valid = row["license_status"] == "valid"
    if valid and row["license"] not in policy.allowed_licenses:
        return False
    if policy.exclude_ai_generated and row["ai_generated"] == "true":
        return False
    if policy.exclude_unknown_license and not valid:
        return False
    return not (policy.require_consent and row["consent"] != "granted")


# --------------------------------------------------------------------------- properties
pools = st.fixed_dictionaries({
    "n_rows": st.integers(8, 70),
    "data_seed": st.integers(0, 10_000),
    "n_groups": st.integers(1, 5),
    "dup_every": st.sampled_from([0, 3, 7]),
    "strategy": st.sampled_from(["cap", "quota", "diverse"]),
    "seed": st.integers(0, 3),
    "frac_n": st.floats(0.05, 1.2),
    "creator_cap": st.sampled_from([None, 0.4, 3]),
    "require_consent": st.booleans(),
    "fill": st.booleans(),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools)
def test_selection_properties(p):
    groups = ("ink", "oil", "wood", "print", "ceramic")[: p["n_groups"]]
    df, x = make_pool(p["n_rows"], p["data_seed"], groups=groups, dup_every=p["dup_every"])
    n = max(1, int(p["frac_n"] * p["n_rows"] * 0.5))
    policy = RightsPolicy(allowed_licenses=sorted(ALLOWED), require_consent=p["require_consent"])
    quotas = None
    if p["strategy"] == "quota":
        present = sorted(df["style"].unique())
        quotas = {g: 1.0 / len(present) for g in present[:-1]} if len(present) > 1 else \
            {present[0]: 1.0}
    config = SelectConfig(strategy=p["strategy"], seed=p["seed"], rights=policy,
                          dedup=DedupConfig(threshold=THRESHOLD), creator_cap=p["creator_cap"],
                          quotas=quotas, fill=p["fill"] if quotas else False)

    eligible_rows = [i for i, row in df.iterrows() if rights_ok(row, policy)]
    roots = oracle_dup_groups(df, x, THRESHOLD)
    pool_size = len({roots[i] for i in eligible_rows})  # one survivor per duplicate group

    if p["creator_cap"] is None and n > pool_size:
        with pytest.raises(ValueError, match=f"eligible pool of {pool_size} items"):
            select_balanced(df, x, n, by="style", config=config)
        return
    try:
        sel = select_balanced(df, x, n, by="style", config=config)
    except ValueError as err:  # only legitimate when the creator cap shrank the pool
        assert p["creator_cap"] is not None and "eligible pool" in str(err)
        return

    by_id = df.set_index("id")
    chosen = by_id.loc[sel.ids]
    # Rights: nothing opted out, nothing the policy rejects.
    assert (chosen["consent"] != "opted_out").all()
    assert all(rights_ok(row, policy) for _, row in chosen.iterrows())
    # Every input id is either chosen or excluded with a reason, never both.
    assert set(sel.ids).isdisjoint(sel.excluded)
    assert set(sel.ids) | set(sel.excluded) == set(df["id"])
    assert len(sel.ids) == len(set(sel.ids))
    # Duplicates: at most one member of each (oracle) duplicate group.
    pos = {sid: k for k, sid in enumerate(df["id"])}
    chosen_roots = [roots[pos[i]] for i in sel.ids]
    assert len(chosen_roots) == len(set(chosen_roots))
    # Size.
    assert len(sel) <= n
    if p["creator_cap"] is None and (p["strategy"] in ("cap", "diverse") or p["fill"]):
        assert len(sel) == n
    # Creator cap never exceeded.
    if p["creator_cap"] is not None:
        cap = max(1, int(p["creator_cap"] * n)) if p["creator_cap"] < 1 else p["creator_cap"]
        per_creator = chosen["creator"].dropna().value_counts()
        assert (per_creator <= cap).all()
    # Caps and quotas never exceeded; water-filling is even.
    c = sel.counts.set_index("group")
    assert (c["after"] <= c["eligible"]).all()
    if p["strategy"] in ("cap", "diverse"):
        assert (c["after"] == c["target"]).all()
        capped = c[c["after"] < c["eligible"]]
        if len(capped):  # a group left with spare items holds at least max - 1
            assert capped["after"].min() >= c["after"].max() - 1
    elif not p["fill"]:
        assert (c.loc[list(quotas), "after"] <= c.loc[list(quotas), "target"]).all()
        assert (c["after"] <= c["target"]).all()
    # Stats are consistent with the ids.
    assert c["after"].sum() == len(sel)
    assert chosen["style"].value_counts().to_dict() == c.loc[c["after"] > 0, "after"].to_dict()
    # Same seed and data: the same selection, exactly.
    again = select_balanced(df, x, n, by="style", config=config)
    assert again.to_dict() == sel.to_dict()


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


def test_diverse_strategy_beats_cap_on_coverage():
    from sklearn.datasets import make_blobs

    # Unshuffled, so style "a" holds blobs 0-3 and style "b" blobs 4-7 (uneven sizes).
    pts, blob = make_blobs(n_samples=[300, 60, 20, 8] * 2, n_features=10, random_state=1,
                           shuffle=False)
    x = unit(pts - pts.mean(axis=0))
    n = len(x)
    df = pd.DataFrame({"id": [f"i{k}" for k in range(n)], "consent": "granted",
                       "license": "CC0-1.0", "license_status": "valid", "ai_generated": "false",
                       "style": np.where(np.arange(n) < n // 2, "a", "b")})
    pos = {f"i{k}": k for k in range(n)}
    radius = {}
    for strategy in ("diverse", "cap"):
        sel = select_balanced(df, x, 16, by="style",
                              config=SelectConfig(strategy=strategy, dedup=None, seed=0))
        rows = np.array([pos[i] for i in sel.ids])
        radius[strategy] = covering_radius(x, rows)
        if strategy == "diverse":  # every blob of each half is represented
            assert len({(df["style"][r], blob[r]) for r in rows}) == 8
    assert radius["diverse"] < radius["cap"]


# --------------------------------------------------------------------------- rules
def test_exclusion_reasons_in_order():
    df = pd.DataFrame({
        "id": list("abcdef"),
        "style": "ink",
        "consent": ["opted_out", "granted", "granted", "granted", "unknown", "granted"],
        "license": ["MIT", "MIT", "CC0-1.0", "foo", "CC0-1.0", "CC-BY-4.0 OR MIT"],
        "license_status": ["valid", "valid", "valid", "invalid", "valid", "valid"],
        "ai_generated": ["true", "true", "true", "false", "false", "false"],
    })
    sel = select_balanced(df, None, 1, by="style", config=SelectConfig(dedup=None))
    assert {k: sel.excluded.get(k) for k in "abcd"} == {
        "a": "rights:opted_out", "b": "rights:license", "c": "rights:ai_generated",
        "d": "rights:license_unknown"}
    assert set(sel.ids) < {"e", "f"}  # consent unknown passes; "CC-BY-4.0 OR MIT" passes
    strict = SelectConfig(dedup=None, rights=RightsPolicy(require_consent=True))
    sel = select_balanced(df, None, 1, by="style", config=strict)
    assert sel.ids == ["f"] and sel.excluded["e"] == "rights:consent_unknown"
    lax = SelectConfig(dedup=None, rights=RightsPolicy(exclude_ai_generated=False,
                                                       exclude_unknown_license=False))
    sel = select_balanced(df, None, 4, by="style", config=lax)
    assert sorted(sel.ids) == ["c", "d", "e", "f"]


def test_exact_duplicates_keep_highest_resolution_then_best_record_then_id():
    df = pd.DataFrame({
        "id": ["z1", "z2", "z3", "y1", "y2", "x1", "x2", "w"],
        "style": "ink", "consent": "granted", "license": "CC0-1.0", "license_status": "valid",
        "ai_generated": "false",
        "sha256": ["h1", "H1 ", "h1", "h2", "h2", "h3", "h3", None],
        "width": [100, 300, 200, 500, 500, 64, 64, 10],
        "height": 100,
        "creator": [None, None, None, None, "someone", None, None, None],
    })
    sel = select_balanced(df, None, 4, by="style", config=SelectConfig(dedup=None))
    assert sorted(sel.ids) == ["w", "x1", "y2", "z2"]
    assert sel.excluded == {"z1": "duplicate_of:z2", "z3": "duplicate_of:z2",
                            "y1": "duplicate_of:y2", "x2": "duplicate_of:x1"}
    assert sel.excluded_counts() == {"duplicate_of": 4}


def test_near_duplicates_collapse_and_record_the_keeper():
    df, x = make_pool(40, 1, clean=True, dup_every=4)
    sel = select_balanced(df, x, 5, by="style", config=SelectConfig(seed=0))
    dups = {k: v for k, v in sel.excluded.items() if v.startswith("duplicate_of:")}
    assert len(dups) == 9  # rows 4, 8, ..., 36 each copy their predecessor
    for k, v in dups.items():
        kept = v.split(":", 1)[1]
        assert kept not in sel.excluded or not sel.excluded[kept].startswith("duplicate_of")
        assert abs(int(k[1:]) - int(kept[1:])) == 1
    assert sel.params["stats"]["near_duplicate_pairs"] == 9


def test_creator_cap_fraction_and_count():
    df, x = make_pool(200, 2, clean=True)
    for cap, limit in ((0.1, 3), (5, 5)):
        sel = select_balanced(df, x, 30, by="style",
                              config=SelectConfig(creator_cap=cap, dedup=None, seed=1))
        per = df.set_index("id").loc[sel.ids, "creator"].dropna().value_counts()
        assert per.max() <= limit
        assert "creator_cap" in sel.excluded_counts()
    with pytest.raises(ValueError, match="creator_cap"):
        SelectConfig(creator_cap=2.5)


def test_quota_shortfall_and_fill():
    df, x = make_pool(300, 3, clean=True)
    df["style"] = ["a"] * 150 + ["b"] * 120 + ["c"] * 30
    small, have = "c", 30
    quotas = {g: (have + 10 if g == small else 20) for g in ("a", "b", "c")}
    n = sum(quotas.values())
    sel = select_balanced(df, x, n, by="style",
                          config=SelectConfig(strategy="quota", quotas=quotas, dedup=None))
    assert sel.shortfall == {small: 10}
    assert len(sel) == n - 10
    assert "group_quota" in sel.excluded_counts()
    filled = select_balanced(df, x, n, by="style", config=SelectConfig(
        strategy="quota", quotas=quotas, dedup=None, fill=True))
    assert len(filled) == n and filled.shortfall == {small: 10}
    c = filled.counts.set_index("group")["after"]
    assert c[small] == have and sorted(c.drop(small)) == [25, 25]  # topped up evenly
    # Proportions of n, and unlisted groups share what is left.
    sel = select_balanced(df, x, 40, by="style", config=SelectConfig(
        strategy="quota", quotas={"a": 0.5}, dedup=None))
    c = sel.counts.set_index("group")["after"]
    assert c["a"] == 20 and c["b"] + c["c"] == 20


def test_group_by_several_columns_and_by_array():
    df, x = make_pool(120, 5, clean=True)
    sel = select_balanced(df, x, 24, by=["style", "region"], config=SelectConfig(dedup=None))
    assert all("|" in g for g in sel.counts["group"])
    assert {"East Asia", "Europe"} == {g.split("|")[1] for g in sel.counts["group"]}
    labels = np.arange(len(df)) % 4  # e.g. cluster ids
    sel = select_balanced(df, x, 20, by=labels, config=SelectConfig(
        strategy="quota", quotas={0: 5, 1: 5, 2: 5, 3: 5}, dedup=None))
    assert sel.counts.set_index("group")["after"].to_dict() == {"0": 5, "1": 5, "2": 5, "3": 5}
    assert sel.params["by"] is None


def test_balance_scores_use_groups_with_eligible_items():
    df = pd.DataFrame({"id": [f"i{k}" for k in range(16)], "license": "CC0-1.0",
                       "license_status": "valid", "ai_generated": "false",
                       "consent": ["opted_out"] * 4 + ["granted"] * 12,
                       "style": ["gone"] * 4 + ["a"] * 9 + ["b"] * 3})
    sel = select_balanced(df, None, 6, by="style", config=SelectConfig(dedup=None))
    assert sel.balance_before == pytest.approx(normalized_entropy([9, 3]))
    assert sel.balance_after == 1.0  # 3 + 3: "gone" has no eligible items, so G = 2
    assert sel.params["stats"]["max_balance"] == 1.0


# --------------------------------------------------------------------------- bad input
@pytest.fixture
def small():
    return make_pool(60, 7, clean=True)


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_n(small, n):
    df, x = small
    with pytest.raises(ValueError, match="n must be a positive int"):
        select_balanced(df, x, n, by="style")


def test_n_larger_than_pool_reports_breakdown():
    df, x = make_pool(60, 8)
    with pytest.raises(ValueError) as err:
        select_balanced(df, x, 59, by="style")
    msg = str(err.value)
    assert "eligible pool of" in msg and "of 60 records" in msg and "rights:opted_out" in msg


def test_unknown_by_field_lists_columns(small):
    df, x = small
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['styel'\].*'style'"):
        select_balanced(df, x, 5, by="styel")
    with pytest.raises(ValueError, match=r"\['regio'\]"):
        select_balanced(df, x, 5, by=["style", "regio"])
    with pytest.raises(ValueError, match="one group label per record"):
        select_balanced(df, x, 5, by=np.zeros(3))


def test_unknown_spdx_id_in_allowlist_suggests_close_ids():
    with pytest.raises(ValueError, match=r"'CC-BY-4' is not a known SPDX.*CC-BY-4\.0"):
        RightsPolicy(allowed_licenses=["CC0-1.0", "CC-BY-4"])
    assert RightsPolicy(allowed_licenses=["cc-by-4.0", "LicenseRef-museum"]).allowed_licenses \
        == ("CC-BY-4.0", "LicenseRef-museum")


def test_quota_for_missing_group_lists_groups(small):
    df, x = small
    with pytest.raises(ValueError, match=r"\['pottery'\] that do not exist.*'ink'"):
        select_balanced(df, x, 5, by="style",
                        config=SelectConfig(strategy="quota", quotas={"pottery": 3}))


def test_config_errors(small):
    df, x = small
    with pytest.raises(ValueError, match="strategy must be one of"):
        SelectConfig(strategy="random")
    with pytest.raises(ValueError, match="needs quotas"):
        SelectConfig(strategy="quota")
    with pytest.raises(ValueError, match="only apply to strategy='quota'"):
        SelectConfig(quotas={"ink": 3})
    with pytest.raises(ValueError, match="embeddings are needed"):
        select_balanced(df, None, 5, by="style")
    with pytest.raises(ValueError, match="L2-normalised"):
        select_balanced(df, x * 2, 5, by="style")
    with pytest.raises(ValueError, match="one row per record"):
        select_balanced(df, x[:10], 5, by="style")
    with pytest.raises(ValueError, match="must be unique"):
        select_balanced(pd.concat([df, df.iloc[:2]]), None, 5, by="style",
                        config=SelectConfig(dedup=None))
    with pytest.raises(ValueError, match="'id' column"):
        select_balanced(df.drop(columns="id"), x, 5, by="style")


# --------------------------------------------------------------------------- the result
def test_hand_edits_recompute_stats_and_record_overrides():
    df, x = make_pool(120, 9)
    sel = select_balanced(df, x, 20, by="style", config=SelectConfig(seed=2))
    removed = sel.remove(sel.ids[:3], note="watermarks")
    assert len(removed) == 17 and all(removed.excluded[i] == "manual:removed"
                                      for i in sel.ids[:3])
    assert removed.counts["after"].sum() == 17
    assert removed.params["edits"][-1] == {"action": "remove", "ids": sel.ids[:3],
                                           "note": "watermarks"}
    capped = next(i for i, r in sel.excluded.items() if r == "group_cap")
    more = sel.add([capped])
    assert more.ids[-1] == capped and capped not in more.excluded and len(more) == 21
    lic = next(i for i, r in sel.excluded.items() if r == "rights:license")
    with pytest.raises(ValueError, match="override=True"):
        sel.add([lic])
    over = sel.add([lic], override=True, note="licence confirmed by email")
    assert over.params["overrides"] == [{"id": lic, "reason": "rights:license",
                                         "note": "licence confirmed by email"}]
    opted = next(i for i, r in sel.excluded.items() if r == "rights:opted_out")
    with pytest.raises(ValueError, match="cannot be overridden"):
        sel.add([opted], override=True)
    with pytest.raises(ValueError, match="already selected"):
        sel.add(sel.ids[:1])
    with pytest.raises(ValueError, match="must be in the selection"):
        sel.remove(["nope"])
    # New ids from outside the input: checked against the same rights policy.
    extra = pd.DataFrame({"id": ["new1", "new2"], "style": ["ink", "brand-new"],
                          "consent": ["granted", "granted"], "license": ["CC0-1.0", "MIT"],
                          "license_status": ["valid", "valid"], "ai_generated": "false"})
    with pytest.raises(ValueError, match=r"new2 \(rights:license\)"):
        sel.add(["new1", "new2"], extra)
    grown = sel.add(["new1"], extra)
    assert grown.groups["new1"] == "ink" and len(grown) == 21
    with pytest.raises(ValueError, match="pass `records`"):
        sel.add(["new1"])
    assert sel.balance_after == select_balanced(df, x, 20, by="style",
                                                config=SelectConfig(seed=2)).balance_after


def test_round_trip_through_json(small):
    df, x = small
    sel = select_balanced(df, x, 12, by=["style", "region"], config=SelectConfig(
        strategy="diverse", seed=5, creator_cap=0.5))
    sel = sel.remove(sel.ids[:1], note="n")
    text = json.dumps(sel.to_dict())
    back = Selection.from_dict(json.loads(text))
    assert back.to_dict() == sel.to_dict()
    assert back.params["seed"] == 5 and back.params["strategy"] == "diverse"
    assert back.params["dedup"]["threshold"] == 0.95
    with pytest.raises(ValueError, match="missing keys"):
        Selection.from_dict({"ids": []})


def test_plot_balance_draws_two_bar_sets(small):
    df, x = small
    sel = select_balanced(df, x, 12, by="style")
    ax = sel.plot_balance()
    assert len(ax.patches) == 2 * len(sel.counts)
    assert "seed 0" in ax.get_title()
