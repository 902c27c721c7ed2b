"""Balancing by repeats: kohya ``num_repeats`` solved so the effective group shares meet
their targets, and the export that writes them (TOML, captions, card)."""

from __future__ import annotations

import pytest
import tomllib
from helpers.export_records import fast_config, make_records
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.exporters import CaptionConfig, ExportConfig, KohyaConfig, export_records
from workbench.exporters.kohya import effective_shares, repeats_for_shares


@settings(max_examples=300, deadline=None)
@given(counts=st.lists(st.integers(1, 400), min_size=2, max_size=16),
       weights=st.lists(st.floats(0.05, 5.0), min_size=16, max_size=16))
def test_effective_shares_meet_the_targets_within_ten_percent(counts, weights):
    groups = [f"g{k}" for k in range(len(counts))]
    counts = dict(zip(groups, counts))
    targets = dict(zip(groups, weights))
    total = sum(targets.values())
    need = {g: targets[g] / counts[g] for g in groups}
    spread = max(need.values()) / min(need.values())
    # At scale 12 every group's repeats are within 0.5/12 = 4.2% of exact, so the shares
    # are within 1.042/0.958 - 1 = 8.7%: a cap of 12.5 x the spread always suffices.
    cap = int(12.5 * spread) + 1
    reps = repeats_for_shares(counts, targets, tolerance=0.1, max_repeats=cap)
    assert all(isinstance(r, int) and 1 <= r <= cap for r in reps.values())
    shares = effective_shares(counts, reps)
    worst = max(abs(shares[g] - targets[g] / total) / (targets[g] / total) for g in groups)
    assert worst <= 0.1, (counts, reps, shares)
    assert min(reps.values()) <= 12  # the smallest scale that works is taken


def test_even_targets_on_a_skewed_set_and_what_the_cap_does():
    counts = {"symbols": 247, "animals": 146, "people": 6, "naturalforces": 3}
    reps = repeats_for_shares(counts, dict.fromkeys(counts, 1))
    shares = effective_shares(counts, reps)
    assert reps["symbols"] == 1 and all(abs(s - 0.25) <= 0.025 for s in shares.values())
    capped = repeats_for_shares(counts, dict.fromkeys(counts, 1), max_repeats=10)
    assert max(capped.values()) == 10  # best effort: the small groups stay short
    assert effective_shares(counts, capped)["naturalforces"] < 0.2
    with pytest.raises(ValueError, match="target_shares lacks"):
        repeats_for_shares(counts, {"symbols": 1})


def test_config_rejects_conflicting_or_bad_targets():
    with pytest.raises(ValueError, match="target_shares and repeats"):
        KohyaConfig(repeats=2, target_shares={"a": 1})
    with pytest.raises(ValueError, match="positive share"):
        KohyaConfig(target_shares={"a": 0})
    with pytest.raises(ValueError, match="balance must be one of"):
        ExportConfig(balance="repeat")


def test_export_with_repeats_writes_shares_toml_and_trigger_first_captions(tmp_path):
    records = make_records(tmp_path, {"ink": 9, "weave": 3, "dye": 2})
    cfg = fast_config(balance="repeats",
                      captions=CaptionConfig(tokenizer=None, trigger="plwb",
                                             template="{style}, {trigger}, {technique}"))
    report = export_records(records, format="kohya", out=tmp_path / "out", config=cfg)
    assert report.images == 14  # every image kept
    toml = tomllib.loads((report.out / "dataset_config.toml").read_text())
    assert toml["general"]["caption_extension"] == ".txt"
    assert toml["general"]["keep_tokens"] == 1 and toml["general"]["shuffle_caption"] is True
    reps = {s["class_tokens"].split()[-1]: s["num_repeats"] for s in toml["datasets"][0]["subsets"]}
    counts = {"ink": 9, "weave": 3, "dye": 2}
    shares = effective_shares(counts, reps)
    assert all(abs(s - 1 / 3) <= 0.1 / 3 for s in shares.values()), (reps, shares)
    assert report.details["effective_shares"] == {g: round(shares[g], 4) for g in sorted(counts)}
    for txt in (report.out / "img").rglob("*.txt"):
        first = txt.read_text(encoding="utf-8").splitlines()[0]
        assert first.split(", ")[0] == "plwb", first
    card = (report.out / "README.md").read_text(encoding="utf-8")
    assert "Balanced by repeats" in card and "effective share" in card and "target share" in card
    with pytest.raises(ValueError, match="format='kohya'"):
        export_records(records, format="imagefolder", out=tmp_path / "o2", config=cfg)
