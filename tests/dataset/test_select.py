"""Balanced selection on sample_data through the API and the CLI."""

from __future__ import annotations

import json
import math
import os

import pytest

import workbench as wb


def greedy_max_balance(eligible: list[int], n: int) -> float:
    """Best normalised entropy for n picks from groups of these sizes, by handing out
    one pick at a time to the smallest group that still has items (independent of the
    package's water-filling)."""
    taken = [0] * len(eligible)
    for _ in range(min(n, sum(eligible))):
        open_groups = [g for g in range(len(eligible)) if taken[g] < eligible[g]]
        g = min(open_groups, key=lambda k: (taken[k], k))
        taken[g] += 1
    total = sum(taken)
    shares = [t / total for t in taken if t]
    groups = sum(1 for e in eligible if e > 0)
    return -sum(p * math.log(p) for p in shares) / math.log(groups)


@pytest.fixture(scope="module")
def selection(sample_workspace):
    ds, _ = sample_workspace
    return ds, wb.select_balanced(ds, 120, by="style", config=wb.SelectConfig(seed=0))


def rel(ds, sample_data, ids) -> set[str]:
    fp = dict(zip(*ds.values(["id", "filepath"])))
    return {os.path.relpath(fp[i], sample_data) for i in ids}


def test_balance_reaches_the_maximum_for_the_eligible_pool(selection):
    ds, sel = selection
    assert len(sel) == 120
    best = greedy_max_balance(sel.counts["eligible"].tolist(), 120)
    print(f"\nbalance {sel.balance_before:.3f} -> {sel.balance_after:.3f} "
          f"(maximum achievable {best:.3f})")
    assert sel.balance_after > sel.balance_before
    assert abs(sel.balance_after - best) <= 0.01
    assert sel.balance_after >= 0.9


def test_no_rights_problem_or_planted_duplicate_is_selected(selection, sample_data):
    ds, sel = selection
    facts = json.loads((sample_data / "facts.json").read_text())
    chosen = rel(ds, sample_data, sel.ids)
    path_of = {i: p for i, p in zip(*ds.values(["id", "filepath"]))}
    reason = {os.path.relpath(path_of[i], sample_data): r for i, r in sel.excluded.items()}
    for key, expected in (("opted_out", "rights:opted_out"), ("ai_generated", "rights:ai_generated"),
                          ("unknown_license", "rights:license_unknown"),
                          ("non_commercial_license", "rights:license")):
        for path in facts[key]:
            assert path not in chosen
            assert reason[path] == expected, (path, reason.get(path))
    id_of = {os.path.relpath(p, sample_data): i for i, p in path_of.items()}
    planted = [(d["filepath"], d["duplicate_of"]) for d in facts["exact_duplicates"]] + [
        (d["filepath"], d["near_duplicate_of"]) for d in facts["near_duplicates"]]
    for copy, original in planted:
        assert not {copy, original} <= chosen, f"both {copy} and {original} selected"
        # One of the pair is excluded as a duplicate of the other.
        assert (reason.get(copy) == f"duplicate_of:{id_of[original]}"
                or reason.get(original) == f"duplicate_of:{id_of[copy]}"), (copy, original)


def test_duplicates_display_pairs_each_exclusion_with_what_it_duplicates(selection):
    ds, sel = selection
    html = wb.show_duplicates(ds, sel).data
    pairs = [d for d, r in sel.excluded.items() if r.startswith("duplicate_of:")]
    assert pairs and html.count("excluded: duplicate") == min(len(pairs), 12)
    assert all(f"{d} duplicates {sel.excluded[d].split(':', 1)[1]}" in html for d in pairs[:12])


def test_selection_is_saved_and_reloads(selection):
    ds, sel = selection
    assert sorted(ds.match_tags("selected").values("id")) == sorted(sel.ids)
    assert ds.has_saved_view("selected")
    again = wb.load_selection(ds)
    assert again.ids == sel.ids and again.seed == 0


def test_same_seed_same_selection(selection):
    ds, sel = selection
    other = wb.select_balanced(ds, 120, by="style", config=wb.SelectConfig(seed=0), tag="again")
    assert other.ids == sel.ids


def test_hand_edits_recompute_and_rights_need_an_override(selection):
    ds, sel = selection
    wb.select_balanced(ds, 120, by="style", config=wb.SelectConfig(seed=0), tag="edit")
    first = sel.ids[0]
    ds.select([first]).untag_samples("edit")
    edited = wb.sync_hand_edits(ds, "edit")
    assert len(edited) == 119 and edited.excluded[first].startswith("manual")
    ai_id = next(i for i, r in sel.excluded.items() if r == "rights:ai_generated")
    ds.select([ai_id]).tag_samples("edit")
    with pytest.raises(ValueError, match="override"):
        wb.sync_hand_edits(ds, "edit")
    assert ai_id not in ds.match_tags("edit").values("id"), "refused edits are rolled back"
    ds.select([ai_id]).tag_samples("edit")
    done = wb.sync_hand_edits(ds, "edit", override=True, note="checked with the creator")
    assert ai_id in done.ids and done.params["overrides"][-1]["note"] == "checked with the creator"
    opted = next(i for i, r in sel.excluded.items() if r == "rights:opted_out")
    ds.select([opted]).tag_samples("edit")
    with pytest.raises(ValueError, match="opt"):
        wb.sync_hand_edits(ds, "edit", override=True)


@pytest.mark.parametrize("args,needle", [
    (("--n", "0", "--by", "style"), "n"),
    (("--n", "5000", "--by", "style"), "pool"),
    (("--n", "10", "--by", "styel"), "fields that can balance a selection"),
])
def test_bad_input_exits_2(selection, cli, args, needle):
    ds, _ = selection
    proc = cli("select", ds.name, *args, "--json")
    assert proc.returncode == 2, proc.stderr
    assert needle in json.loads(proc.stdout)["error"]


def test_unknown_spdx_id_and_unknown_quota_group(selection):
    ds, _ = selection
    with pytest.raises(ValueError, match="CC-BY-9.0"):
        wb.select_balanced(ds, 10, by="style", config=wb.SelectConfig(
            rights=wb.RightsPolicy(allowed_licenses=("CC0-1.0", "CC-BY-9.0"))))
    with pytest.raises(ValueError, match="woodcut"):
        wb.select_balanced(ds, 10, by="style", config=wb.SelectConfig(
            strategy="quota", quotas={"woodcut": 5}))


def test_cli_select_json_keys(selection, cli):
    ds, _ = selection
    proc = cli("select", ds.name, "--n", "60", "--by", "style", "--tag", "cli", "--json",
               check=True)
    out = json.loads(proc.stdout)
    for key in ("selected", "excluded", "balance_before", "balance_after", "seed"):
        assert key in out
    # 5 opted out in the manifest, 2 more by the XMP Data Mining property in their files.
    assert out["selected"] == 60 and out["excluded"]["rights:opted_out"] == 7
