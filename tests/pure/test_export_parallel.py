"""Export images through libvips in worker processes: same files as the Pillow path, same publish."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest
from helpers.export_records import fast_config
from helpers.images import exif_rotated_jpeg, pattern, save
from PIL import Image, ImageCms

from workbench.exporters import ImageConfig, export_records
from workbench.exporters import images as ex_images

pytest.importorskip("pyvips")

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture
def sources(tmp_path):
    """Files the libvips path takes (first five) and files it leaves to Pillow (last three)."""
    src = tmp_path / "src"
    rgba = np.array(pattern(4, (300, 200)).convert("RGBA"))
    rgba[:, :90, 3] = 0
    grey_alpha = np.array(pattern(6, (260, 300)).convert("LA"))
    grey_alpha[:40, :, 1] = 60
    return {
        "jpeg_icc": save(pattern(1, (900, 620)), src / "jpeg_icc.jpg", quality=92,
                         icc_profile=SRGB),
        "rgba": save(Image.fromarray(rgba, "RGBA"), src / "rgba.png"),
        "grey_alpha": save(Image.fromarray(grey_alpha, "LA"), src / "grey_alpha.png"),
        "palette": save(pattern(3, (700, 540)).convert("P", palette=Image.Palette.ADAPTIVE),
                        src / "palette.png", transparency=0),
        "rgb_png": save(pattern(2, (640, 600)), src / "rgb_png.png"),
        "rotated": exif_rotated_jpeg(src / "rotated.jpg", size=(600, 420)),
        "cmyk": save(pattern(5, (600, 600)).convert("CMYK"), src / "cmyk.jpg"),
        "colour_key": save(pattern(7, (520, 520)), src / "colour_key.png",
                           transparency=(0, 0, 0)),
    }


def _jobs(sources, out, mode, encoding="auto"):
    os.makedirs(out, exist_ok=True)
    return [ex_images.ImageJob(index=i, src=str(p), dst_dir=str(out), stem=k, mode=mode,
                               resolution=256, encoding=encoding, jpeg_quality=95,
                               max_pixels=10**9) for i, (k, p) in enumerate(sources.items())]


def _both(sources, tmp_path, monkeypatch, mode, encoding="auto"):
    """Each file written by libvips (where it applies) and by Pillow alone."""
    taken = []
    real = ex_images._process_vips

    def spy(job, cpu):
        result = real(job, cpu)
        if result is not None:
            taken.append(job.stem)
        return result

    monkeypatch.setattr(ex_images, "_process_vips", spy)
    fast = [ex_images.process_image(j) for j in _jobs(sources, tmp_path / "vips", mode, encoding)]
    monkeypatch.setattr(ex_images, "_USE_VIPS", False)
    slow = [ex_images.process_image(j) for j in _jobs(sources, tmp_path / "pil", mode, encoding)]
    return taken, fast, slow


@pytest.mark.parametrize("mode,encoding", [("resize", "auto"), ("center_crop", "png"),
                                           ("keep", "auto"), ("resize", "jpeg")])
def test_libvips_writes_what_pillow_writes(sources, tmp_path, monkeypatch, mode, encoding):
    taken, fast, slow = _both(sources, tmp_path, monkeypatch, mode, encoding)
    # The plain 8-bit files go through libvips; rotated, CMYK and colour-keyed ones do not.
    expected = ["jpeg_icc", "rgba", "grey_alpha", "palette", "rgb_png"]
    assert taken == expected
    keys = ("ok", "filename", "width", "height", "src_width", "src_height", "below", "copied",
            "notes")
    for a, b in zip(fast, slow):
        assert {k: a[k] for k in keys} == {k: b[k] for k in keys}, a["filename"]
        va = Image.open(tmp_path / "vips" / a["filename"])
        vb = Image.open(tmp_path / "pil" / b["filename"])
        assert va.size == vb.size == (a["width"], a["height"])
        assert va.mode == vb.mode == "RGB"
        # Lanczos in libvips and in Pillow differ by rounding, JPEG by its encoder.
        diff = np.abs(np.asarray(va, float) - np.asarray(vb, float))
        assert diff.mean() < 2.0 and np.percentile(diff, 99) < 24, (a["filename"], diff.mean())
        # Only an RGB file's colour profile is carried over, by both paths.
        assert bool(va.info.get("icc_profile")) == bool(vb.info.get("icc_profile"))
        size_a = os.path.getsize(tmp_path / "vips" / a["filename"])
        size_b = os.path.getsize(tmp_path / "pil" / b["filename"])
        assert size_a < 1.5 * size_b + 2000, (a["filename"], size_a, size_b)
    by_stem = {r["filename"].split(".")[0]: r for r in fast}
    assert by_stem["rgba"]["notes"] == ["alpha_flattened"]
    assert by_stem["palette"]["notes"] == ["palette", "alpha_flattened"]
    if mode == "resize":
        assert (by_stem["jpeg_icc"]["width"], by_stem["jpeg_icc"]["height"]) == (372, 256)
    assert Image.open(tmp_path / "vips" / by_stem["jpeg_icc"]["filename"]).info["icc_profile"]


def test_transparent_pixels_become_white_as_with_pillow(sources, tmp_path, monkeypatch):
    _, fast, _ = _both(sources, tmp_path, monkeypatch, "keep")
    by_stem = {r["filename"].split(".")[0]: r for r in fast}
    px = np.asarray(Image.open(tmp_path / "vips" / by_stem["rgba"]["filename"]))
    assert (px[:, :90] == 255).all()


def test_an_untouched_rgb_file_is_copied_byte_for_byte(sources, tmp_path, monkeypatch):
    _, fast, _ = _both(sources, tmp_path, monkeypatch, "keep")
    by_stem = {r["filename"].split(".")[0]: r for r in fast}
    for stem in ("jpeg_icc", "rgb_png"):
        assert by_stem[stem]["copied"]
        copy = (tmp_path / "vips" / by_stem[stem]["filename"]).read_bytes()
        assert copy == sources[stem].read_bytes()


def test_a_broken_file_is_reported_with_pillows_reason_not_copied(tmp_path):
    good = save(pattern(1, (400, 300)), tmp_path / "src" / "good.jpg", quality=90)
    cut = tmp_path / "src" / "cut.jpg"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    out = tmp_path / "out"
    out.mkdir()
    job = ex_images.ImageJob(index=0, src=str(cut), dst_dir=str(out), stem="cut", mode="keep",
                             resolution=256, encoding="auto", jpeg_quality=95, max_pixels=10**9)
    with_vips = ex_images.process_image(job)
    assert not with_vips["ok"] and with_vips["reason"]
    assert list(out.iterdir()) == []


def test_two_workers_export_the_same_files_and_publish_once(sources, tmp_path):
    records = [{"id": k, "filepath": str(p), "group": "g", "license": "CC0-1.0",
                "creator": "c", "consent": "granted",
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
               for k, p in sources.items()]
    reports = {}
    for workers in (1, 2):
        cfg = fast_config(images=ImageConfig(workers=workers, mode="resize", resolution=256))
        # run_jobs goes parallel from 8 jobs per worker: repeat the files under new ids
        many = [dict(r, id=f"{r['id']}-{i}") for i in range(3) for r in records]
        reports[workers] = export_records(many, format="imagefolder",
                                          out=tmp_path / f"out{workers}", config=cfg)
    one, two = reports[1], reports[2]
    assert one.images == two.images == 24 and not one.failed and not two.failed
    listing = {w: sorted(p.relative_to(r.out).as_posix() for p in r.out.rglob("*") if p.is_file())
               for w, r in reports.items()}
    assert listing[1] == listing[2]
    for rel in listing[1]:
        if rel.endswith((".jpg", ".png")):
            a = np.asarray(Image.open(one.out / rel), float)
            b = np.asarray(Image.open(two.out / rel), float)
            assert a.shape == b.shape and np.abs(a - b).max() == 0
    # the atomic publish leaves no staging folder beside the export
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out1", "out2", "src"]
