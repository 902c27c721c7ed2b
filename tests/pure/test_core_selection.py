"""Balanced selection (pure core): properties over random pools, and each rule by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers.pools import make_pool, unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.selection.balance import normalized_entropy
from workbench.core.dedup.candidates import DedupConfig
from workbench.core.selection.diversity import covering_radius
from workbench.core.rights.policy import RightsPolicy
from workbench.core.selection.select import SelectConfig, Selection, select_balanced

THRESHOLD = 0.95
ALLOWED = {"CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0"}


# --------------------------------------------------------------------------- helpers
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


@pytest.fixture
def small():
    return make_pool(60, 7, clean=True)


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
