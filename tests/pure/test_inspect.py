"""Decoding and inspecting single files: every bad-file case with a real file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from helpers.images import animated_gif, exif_rotated_jpeg, jpeg_bytes, pattern, save
from workbench.core.pixels.images import ImageDecodeError, open_rgb
from workbench.core.intake.inspect import inspect_file, inspect_files, scan_folder


def test_good_jpeg_is_hashed_measured_and_phashed(tmp_path):
    p = save(pattern(1, (64, 48)), tmp_path / "a.jpg", quality=90)
    info = inspect_file(str(p))
    assert info.ok and info.decoded
    assert (info.width, info.height) == (64, 48)
    assert len(info.sha256) == 64 and len(info.phash) == 16
    assert info.file_size == p.stat().st_size


def test_truncated_jpeg(tmp_path):
    data = jpeg_bytes(2, (200, 150))
    p = tmp_path / "t.jpg"
    p.write_bytes(data[: len(data) // 2])
    info = inspect_file(str(p))
    assert info.reason == "truncated"


def test_corrupt_bytes_after_valid_header(tmp_path):
    data = bytearray(jpeg_bytes(2, (200, 150)))
    data[200:] = b"\x00" * (len(data) - 200)  # header intact, entropy data destroyed
    p = tmp_path / "c.jpg"
    p.write_bytes(bytes(data))
    info = inspect_file(str(p))
    assert info.reason in ("corrupt", "truncated")


def test_zero_byte_file(tmp_path):
    p = tmp_path / "z.png"
    p.touch()
    assert inspect_file(str(p)).reason == "zero_bytes"


def test_text_file_with_image_extension(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("this is not an image\n")
    assert inspect_file(str(p)).reason == "not_an_image"


def test_decompression_bomb_respects_configurable_limit(tmp_path):
    p = save(Image.new("1", (4000, 4000)), tmp_path / "bomb.png")  # tiny file, 16 Mpx
    assert inspect_file(str(p), max_pixels=1_000_000).reason == "decompression_bomb"
    assert inspect_file(str(p), max_pixels=20_000_000).ok


def test_limit_above_pillows_own_default_is_honoured(tmp_path):
    p = save(Image.new("1", (10000, 10000)), tmp_path / "big.png")  # 100 Mpx > Pillow's 89 Mpx
    pillow_limit = Image.MAX_IMAGE_PIXELS
    assert inspect_file(str(p)).ok, "the default limit (268 Mpx) applies, not Pillow's"
    assert inspect_file(str(p), max_pixels=50_000_000).reason == "decompression_bomb"
    assert Image.MAX_IMAGE_PIXELS == pillow_limit, "Pillow's global limit is restored"


@pytest.mark.parametrize(
    "mode,note",
    [("CMYK", "cmyk_converted"), ("P", "palette"), ("RGBA", "alpha_flattened"), ("LA", "alpha_flattened")],
)
def test_odd_modes_decode_to_rgb(tmp_path, mode, note):
    img = pattern(4, (40, 30)).convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    p = save(img, tmp_path / f"m.{fmt.lower()}", format=fmt)
    decoded = open_rgb(p)
    assert decoded.image.mode == "RGB" and decoded.image.size == (40, 30)
    assert note in decoded.notes


def test_alpha_is_flattened_on_white(tmp_path):
    img = Image.new("RGBA", (10, 10), (255, 0, 0, 0))  # fully transparent red
    p = save(img, tmp_path / "clear.png")
    arr = np.asarray(open_rgb(p).image)
    assert (arr == 255).all()


def test_16bit_png_scales_to_8bit(tmp_path):
    arr = (np.linspace(0, 65535, 64 * 32).reshape(32, 64)).astype(np.uint16)
    p = tmp_path / "deep.png"
    Image.fromarray(arr).save(p)
    decoded = open_rgb(p)
    out = np.asarray(decoded.image)
    assert decoded.image.mode == "RGB" and "high_bit_depth" in decoded.notes
    assert out.min() == 0 and out.max() == 255


def test_animated_gif_uses_first_frame(tmp_path):
    p = animated_gif(tmp_path / "anim.gif")
    info = inspect_file(str(p))
    assert info.ok and "animated_first_frame" in info.notes


def test_exif_rotation_is_applied(tmp_path):
    p = exif_rotated_jpeg(tmp_path / "rot.jpg", size=(80, 40))
    info = inspect_file(str(p))
    assert (info.width, info.height) == (40, 80)
    assert "exif_rotated" in info.notes


def test_non_ascii_file_name(tmp_path):
    p = save(pattern(5), tmp_path / "broderie-é-藍染-01.jpg")
    info = inspect_file(str(p))
    assert info.ok and info.path.endswith("藍染-01.jpg")


def test_symlink_loop_file_and_folder(tmp_path):
    root = tmp_path / "root"
    save(pattern(6), root / "ok.jpg")
    os.symlink(root / "b.jpg", root / "a.jpg")
    os.symlink(root / "a.jpg", root / "b.jpg")
    os.symlink(root, root / "again")  # folder loop
    scan = scan_folder(root)
    found = {os.path.basename(i["path"]): i["reason"] for i in scan.ignored}
    found.update({os.path.basename(i.path): i.reason for i in inspect_files(
        [(f, None) for f in scan.files], workers=0)})
    assert found == {"again": "symlink_loop", "a.jpg": "symlink_loop", "b.jpg": "symlink_loop",
                     "ok.jpg": None}


def test_unreadable_permissions(tmp_path):
    p = save(pattern(7), tmp_path / "secret.jpg")
    os.chmod(p, 0)
    if os.geteuid() != 0:
        assert inspect_file(str(p)).reason == "permission_denied"
        return
    # Root reads anything: check in a child that has dropped the capabilities that
    # let root bypass file permissions.
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root needs util-linux setpriv to test unreadable files")
    drop = "-dac_override,-dac_read_search"
    code = ("import sys; from workbench.core.intake.inspect import inspect_file; "
            "print(inspect_file(sys.argv[1]).reason)")
    out = subprocess.run([setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}",
                          sys.executable, "-c", code, str(p)], capture_output=True, text=True)
    assert out.stdout.strip() == "permission_denied", out.stderr


def test_unchanged_file_is_not_decoded_again(tmp_path):
    p = save(pattern(8), tmp_path / "a.png")
    first = inspect_file(str(p))
    again = inspect_file(str(p), known_sha256=first.sha256)
    assert again.ok and not again.decoded and again.sha256 == first.sha256


def test_parallel_inspection_keeps_order(tmp_path):
    paths = [str(save(pattern(i), tmp_path / f"{i:03d}.png")) for i in range(40)]
    shutil.copy(paths[0], tmp_path / "zz.png")
    infos = list(inspect_files([(p, None) for p in paths], workers=2))
    assert [i.path for i in infos] == paths
    assert len({i.sha256 for i in infos}) == 40


def test_open_rgb_raises_with_reason(tmp_path):
    with pytest.raises(ImageDecodeError) as err:
        open_rgb(tmp_path / "nope.jpg")
    assert err.value.reason == "missing"
