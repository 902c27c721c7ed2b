"""Copy or variant (pure core): the local check on the files of pairs judged duplicates.

A copy (resized, re-encoded, cropped by up to 8%, reduced to a palette) stays a
duplicate; a template variant (the same frame, another symbol or digit) is kept; a mirror
image is compared flipped, and counts as a copy only with ``mirrors_are_copies``.
"""

from __future__ import annotations

import imagehash
import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

from workbench.core.dedup.candidates import (
    COLOR_COLUMN,
    PATH_COLUMN,
    DedupConfig,
    near_duplicate_pairs,
    resolve_duplicates,
)
from workbench.core.dedup.rules import judge_pairs
from workbench.core.dedup.variants import align, judge_variants, local_change
from workbench.core.pixels.color import color_signature
from workbench.core.pixels.images import to_rgb


def card(symbol: str, size=(150, 210)) -> Image.Image:
    """A playing-card-like template: a frame, corner marks and a big central symbol."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    w, h = size
    d.rounded_rectangle([2, 2, w - 3, h - 3], radius=12, fill=(250, 250, 245, 255),
                        outline=(30, 30, 30, 255), width=3)
    d.rectangle([12, 12, 30, 40], fill=(190, 20, 30, 255))
    d.rectangle([w - 31, h - 41, w - 13, h - 13], fill=(190, 20, 30, 255))
    d.text((w / 2, h / 2), symbol, fill=(190, 20, 30, 255),
           font=ImageFont.load_default(size=int(h * 0.45)), anchor="mm")
    return img


def arrow(size=(160, 120)) -> Image.Image:
    img = Image.new("RGB", size, "white")
    w, h = size
    ImageDraw.Draw(img).polygon([(10, h / 2), (60, 10), (60, 40), (w - 10, 40), (w - 10, h - 40),
                                 (60, h - 40), (60, h - 10)], fill=(20, 60, 160))
    return img


def on_white(img: Image.Image) -> Image.Image:
    return to_rgb(img)


def save(img: Image.Image, path, **kwargs) -> str:
    img.save(path, **kwargs)
    return str(path)


@pytest.fixture
def files(tmp_path):
    base = card("7")
    w, h = base.size
    out = {"seven": save(base, tmp_path / "seven.png"),
           "half": save(base.resize((w // 2, h // 2), Image.Resampling.LANCZOS),
                        tmp_path / "half.png"),
           "jpeg": save(on_white(base), tmp_path / "jpeg.jpg", quality=70),
           "crop": save(base.crop((4, 11, w - 7, h - 2)), tmp_path / "crop.png"),
           "palette": save(on_white(base).convert("P", palette=Image.Palette.ADAPTIVE,
                                                  colors=256), tmp_path / "palette.gif"),
           "eight": save(card("8"), tmp_path / "eight.png"),
           "queen": save(card("Q"), tmp_path / "queen.png"),
           "arrow": save(arrow(), tmp_path / "arrow.png"),
           "mirror": save(ImageOps.mirror(arrow()), tmp_path / "mirror.png")}
    return out


def test_align_undoes_a_crop_and_a_resize():
    rng = np.random.default_rng(1)
    a = np.kron(rng.random((25, 20)), np.ones((8, 8))).astype(np.float32)  # 200 x 160
    crop = a[6:196, 0:150]  # 5% off the rows, 6% off the columns
    x, y = align(a, crop, size=128)
    assert x.shape == y.shape == (128, 112)  # 3/4 of the smaller picture, at most 128
    assert float(np.abs(x - y).mean()) < 0.02
    x, y = align(a[::2, ::2], crop)  # half size and cropped
    assert float(np.abs(x - y).mean()) < 0.06


def test_local_change_is_low_in_one_place_for_a_variant():
    a = np.ones((96, 96)); a[10:86, 10:86] = 0.3
    b = a.copy(); b[40:60, 40:60] = 1.0
    noisy = np.clip(a + np.random.default_rng(0).normal(0, 0.01, a.shape), 0, 1)
    same, variant, copy = local_change(a, a), local_change(a, b), local_change(a, noisy)
    assert same.worst == 1.0 and same.size == (96, 96)
    assert variant.worst < 0.5 and copy.worst > 0.7
    assert variant.low_share < 0.2  # a lot, but in a few places
    with pytest.raises(ValueError, match=r"two pictures of one shape, \(h, w\) or \(h, w, 3\)"):
        local_change(a, a[:50])


def test_copies_stay_duplicates_variants_are_kept(files):
    copies = ["half", "jpeg", "crop", "palette"]
    variants = ["eight", "queen"]
    names = copies + variants
    verdict, why, worst = judge_variants([files["seven"]] * len(names),
                                         [files[k] for k in names], [False] * len(names))
    got = dict(zip(names, verdict))
    assert all(got[k] == "duplicate" for k in copies), dict(zip(names, why))
    assert all(got[k] == "variant" for k in variants), dict(zip(names, why))
    assert (worst[:4] >= 0.7).all() and (worst[4:] < 0.5).all(), worst
    assert why[0].startswith("aligned pixels agree: worst tile SSIM")
    assert why[4].startswith("a local part differs (variant): worst tile SSIM")


def test_mirrors_compared_flipped_and_unreadable_files_left_alone(files, tmp_path):
    broken = save(Image.new("RGB", (8, 8)), tmp_path / "tiny.png")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    verdict, why, worst = judge_variants(
        [files["arrow"]] * 4, [files["mirror"], files["mirror"], broken,
                               str(tmp_path / "junk.png")], [True, False, False, False])
    assert verdict[0] == "duplicate" and verdict[1] == "variant"
    assert verdict[2] is None and "a side under 16 pixels" in why[2]
    assert verdict[3] is None and "junk.png could not be read" in why[3]
    assert np.isnan(worst[2:]).all()


def _records(files, names):
    images = [Image.open(files[k]) for k in names]
    flat = [to_rgb(im) for im in images]
    return pd.DataFrame({"id": names, "phash": [str(imagehash.phash(im)) for im in flat],
                         COLOR_COLUMN: [color_signature(im) for im in flat],
                         PATH_COLUMN: [files[k] for k in names],
                         "width": [im.width for im in images],
                         "height": [im.height for im in images]})


def test_near_duplicate_pairs_keep_the_variants_of_a_template(files):
    names = ["seven", "jpeg", "eight", "queen"]
    records = _records(files, names)
    x = np.tile(np.array([[1.0, 0.0]], np.float32), (4, 1))  # embeddings all agree
    blind = near_duplicate_pairs(records.drop(columns=PATH_COLUMN), x, DedupConfig())
    # Without the files, frame, corners and colours agree: every card is a "duplicate".
    assert (blind["verdict"] == "duplicate").sum() >= 3 and blind["local"].isna().all()
    pairs = near_duplicate_pairs(records, x, DedupConfig())
    verdict = {(names[i], names[j]): v for i, j, v in pairs[["i", "j", "verdict"]].values}
    assert verdict[("seven", "jpeg")] == "duplicate"
    assert {v for k, v in verdict.items() if k != ("seven", "jpeg")} <= {"variant", "review"}
    assert pairs["local"].notna().all()
    keeper, n = resolve_duplicates(records, x, DedupConfig(), pairs=pairs)
    assert keeper[0] == keeper[1] and keeper[2:].tolist() == [2, 3] and n == 1
    off = near_duplicate_pairs(records, x, DedupConfig(local_check=False))
    assert off[["verdict", "why"]].equals(blind[["verdict", "why"]])


def test_mirror_pairs_reviewed_unless_mirrors_are_copies(files):
    records = _records(files, ["arrow", "mirror"])
    x = np.array([[1.0, 0.0], [0.999, 0.04]], np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    default = near_duplicate_pairs(records, x, DedupConfig())
    assert default["verdict"].tolist() == ["review"]
    assert default["why"][0].startswith("mirror image")
    flips = near_duplicate_pairs(records, x, DedupConfig(mirrors_are_copies=True))
    assert flips["verdict"].tolist() == ["duplicate"], flips["why"].tolist()
    assert "(mirrors are copies)" in flips["why"][0] and flips["local"][0] >= 0.7
    verdict, _ = judge_pairs(np.array([0.97]), np.array([30]), np.array([4]),
                             np.array([0.05]), DedupConfig(mirrors_are_copies=True))
    assert verdict.tolist() == ["review"]  # colours in the grey zone: still reviewed


def test_new_fields_validated():
    with pytest.raises(ValueError, match=r"mirrors_are_copies must be True or False.*'yes'"):
        DedupConfig(mirrors_are_copies="yes")
    with pytest.raises(ValueError, match=r"local_size is a side in pixels.*got 8"):
        DedupConfig(local_size=8)
    with pytest.raises(ValueError, match=r"variant_ssim <= variant_review.*variant_ssim=0.5"):
        DedupConfig(variant_ssim=0.5, variant_review=0.4)


def test_many_pairs_judged_in_worker_processes_give_the_same_verdicts(files):
    from workbench.core.dedup.variants import judge_pairs_here, judge_variants

    names = sorted(files)
    pairs = [(files[a], files[b]) for a in names for b in names if a < b] * 8  # 360 pairs
    a, b = [p for p, _ in pairs], [q for _, q in pairs]
    mirror = [k % 5 == 0 for k in range(len(pairs))]
    here = judge_pairs_here(a, b, mirror)
    spread = judge_variants(a, b, mirror, workers=2)
    assert len(pairs) >= 256, "enough pairs for the worker processes"
    assert np.array_equal(here[0], spread[0]) and np.array_equal(here[1], spread[1])
    assert np.array_equal(here[2], spread[2], equal_nan=True)
