"""kohya's buckets, previewed: the bucket list, the placement of each image, scale, cut and
warnings, against cases worked out by hand from sd-scripts' formula."""

from __future__ import annotations

import pytest

from workbench.exporters.buckets import BucketConfig, bucket_resolutions, place_images, plan_buckets


def _formula_cut(w, h, bucket):
    r, rb = w / h, bucket[0] / bucket[1]
    return 1 - rb / r if r > rb else 1 - r / rb


# (width, height, config kwargs, bucket, resized, cut in % rounded to 0.1)
HAND = [
    # area 1024², max 2048: w=1152 -> ⌊⌊1048576/1152⌋/64⌋·64 = ⌊910/64⌋·64 = 896, aspect
    # 1.286 is the nearest to 4/3; cover: 896/3000 -> 1195 x 896; cut 1 - 1.2857/1.3333.
    (4000, 3000, {"resolution": 1024, "max_reso": 2048}, (1152, 896), (1195, 896), 3.6),
    # no upscale: 300 x 300 fits in 1024², bucket = size rounded down to 64; 27.2% trimmed.
    (300, 300, {"no_upscale": True}, (256, 256), (300, 300), 27.2),
    # exactly a bucket: stays, no scale, no cut
    (1024, 1024, {}, (1024, 1024), (1024, 1024), 0.0),
    # 1/3 aspect, max 1024: widths 320 (h 1024, aspect .3125) beats 384 (.375); scale
    # 1024/3000 -> 341 x 1024; cut 1 - 320/341 (the formula says 6.25%)
    (1000, 3000, {}, (320, 1024), (341, 1024), 6.2),
    # small square, upscaled 2.56x to the 1024 square
    (400, 400, {}, (1024, 1024), (1024, 1024), 0.0),
    # no upscale, larger than the area: shrunk to area 1024² (1448 x 724, rounded to the
    # step: 1408 x 704 both ways, a tie taken by the height), nothing cut
    (2000, 1000, {"no_upscale": True}, (1408, 704), (1408, 704), 0.0),
    # resolution 512, max 1024: 16:9 -> w 640: ⌊⌊262144/640⌋/64⌋·64 = 384 (1.667) beats
    # 704 x 320 (2.2) and 576 x 448 (1.286); cover 384/1080 -> 683 x 384
    (1920, 1080, {"resolution": 512, "max_reso": 1024}, (640, 384), (683, 384), 6.3),
]


@pytest.mark.parametrize("w,h,kw,bucket,resized,cut", HAND)
def test_placement_matches_the_hand_computed_table(w, h, kw, bucket, resized, cut):
    cfg = BucketConfig(**kw)
    p = place_images([(w, h)], cfg)[0]
    assert p.bucket == bucket
    assert p.resized == resized
    assert round(100 * p.cut, 1) == cut
    assert p.scale == pytest.approx(resized[0] / w)
    if not cfg.no_upscale:  # covered, then cut centred: the formula, up to rounding
        assert p.cut == pytest.approx(_formula_cut(w, h, bucket), abs=0.005)


def test_the_two_cases_of_the_acceptance():
    p = place_images([(4000, 3000)], BucketConfig(resolution=1024, max_reso=2048))[0]
    assert p.bucket == (1152, 896) and f"{p.cut:.1%}" == "3.6%"
    assert place_images([(300, 300)], BucketConfig(no_upscale=True))[0].bucket == (256, 256)


def test_bucket_list_follows_make_bucket_resolutions():
    # max 1024 at area 1024²: every height caps at 1024, so (w, 1024) for w = 256..1024 and
    # the mirrors: 13 + 12 buckets
    got = bucket_resolutions(BucketConfig())
    want = sorted({(w, 1024) for w in range(256, 1025, 64)} | {(1024, w) for w in range(256, 1025, 64)})
    assert got == want and len(got) == 25
    sdxl = bucket_resolutions(BucketConfig(resolution=1024, max_reso=2048))
    for pair in [(1024, 1024), (1152, 896), (896, 1152), (1216, 832), (1344, 768), (1536, 640),
                 (2048, 512), (512, 2048)]:
        assert pair in sdxl
    assert all(w % 64 == 0 and h % 64 == 0 and w * h <= 1024 * 1024 for w, h in sdxl)
    # min/max are rounded to the step as sd-scripts does: 250 -> 192, 1000 -> 1024
    assert BucketConfig(min_reso=250, max_reso=1000).bounds() == (192, 1024)


def test_plan_counts_buckets_and_warns():
    sizes = [(4000, 3000)] * 3 + [(400, 400), (100, 1000), (1024, 1024), (None, None)]
    ids = [f"i{k}" for k in range(len(sizes))]
    plan = plan_buckets(ids, sizes, BucketConfig(resolution=1024, max_reso=2048, batch_size=2))
    counts = dict(zip(plan.buckets["bucket"], plan.buckets["images"]))
    assert counts["1152x896"] == 3 and counts["1024x1024"] == 2 and sum(counts.values()) == 6
    assert plan.skipped == ["i6"]
    kinds = {w["kind"]: w for w in plan.warnings}
    # 100 x 1000 (aspect .1) goes alone to 256 x 2048 (aspect .125, the nearest), scaled
    # 256/100 = 2.56x, and loses 1 - .1/.125 = 20%
    assert kinds["bucket_below_batch"]["buckets"] == ["256x2048"]
    assert kinds["upscaled"]["ids"] == ["i3", "i4"]  # 1024/400 and 256/100: 2.56x each
    assert kinds["cut"]["ids"] == ["i4"]
    worst = plan.worst_cuts(1)
    assert worst["id"].tolist() == ["i4"] and worst["cut"].iloc[0] == pytest.approx(0.2)
    d = plan.to_dict()
    assert d["images"] == 6 and len(d["placements"]) == 6 and d["worst_cuts"][0]["id"] == "i4"
    assert "6 images in 3 buckets" in plan.summary()


def test_plot_and_strip_draw(tmp_path):
    from helpers.images import pattern, save

    path = save(pattern(1, (300, 100)), tmp_path / "wide.png")
    plan = plan_buckets(["a"], [(300, 100)], BucketConfig(), paths=[str(path)])
    assert plan.plot().get_title().startswith("kohya buckets")
    html = plan.html()
    assert "data:image/jpeg;base64" in html and "cut" in html


@pytest.mark.parametrize("kw,word", [
    ({"resolution": 2048}, "resolution"),  # above max_reso 1024
    ({"step": 0}, "step"),
    ({"min_reso": 512, "max_reso": 256}, "max_reso"),
    ({"max_cut": 1.5}, "max_cut"),
])
def test_bad_settings_name_the_parameter(kw, word):
    with pytest.raises(ValueError, match=word):
        BucketConfig(**kw)
