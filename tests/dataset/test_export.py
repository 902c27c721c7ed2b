"""Exporting a selection from the dataset: trainers can read it, provenance travels with it."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest

import workbench as wb


@pytest.fixture(scope="module")
def selected(sample_workspace):
    ds, _ = sample_workspace
    sel = wb.select_balanced(ds, 60, by="style", config=wb.SelectConfig(seed=1), tag="export")
    return ds, sel


def test_imagefolder_loads_with_hf_datasets(selected, tmp_path, monkeypatch):
    ds, sel = selected
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    config = wb.ExportConfig(captions=wb.CaptionConfig(template="{trigger}, {style} pattern",
                                                       trigger="plwb"))
    rep = wb.export(ds, format="imagefolder", out=tmp_path / "hf", tag="export", config=config)
    assert rep.images == len(sel) == 60 and rep.dropped == []
    import datasets

    hf = datasets.load_dataset("imagefolder", data_dir=str(tmp_path / "hf"), split="train",
                               cache_dir=str(tmp_path / "hf-cache"))
    assert hf.num_rows == 60
    assert all(t.startswith("plwb") for t in hf["text"])
    assert set(hf["license"]) <= {"CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-PDDC"}
    credits = (tmp_path / "hf" / "CREDITS.csv").read_text().splitlines()
    assert len(credits) == 61 and credits[0].startswith("file,creator,source,license")
    card = (tmp_path / "hf" / "README.md").read_text()
    assert card.startswith("---") and "opted" in card.lower()


def test_kohya_config_points_at_real_folders_and_captions_pair_with_images(selected, tmp_path):
    ds, _ = selected
    rep = wb.export(ds, format="kohya", out=tmp_path / "k", tag="export")
    root = Path(rep.out)
    config = tomllib.loads((root / "dataset_config.toml").read_text())
    subsets = [s for d in config["datasets"] for s in d["subsets"]]
    assert subsets and all(s["caption_extension"] == ".txt" for s in subsets)
    images = 0
    for s in subsets:
        folder = root / s["image_dir"]
        assert folder.is_dir(), folder
        assert folder.name.split("_", 1)[0] == str(s["num_repeats"])
        pics = [p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg")]
        caps = [p for p in folder.iterdir() if p.suffix == ".txt"]
        assert {c.stem for c in caps} <= {p.stem for p in pics}
        images += len(pics)
    assert images == rep.images == 60


def test_csv_export_loads_back_as_the_same_records(selected, tmp_path, dataset_name):
    ds, sel = selected
    rep = wb.export(ds, format="csv", out=tmp_path / "csv", tag="export")
    wb.load(Path(rep.out) / "manifest.csv", name=dataset_name,
            config=wb.LoadConfig(progress=False, workers=0))
    back = wb.get_dataset(dataset_name)
    fields = ["sha256", "creator", "source", "license", "attribution", "consent",
              "ai_generated", "style", "region", "technique"]
    original = sorted(zip(*ds.select(sel.ids).values(fields)), key=lambda r: r[0])
    # Exported images are byte copies when no processing is needed: same content hashes.
    assert sorted(zip(*back.values(fields)), key=lambda r: r[0]) == original


def test_late_opt_out_is_dropped_and_manifest_verifies(selected, tmp_path):
    ds, sel = selected
    victim = sel.ids[3]
    sample = ds[victim]
    sample["consent"] = "opted_out"
    sample.save()
    try:
        rep = wb.export(ds, format="imagefolder", out=tmp_path / "late", tag="export")
    finally:
        sample["consent"] = "granted"
        sample.save()
    assert {"id": victim, "reason": "opted_out"} in rep.dropped and rep.images == 59
    rows = [json.loads(line) for line in
            (Path(rep.out) / "train" / "metadata.jsonl").read_text().splitlines()]
    assert victim not in {r.get("sample_id") for r in rows}
    check = subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=rep.out,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_fiftyone_format_round_trip(selected, tmp_path):
    ds, sel = selected
    rep = wb.export(ds, format="fiftyone", out=tmp_path / "fo", tag="export")
    import fiftyone as fo

    back = fo.Dataset.from_dir(str(tmp_path / "fo"), dataset_type=fo.types.FiftyOneDataset)
    try:
        assert len(back) == rep.images == len(sel)
        assert sorted(back.values("sha256")) == sorted(ds.select(sel.ids).values("sha256"))
    finally:
        back.delete()
    # Like the other formats: a manifest that checks, a swap on overwrite, and a
    # folder that is not an export is never replaced.
    check = subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=rep.out,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    again = wb.export(ds, format="fiftyone", out=tmp_path / "fo", tag="export",
                      config=wb.ExportConfig(overwrite=True))
    assert again.images == rep.images
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fo")]  # no stage left
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a previous"):
        wb.export(ds, format="fiftyone", out=mine, tag="export",
                  config=wb.ExportConfig(overwrite=True))
    assert os.listdir(mine) == ["notes.txt"]


def test_cli_export_refuses_a_non_empty_target(selected, tmp_path, cli):
    ds, _ = selected
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    proc = cli("export", ds.name, "--tag", "export", "--format", "imagefolder",
               "--out", str(target), "--json")
    assert proc.returncode == 2
    assert "not empty" in json.loads(proc.stdout)["error"] or "empty" in proc.stderr
    assert os.listdir(target) == ["keep.txt"]
