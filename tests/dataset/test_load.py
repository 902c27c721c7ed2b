"""Loading into FiftyOne: idempotence, change detection, bad files, manifests, sources untouched."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

import workbench as wb
from helpers.images import animated_gif, exif_rotated_jpeg, jpeg_bytes, pattern, save

QUIET = wb.LoadConfig(progress=False, workers=0)


def tree_digest(root: Path) -> dict[str, tuple[str, int, float]]:
    """sha256, mode and mtime of every file under root (symlinks not followed)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            st = os.lstat(p)
            if p.is_symlink() or not os.access(p, os.R_OK):
                out[str(p)] = ("-", st.st_mode, st.st_mtime)
                continue
            out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mode, st.st_mtime)
    return out


@pytest.fixture
def messy(tmp_path) -> Path:
    """A folder with every kind of bad and odd file, in sub-folders."""
    root = tmp_path / "messy"
    for i in range(4):
        save(pattern(i), root / "good" / f"g{i}.jpg", quality=90)
    save(pattern(10).convert("CMYK"), root / "odd" / "cmyk.jpg")
    save(pattern(11).convert("P"), root / "odd" / "palette.png")
    save(pattern(12).convert("RGBA"), root / "odd" / "alpha.png")
    import numpy as np
    from PIL import Image

    Image.fromarray((np.arange(32 * 32).reshape(32, 32) * 60).astype(np.uint16)).save(
        root / "odd" / "deep16.png")
    animated_gif(root / "odd" / "anim.gif")
    exif_rotated_jpeg(root / "odd" / "rotated.jpg")
    save(pattern(13), root / "odd" / "藍染-é.jpg")
    data = jpeg_bytes(20, (300, 200))
    (root / "bad").mkdir()
    (root / "bad" / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (root / "bad" / "empty.png").touch()
    (root / "bad" / "text.jpg").write_text("not an image")
    save(Image.new("1", (3000, 3000)), root / "bad" / "bomb.png")
    os.symlink(root / "bad" / "loop2.jpg", root / "bad" / "loop1.jpg")
    os.symlink(root / "bad" / "loop1.jpg", root / "bad" / "loop2.jpg")
    shutil.copy(root / "good" / "g0.jpg", root / "odd" / "zz-copy-of-g0.jpg")
    (root / "notes.txt").write_text("ignored: not an image suffix")
    return root


def test_messy_folder_reports_every_bad_file_and_loads_the_rest(messy, dataset_name):
    before = tree_digest(messy)
    report = wb.load(messy, name=dataset_name, labels_from_folders="folder",
                     config=wb.LoadConfig(progress=False, workers=0, max_pixels=4_000_000))
    assert tree_digest(messy) == before, "source files must never be modified"

    reasons = {Path(s["path"]).name: s["reason"] for s in report.skipped}
    assert reasons == {
        "truncated.jpg": "truncated",
        "empty.png": "zero_bytes",
        "text.jpg": "not_an_image",
        "bomb.png": "decompression_bomb",
        "loop1.jpg": "symlink_loop",
        "loop2.jpg": "symlink_loop",
    }
    assert report.added == 4 + 7 + 1
    assert [(Path(d["path"]).name, Path(d["duplicate_of"]).name) for d in report.duplicates] == [
        ("zz-copy-of-g0.jpg", "g0.jpg")]

    ds = wb.get_dataset(dataset_name)
    assert len(ds) == report.total == 12
    by_name = {Path(s.filepath).name: s for s in ds}
    assert set(by_name) & set(reasons) == set(), "bad files must not become samples"
    assert "exif_rotated" in by_name["rotated.jpg"].load_issues
    assert (by_name["rotated.jpg"].width, by_name["rotated.jpg"].height) == (40, 80)
    assert "animated_first_frame" in by_name["anim.gif"].load_issues
    assert by_name["藍染-é.jpg"].folder == "odd"
    assert by_name["zz-copy-of-g0.jpg"].duplicate_of == by_name["g0.jpg"].filepath
    assert all(s.license_status == "unknown" and s.consent == "unknown" for s in ds)


def test_reload_is_idempotent_and_detects_changes(tmp_path, dataset_name):
    root = tmp_path / "src"
    for i in range(5):
        save(pattern(i), root / f"{i}.png")
    first = wb.load(root, name=dataset_name, config=QUIET)
    assert (first.added, first.updated, first.unchanged) == (5, 0, 0)

    again = wb.load(root, name=dataset_name, config=QUIET)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert len(wb.get_dataset(dataset_name)) == 5

    save(pattern(99), root / "2.png")  # content changed in place
    save(pattern(100), root / "new.png")
    third = wb.load(root, name=dataset_name, config=QUIET)
    assert (third.added, third.updated, third.unchanged) == (1, 1, 4)
    ds = wb.get_dataset(dataset_name)
    assert len(ds) == 6
    sample = ds.match({"filepath": str(root / "2.png")}).first()
    assert sample.sha256 == hashlib.sha256((root / "2.png").read_bytes()).hexdigest()


def test_file_broken_after_first_load_becomes_unusable(tmp_path, dataset_name):
    root = tmp_path / "src"
    for i in range(3):
        save(pattern(i), root / f"{i}.jpg")
    wb.load(root, name=dataset_name, config=QUIET)
    (root / "1.jpg").write_text("overwritten with text")
    report = wb.load(root, name=dataset_name, config=QUIET)
    assert [Path(s["path"]).name for s in report.skipped] == ["1.jpg"]
    ds = wb.get_dataset(dataset_name)
    assert len(ds) == 3, "nothing is deleted"
    assert len(wb.usable(ds)) == 2 == report.total


def write_manifest(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_manifest_rights_record_and_custom_fields(tmp_path, dataset_name):
    root = tmp_path / "m"
    save(pattern(1), root / "a.jpg")
    save(pattern(2), root / "b.jpg")
    save(pattern(3), root / "c.jpg")
    m = write_manifest(root / "list.csv",
                       ["filepath", "creator", "license", "consent", "ai_generated", "style", "year"],
                       [["a.jpg", "creator-01", "cc-by-4.0", "granted", "false", "ink", "2021"],
                        ["b.jpg", "creator-02", "CC-BY-4", "opted_out", "true", "ink", "2022"],
                        ["missing.jpg", "creator-03", "CC0-1.0", "granted", "false", "dots", "2023"]])
    report = wb.load(root, name=dataset_name, manifest=m, config=QUIET)
    assert [(Path(s["path"]).name, s["reason"]) for s in report.skipped] == [("missing.jpg", "missing")]
    assert [Path(p).name for p in report.not_in_manifest] == ["c.jpg"]
    assert [Path(p).name for p in report.opted_out] == ["b.jpg"]
    assert [Path(p).name for p in report.ai_generated] == ["b.jpg"]
    ds = wb.get_dataset(dataset_name)
    a = ds.match({"filepath": str(root / "a.jpg")}).first()
    assert (a.creator, a.license, a.license_status, a.year) == ("creator-01", "CC-BY-4.0", "valid", 2021)
    b = ds.match({"filepath": str(root / "b.jpg")}).first()
    assert (b.license, b.license_status, b.consent) == ("CC-BY-4", "invalid", "opted_out")
    assert "license_invalid" in b.load_issues


def test_a_folder_reached_through_a_symlink_is_loaded_once(tmp_path, dataset_name):
    """The manifest's rows and the folder scan name each file the same way."""
    root = tmp_path / "real"
    save(pattern(1), root / "a.jpg")
    save(pattern(2), root / "sub" / "b.jpg")
    write_manifest(root / "manifest.csv", ["filepath", "creator", "license"],
                   [["a.jpg", "creator-01", "CC0-1.0"], ["sub/../sub/b.jpg", "creator-02",
                                                         "CC0-1.0"]])
    link = tmp_path / "link"
    link.symlink_to(root, target_is_directory=True)
    report = wb.load(link, name=dataset_name, config=QUIET)
    assert (report.added, report.total, report.not_in_manifest) == (2, 2, [])
    ds = wb.get_dataset(dataset_name)
    assert sorted(ds.values("filepath")) == [str(link / "a.jpg"), str(link / "sub" / "b.jpg")]
    assert sorted(ds.values("creator")) == ["creator-01", "creator-02"]


def test_jsonl_manifest_and_hf_imagefolder(tmp_path, dataset_name):
    root = tmp_path / "hf"
    save(pattern(1), root / "train" / "x.png")
    save(pattern(2), root / "train" / "y.png")
    with (root / "metadata.jsonl").open("w") as fh:
        fh.write(json.dumps({"file_name": "train/x.png", "text": "a blue cloth",
                             "license": "CC0-1.0", "creator": "creator-04"}) + "\n")
        fh.write(json.dumps({"file_name": "train/y.png", "text": "ink wash",
                             "license": "MIT", "extra": {"k": 1}}) + "\n")
    report = wb.load(root, name=dataset_name, config=QUIET)
    assert report.manifest.endswith("metadata.jsonl") and report.added == 2
    ds = wb.get_dataset(dataset_name)
    x = ds.match({"filepath": str(root / "train" / "x.png")}).first()
    assert (x.caption, x.creator, x.license) == ("a blue cloth", "creator-04", "CC0-1.0")


def test_misspelt_required_column_exits_2_listing_expected_names(tmp_path, cli):
    root = tmp_path / "bad"
    save(pattern(1), root / "a.jpg")
    m = write_manifest(root / "m.csv", ["file_path", "creator"], [["a.jpg", "creator-01"]])
    proc = cli("load", str(root), "--name", "never-created", "--manifest", str(m), "--json")
    assert proc.returncode == 2
    assert "'filepath'" in proc.stderr and "file_path" in proc.stderr
    for name in ("creator", "license", "consent", "ai_generated"):
        assert name in proc.stderr
    assert json.loads(proc.stdout)["type"] == "ManifestError"


def test_close_column_names_warn_and_are_kept(tmp_path, dataset_name, caplog):
    root = tmp_path / "w"
    save(pattern(1), root / "a.jpg")
    m = write_manifest(root / "m.csv", ["filepath", "Creator", "licence"],
                       [["a.jpg", "creator-09", "CC0-1.0"]])
    report = wb.load(root, name=dataset_name, manifest=m, config=QUIET)
    joined = " ".join(report.warnings)
    assert "'Creator'" in joined and "did you mean 'creator'" in joined
    assert "'licence'" in joined and "did you mean 'license'" in joined
    assert any("did you mean 'license'" in r.getMessage() for r in caplog.records)
    s = wb.get_dataset(dataset_name).first()
    assert (s.Creator, s.licence, s.creator) == ("creator-09", "CC0-1.0", None)


def test_optout_registry_marks_samples(tmp_path, dataset_name):
    root = tmp_path / "o"
    for i in range(3):
        save(pattern(i), root / f"{i}.jpg")
    m = write_manifest(root / "manifest.csv", ["filepath", "creator", "consent"],
                       [["0.jpg", "creator-01", "granted"], ["1.jpg", "creator-02", "granted"],
                        ["2.jpg", "creator-03", "granted"]])
    sha2 = hashlib.sha256((root / "2.jpg").read_bytes()).hexdigest()
    reg = tmp_path / "optout.txt"
    reg.write_text(f"# registry\ncreator:creator-02\n{sha2}  # by content\n")
    report = wb.load(root, name=dataset_name, manifest=m, optout=reg, config=QUIET)
    assert sorted(Path(p).name for p in report.opted_out) == ["1.jpg", "2.jpg"]
    assert wb.get_dataset(dataset_name).info["optout_registry"] == str(reg.resolve())
