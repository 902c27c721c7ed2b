"""Quality scores and judgements on small synthetic images and score tables."""

from __future__ import annotations

import doctest
import importlib
import json
import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw, ImageFilter

from workbench.core.quality.checks import CHECKS, QualityPolicy, judge_quality
from workbench.core.quality.scores import SCORE_NAMES, edge_sharpness, quality_scores
from helpers.images import drawing


def scores_table(n: int = 200, seed: int = 0, **fixed) -> list[dict]:
    """Plausible clean scores for ``n`` items, with columns overridden by ``fixed``."""
    rng = np.random.default_rng(seed)
    table = {"content": rng.uniform(0.3, 0.7, n), "padding": rng.uniform(0.0, 0.3, n),
             "brightest": np.full(n, 255.0), "darkest": rng.uniform(0, 40, n),
             "sharpness": np.exp2(rng.normal(-0.3, 0.25, n)),
             "edges": np.exp2(rng.normal(4.5, 0.8, n))}
    table.update({k: np.broadcast_to(v, n).astype(float) for k, v in fixed.items()})
    return pd.DataFrame(table).to_dict(orient="records")


# -- scores --------------------------------------------------------------------------

def test_scores_of_a_drawing():
    s = quality_scores(drawing())
    assert set(s) == set(SCORE_NAMES)
    assert 0.1 < s["content"] < 0.9 and 0 <= s["padding"] < 0.7
    assert s["brightest"] == 255 and s["darkest"] == 0
    assert 0.6 < s["sharpness"] <= 1.5


@pytest.mark.parametrize("colour", [(255, 255, 255), (0, 0, 0), (90, 160, 40)])
def test_one_flat_colour_is_blank(colour):
    s = quality_scores(Image.new("RGB", (300, 200), colour))
    assert s["content"] == 0 and s["padding"] == 1 and math.isnan(s["sharpness"])
    assert s["brightest"] == max(colour) and s["darkest"] == min(colour)


def test_a_fully_transparent_image_is_one_flat_colour():
    for mode in ("RGBA", "LA"):
        assert quality_scores(Image.new(mode, (64, 64)))["content"] == 0


def test_invisible_noise_is_still_blank():
    rng = np.random.default_rng(0)
    noisy = np.clip(200 + rng.normal(0, 3, (64, 64, 3)), 0, 255).astype(np.uint8)
    assert quality_scores(Image.fromarray(noisy))["content"] == 0


@pytest.mark.parametrize("antialiased", [False, True])
def test_a_small_icon_is_not_blurry(antialiased):
    """A crisp 32 px icon is at least as sharp as the same drawing at 512 px; a 2 px blur
    makes it soft at any size. (Aliased staircase edges score above 1, like fine texture.)"""
    sizes = (32, 64, 128, 256, 512)
    icons = [drawing(s * 4, seed=3).resize((s, s), Image.Resampling.BOX) if antialiased
             else drawing(s, seed=3) for s in sizes]
    sharp = [quality_scores(icon)["sharpness"] for icon in icons]
    assert min(sharp) >= 0.9 * sharp[-1] > 0.6, dict(zip(sizes, sharp))
    for size, icon in zip(sizes, icons):
        blurred = quality_scores(icon.filter(ImageFilter.GaussianBlur(2)))["sharpness"]
        assert blurred < 0.45, (size, blurred)


def test_sharpness_does_not_depend_on_contrast_or_content_amount():
    step = np.zeros((40, 80)); step[:, 40:] = 255
    faint = step * 0.1
    padded = np.zeros((400, 400)); padded[:40, :80] = step
    assert edge_sharpness(step) == pytest.approx(1.0)
    assert edge_sharpness(faint) == pytest.approx(1.0)
    assert edge_sharpness(padded) == pytest.approx(1.0)
    assert math.isnan(edge_sharpness(np.full((10, 10), 7.0)))
    with pytest.raises(ValueError, match="2-D"):
        edge_sharpness(np.zeros((4, 4, 3)))


def test_large_images_are_scored_at_score_size():
    big = drawing(2000, seed=1)
    small = big.resize((500, 500), Image.Resampling.BOX)
    a, b = quality_scores(big), quality_scores(small)
    assert a["content"] == pytest.approx(b["content"], abs=0.02)
    assert a["sharpness"] == pytest.approx(b["sharpness"], rel=0.2)


def test_tones_follow_darkening_and_washing_out():
    img = np.asarray(drawing(), dtype=np.float32)
    dark = quality_scores(Image.fromarray((img * 0.25).astype(np.uint8)))
    washed = quality_scores(Image.fromarray((255 - (255 - img) * 0.25).astype(np.uint8)))
    assert dark["brightest"] <= 64
    assert washed["darkest"] >= 191


def test_a_bright_saturated_picture_is_not_pale():
    img = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(img).ellipse([8, 8, 56, 56], fill=(255, 230, 0))  # yellow: blue is 0
    assert quality_scores(img)["darkest"] == 0


def test_padding_on_any_border_colour_and_a_stray_pixel():
    for border in ((255, 255, 255), (0, 0, 0), (30, 90, 200)):
        img = Image.new("RGB", (200, 200), border)
        img.paste(drawing(50, background=(128, 128, 128)), (75, 75))
        img.putpixel((1, 1), (255 - border[0], 128, 128))      # one stray pixel
        s = quality_scores(img)
        assert s["padding"] == pytest.approx(1 - 50 * 50 / 200 ** 2, abs=0.01), border


def test_other_modes_and_bad_input():
    assert quality_scores(drawing().convert("L"))["content"] > 0.1
    assert quality_scores(drawing().convert("P"))["content"] > 0.1
    with pytest.raises(TypeError, match="PIL.Image.Image"):
        quality_scores(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="must have pixels"):
        quality_scores(Image.new("RGB", (0, 0)))


def test_tiny_images_are_scored():
    for size in ((1, 1), (3, 40), (7, 7)):
        s = quality_scores(Image.new("RGB", size, "red"))
        assert s["content"] == 0
    line = Image.new("RGB", (40, 3), "white")
    ImageDraw.Draw(line).line([0, 1, 39, 1], fill="black")
    assert quality_scores(line)["content"] > 0


# -- judging ---------------------------------------------------------------------------

def test_each_picture_check_flags_its_defect_and_records_why():
    scores = scores_table(200)
    scores[0].update(content=0.0)                    # nothing visible
    scores[1].update(content=0.004, edges=0.5)       # a speck
    scores[2].update(brightest=60.0)                 # dark
    scores[3].update(darkest=200.0)                  # washed out
    scores[4].update(sharpness=0.27)                 # blurred
    scores[5].update(padding=0.95)                   # a small picture in a big canvas
    result = judge_quality(scores, [800] * 200, [800] * 200)
    assert result.issues[:7] == [["blank"], ["blank"], ["dark"], ["washed_out"], ["blurry"],
                                 ["mostly_padding"], []]
    assert sum(map(bool, result.issues[6:])) <= 4   # clean items: at most 2%
    flag = result.flags[4][0]
    assert flag.score == 0.27 and flag.threshold == result.thresholds["blurry"].value
    assert flag.basis.startswith("collection median") and "sharpness" in flag.basis
    assert "absolute floor" in result.flags[0][0].basis
    assert result.thresholds["washed_out"].flags_above
    assert result.exclusions() == {0: "quality:blank", 1: "quality:blank", 2: "quality:dark",
                                   3: "quality:washed_out", 4: "quality:blurry"}


def test_thresholds_come_from_the_collection():
    soft = scores_table(200, seed=1, sharpness=np.exp2(np.random.default_rng(1).normal(-1.0,
                                                                                       0.2, 200)))
    crisp = scores_table(200, seed=1)
    t_soft = judge_quality(soft, [800] * 200, [800] * 200).thresholds["blurry"]
    t_crisp = judge_quality(crisp, [800] * 200, [800] * 200).thresholds["blurry"]
    assert t_soft.value < 0.35 < t_crisp.value
    assert t_crisp.source == "collection" and t_crisp.n == 200


def test_the_gap_is_kept_within_its_limits():
    # Identical highlights (MAD 0): the minimum gap, 1.5 stops below 255.
    t = judge_quality(scores_table(100), [600] * 100, [600] * 100).thresholds["dark"]
    assert t.spread == 0 and t.gap == 1.5 and t.value == pytest.approx(256 / 2 ** 1.5 - 1)
    # Highlights all over the place: the maximum gap, 2 stops.
    wild = scores_table(100, brightest=np.linspace(20, 255, 100))
    t = judge_quality(wild, [600] * 100, [600] * 100).thresholds["dark"]
    assert t.gap == 2.0
    # In between, z MAD decides.
    mid = scores_table(100, sharpness=np.exp2(np.linspace(-0.3, 0.3, 100)))
    t = judge_quality(mid, [600] * 100, [600] * 100).thresholds["blurry"]
    assert 0.5 < t.gap < 1.0 and t.gap == pytest.approx(3.5 * t.spread)


def test_many_items_sharing_a_defect_are_still_flagged():
    n = 300
    scores = scores_table(n, seed=4)
    dark = np.arange(n) < 0.4 * n
    blurred = (np.arange(n) >= 0.4 * n) & (np.arange(n) < 0.6 * n)
    for i in np.flatnonzero(dark):
        scores[i]["brightest"] = 60.0
    for i in np.flatnonzero(blurred):
        scores[i]["sharpness"] = 0.27
    result = judge_quality(scores, [800] * n, [800] * n)
    assert all("dark" in result.issues[i] for i in np.flatnonzero(dark))
    assert all("blurry" in result.issues[i] for i in np.flatnonzero(blurred))


def test_a_small_collection_uses_reference_statistics():
    scores = scores_table(10)
    scores[0]["sharpness"] = 0.3
    result = judge_quality(scores, [800] * 10, [800] * 10)
    t = result.thresholds["blurry"]
    assert t.source == "reference" and t.basis.startswith("reference median sharpness 0.8")
    assert result.issues[0] == ["blurry"]
    bigger = judge_quality(scores, [800] * 10, [800] * 10, QualityPolicy(min_collection=5))
    assert bigger.thresholds["blurry"].source == "collection"


def test_size_checks_follow_the_policy():
    scores = scores_table(4)
    widths, heights = [512, 300, 2000, 1000], [512, 300, 400, 1000]
    result = judge_quality(scores, widths, heights)
    assert result.issues == [[], ["below_resolution"], ["extreme_aspect"], []]
    assert result.flags[2][0].score == 5.0 and result.flags[1][0].threshold == 512
    loose = judge_quality(scores, widths, heights, QualityPolicy(resolution=256, max_aspect=6))
    assert loose.issues == [[], [], [], []]


def test_items_without_scores_or_sizes():
    scores = scores_table(60)
    scores[3] = None
    widths = [600] * 60
    widths[5] = None
    result = judge_quality(scores, widths, [600] * 60)
    assert result.issues[3] == [] and result.issues[5] == []
    assert result.thresholds["blank"].n == 59


def test_only_the_chosen_checks_run_and_exclude():
    scores = scores_table(60)
    scores[0]["content"] = 0.0
    policy = QualityPolicy(checks=("blank", "blurry"), exclude=())
    result = judge_quality(scores, [100] * 60, [100] * 60, policy)
    assert set(result.thresholds) == {"blank", "blurry"}
    assert result.issues[0] == ["blank"] and result.exclusions() == {}


def test_result_views(tmp_path):
    scores = scores_table(80)
    scores[0]["content"] = 0.0
    result = judge_quality(scores, [800] * 80, [800] * 80, ids=[f"s{i}" for i in range(80)])
    data = json.loads(json.dumps(result.to_dict()))
    assert data["checked"] == 80 and data["flagged"]["blank"] == 1
    assert data["items"][0]["id"] == "s0" and data["items"][0]["issues"] == ["blank"]
    assert data["thresholds"]["blurry"]["source"] == "collection"
    assert data["policy"]["gaps"]["blurry"] == [0.5, 1.0]
    frame = result.frame()
    assert list(frame.columns[:5]) == ["id", "width", "height", "side", "aspect"]
    assert frame.loc[0, "blank"] and frame["blank"].sum() == 1
    assert set(CHECKS) <= set(frame.columns)
    text = result.summary()
    assert text.startswith("checked 80; 1 with issues") and "blurry" in text
    assert "1 with issues" in repr(result) and len(result) == 80


def test_policy_validation():
    with pytest.raises(ValueError, match="unknown \\['sharp'\\]"):
        QualityPolicy(checks=("sharp",))
    with pytest.raises(TypeError, match="list of check names"):
        QualityPolicy(exclude="blank")
    with pytest.raises(ValueError, match="gaps keys"):
        QualityPolicy(gaps={"below_resolution": (1, 2)})
    with pytest.raises(ValueError, match="0 <= min <= max"):
        QualityPolicy(gaps={"dark": (2, 1)})
    with pytest.raises(ValueError, match="resolution must be > 0"):
        QualityPolicy(resolution=0)
    with pytest.raises(ValueError, match="max_aspect"):
        QualityPolicy(max_aspect=0.5)
    policy = QualityPolicy(gaps={"dark": (1, 1)})
    assert policy.gaps["dark"] == (1.0, 1.0) and policy.gaps["blurry"] == (0.5, 1.0)
    assert QualityPolicy() == QualityPolicy()


def test_judge_validation():
    scores = scores_table(3)
    with pytest.raises(ValueError, match="widths must have one entry per item"):
        judge_quality(scores, [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="missing \\['sharpness'\\]"):
        judge_quality([{k: v for k, v in s.items() if k != "sharpness"} for s in scores],
                      [1] * 3, [1] * 3)
    frame = pd.DataFrame(scores)
    assert judge_quality(frame, [1] * 3, [1] * 3).issues == judge_quality(
        scores, [1] * 3, [1] * 3).issues


@pytest.mark.parametrize("name", ["workbench.core.quality.checks", "workbench.core.quality.scores",
                                  "workbench.core.quality.result"])
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), extraglobs={"np": np},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_a_small_collection_softer_than_the_reference_is_not_flagged_as_a_whole():
    """Seventeen soft photographs: the clip-art reference would call every one blurry."""
    scores = scores_table(17)
    for row in scores:
        row["sharpness"] = 0.3
    scores[0]["sharpness"] = 0.1  # one really blurred
    result = judge_quality(scores, [800] * 17, [800] * 17)
    t = result.thresholds["blurry"]
    assert t.source == "small collection" and "too few to measure a spread" in t.basis
    assert [i for i, issues in enumerate(result.issues) if "blurry" in issues] == [0]
