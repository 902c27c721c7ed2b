"""Image processing at export: orientation, RGB, resize/crop, never upscale, byte copies."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from helpers.images import exif_rotated_jpeg, pattern, save
from PIL import Image
from helpers.export_records import fast_config

from workbench.exporters import ImageConfig, export_records


def record(path, rid, group="ink"):
    return {"id": rid, "filepath": str(path), "group": group, "style": group,
            "license": "CC0-1.0", "creator": "c", "consent": "granted",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


@pytest.fixture
def sources(tmp_path):
    src = tmp_path / "src"
    rgba = pattern(4, (90, 70)).convert("RGBA")
    alpha = np.array(rgba)
    alpha[:, :30, 3] = 0  # left band fully transparent
    return {
        "landscape": save(pattern(1, (120, 80)), src / "landscape.jpg", quality=92),
        "small": save(pattern(2, (40, 30)), src / "small.png"),
        "rotated": exif_rotated_jpeg(src / "rotated.jpg", size=(100, 70)),
        "rgba": save(Image.fromarray(alpha, "RGBA"), src / "rgba.png"),
        "cmyk": save(pattern(5, (80, 80)).convert("CMYK"), src / "cmyk.jpg"),
    }


def export(sources, tmp_path, **image_kw):
    records = [record(p, k) for k, p in sources.items()]
    cfg = fast_config(images=ImageConfig(workers=1, **image_kw))
    report = export_records(records, format="imagefolder", out=tmp_path / "out", config=cfg)
    rows = [json.loads(x) for x in (report.out / "train/metadata.jsonl").read_text().splitlines()]
    files = {r["sample_id"]: report.out / "train" / r["file_name"] for r in rows}
    return report, files


def test_resize_shorter_side_never_upscales(sources, tmp_path):
    report, files = export(sources, tmp_path, mode="resize", resolution=64)
    sizes = {k: Image.open(p).size for k, p in files.items()}
    assert sizes["landscape"] == (96, 64)
    assert sizes["rotated"] == (64, 91)  # upright portrait: EXIF applied before resizing
    assert sizes["small"] == (40, 30)  # below the target: kept at its size
    assert [(b["id"], b["width"], b["height"]) for b in report.below_resolution] == [
        ("small", 40, 30)]
    assert report.below_resolution[0]["file"] == f"train/{files['small'].name}"


def test_center_crop_gives_squares(sources, tmp_path):
    _, files = export(sources, tmp_path, mode="center_crop", resolution=64)
    for key, path in files.items():
        assert Image.open(path).size == ((40, 30) if key == "small" else (64, 64)), key


def test_keep_normalises_to_upright_rgb_and_copies_untouched_bytes(sources, tmp_path):
    _, files = export(sources, tmp_path, mode="keep")
    for key, path in files.items():
        with Image.open(path) as img:
            assert img.mode == "RGB", key
            assert img.getexif().get(0x0112) in (None, 1), key  # no rotation left to apply
    assert Image.open(files["rotated"]).size == (70, 100)
    # Transparent pixels are flattened on white.
    assert Image.open(files["rgba"]).getpixel((5, 5)) == (255, 255, 255)
    assert files["rgba"].suffix == ".png" and files["cmyk"].suffix == ".jpg"
    # An upright RGB JPEG needs nothing: its bytes are copied, no generation lost.
    assert files["landscape"].read_bytes() == sources["landscape"].read_bytes()
    assert files["rotated"].read_bytes() != sources["rotated"].read_bytes()


def test_encoding_can_be_forced(sources, tmp_path):
    _, files = export(sources, tmp_path, mode="keep", encoding="png")
    assert {p.suffix for p in files.values()} == {".png"}
    assert all(Image.open(p).format == "PNG" for p in files.values())


@pytest.mark.parametrize("bad", [{"mode": "squash"}, {"encoding": "webp"}, {"resolution": 0},
                                 {"workers": 0}, {"jpeg_quality": 101}])
def test_bad_image_settings_name_the_parameter(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        ImageConfig(**bad)
