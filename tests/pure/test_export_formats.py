"""The three formats: HF imagefolder loads, kohya TOML is valid, the CSV round-trips."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
import tomllib
from hypothesis import given
from hypothesis import strategies as st
from helpers.export_records import fast_config, make_records

from workbench.core.intake.manifest import KNOWN_COLUMNS, read_manifest
from workbench.exporters import (
    CaptionConfig,
    KohyaConfig,
    balance_repeats,
    escape_cell,
    export_records,
    read_export_csv,
    render_caption,
    unescape_cell,
)
from workbench.core.intake.cells import FORMULA_TRIGGERS

FORMULAS = {
    "creator": "=HYPERLINK(\"http://evil\",\"x\")",
    "attribution": "+1+cmd|' /C calc'!A0",
    "source": "@SUM(A1:A9)",
    "region": "-2+3",
    "technique": "\tTAB",
}


def expected_captions(records, cfg, form="tags"):
    """Tags for kohya; sentences for imagefolder and CSV (``CaptionConfig.form="auto"``)."""
    return {r["id"]: render_caption(r, cfg.captions, form) for r in records}


# ---------------------------------------------------------------- imagefolder

@pytest.fixture(scope="module")
def imagefolder_export(tmp_path_factory):
    root = tmp_path_factory.mktemp("imagefolder")
    records = make_records(root)
    records[0]["caption"] = "a hand-drawn ink study"
    records[1]["accession"] = "A-17"  # mixed int/str in one custom column
    cfg = fast_config()
    report = export_records(records, format="imagefolder", out=root / "out", config=cfg)
    return records, cfg, report


def test_imagefolder_loads_with_hf_datasets(imagefolder_export, tmp_path, monkeypatch):
    records, cfg, report = imagefolder_export
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    import datasets

    ds = datasets.load_dataset("imagefolder", data_dir=str(report.out),
                               cache_dir=str(tmp_path / "hf"))["train"]
    assert ds.num_rows == len(records) == report.images
    want = expected_captions(records, cfg, "sentence")
    assert sorted(ds["text"]) == sorted(want.values())
    assert dict(zip(ds["sample_id"], ds["text"])) == want
    assert want["s000"] == "plwb, a hand-drawn ink study"
    for column in ("creator", "source", "license", "attribution", "ai_generated", "style", "region"):
        assert column in ds.column_names
    by_id = {r["id"]: r for r in records}
    for row_id, lic in zip(ds["sample_id"], ds["license"]):
        assert lic == by_id[row_id]["license"]
    assert ds.features["accession"].dtype == "string"  # harmonised, not mixed
    row = ds[0]
    assert row["image"].mode == "RGB" and row["image"].size == (row["width"], row["height"])

    # diffusers' train_text_to_image_lora.py passes data_files={"train": DIR/**}: the card
    # charts and other files must not become rows.
    ds2 = datasets.load_dataset("imagefolder", data_files={"train": str(report.out / "**")},
                                cache_dir=str(tmp_path / "hf2"))["train"]
    assert ds2.num_rows == len(records)


def test_imagefolder_metadata_is_relative_and_consistently_typed(imagefolder_export):
    records, _, report = imagefolder_export
    rows = [json.loads(line) for line in
            (report.out / "train" / "metadata.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(records)
    for row in rows:
        assert "/" not in row["file_name"] and (report.out / "train" / row["file_name"]).is_file()
        assert not any(k.endswith("file_name") for k in row if k != "file_name")
    for key in rows[0]:
        kinds = {type(r[key]).__name__ for r in rows if r[key] is not None}
        assert len(kinds) <= 1, (key, kinds)


# ---------------------------------------------------------------------- kohya

def test_kohya_toml_dirs_and_caption_pairs(tmp_path):
    records = make_records(tmp_path, {"ink": 8, "weave": 4, "dye": 2})
    records[3]["caption"] = ""  # falls back to the template
    cfg = fast_config(captions=CaptionConfig(tokenizer=None, trigger="plwb", template="{style}"))
    report = export_records(records, format="kohya", out=tmp_path / "out", config=cfg)
    out = report.out
    config = tomllib.loads((out / "dataset_config.toml").read_text(encoding="utf-8"))
    assert config["general"]["caption_extension"] == ".txt"
    assert config["general"]["keep_tokens"] == 1 and config["general"]["shuffle_caption"] is True
    (dataset,) = config["datasets"]
    assert dataset["resolution"] == 512 and dataset["enable_bucket"] is True
    subsets = dataset["subsets"]
    assert len(subsets) == 3
    want = expected_captions(records, cfg)
    by_group = Counter(r["group"] for r in records)
    per_epoch = []
    for sub in subsets:
        folder = out / sub["image_dir"]
        assert folder.is_dir() and not Path(sub["image_dir"]).is_absolute()
        assert sub["caption_extension"] == ".txt"
        group = sub["class_tokens"].removeprefix("plwb ")
        assert folder.name == f"{sub['num_repeats']}_{sub['class_tokens']}"
        images = sorted(p for p in folder.iterdir() if p.suffix in (".jpg", ".png"))
        captions = sorted(p for p in folder.iterdir() if p.suffix == ".txt")
        assert len(images) == by_group[group]
        assert [p.stem for p in captions] == [p.stem for p in images]
        for txt in captions:
            assert txt.read_text(encoding="utf-8").strip() == f"plwb, {group}"
        per_epoch.append(len(images) * sub["num_repeats"])
    assert sorted(per_epoch) == [8, 8, 8]  # 8x1, 4x2, 2x4: balanced per epoch
    assert report.details["repeats"] == {"dye": 4, "ink": 1, "weave": 2}
    assert set(want.values()) == {f"plwb, {g}" for g in ("ink", "weave", "dye")}


def test_kohya_repeats_by_hand_and_absolute_paths(tmp_path):
    records = make_records(tmp_path, {"ink": 2, "dye": 1})
    cfg = fast_config(kohya=KohyaConfig(repeats={"ink": 3, "dye": 7}, absolute_paths=True))
    report = export_records(records, format="kohya", out=tmp_path / "out", config=cfg)
    config = tomllib.loads((report.out / "dataset_config.toml").read_text(encoding="utf-8"))
    subsets = {s["class_tokens"]: s for s in config["datasets"][0]["subsets"]}
    assert subsets["plwb ink"]["num_repeats"] == 3 and subsets["plwb dye"]["num_repeats"] == 7
    for sub in subsets.values():
        assert Path(sub["image_dir"]).is_absolute() and Path(sub["image_dir"]).is_dir()
    with pytest.raises(ValueError, match="lacks group"):
        balance_repeats({"ink": 2, "dye": 1}, repeats={"ink": 3})
    assert balance_repeats({"a": 100, "b": 1}, max_repeats=10) == {"a": 1, "b": 10}


# ------------------------------------------------------------------------ csv

def test_csv_round_trips_through_the_manifest_reader(tmp_path):
    records = make_records(tmp_path)
    records[2]["caption"] = "own caption, kept"
    cfg = fast_config()
    report = export_records(records, format="csv", out=tmp_path / "out", config=cfg)
    manifest = read_manifest(report.out / "manifest.csv")
    assert not [w for w in manifest.warnings if "did you mean" in w]
    want = expected_captions(records, cfg, "sentence")
    by_id = {r["id"]: r for r in records}
    assert len(manifest.rows) == len(records)
    for row in manifest.rows:
        src = by_id[row["sample_id"]]
        path = Path(row["filepath"])
        assert path.is_file() and path.resolve().is_relative_to(report.out.resolve())
        for column in KNOWN_COLUMNS:
            if column == "filepath":
                continue
            if column == "caption":
                assert row["caption"] == want[src["id"]]
            else:
                assert row[column] == (src[column] or ""), column
        assert row["accession"] == src["accession"]  # typed back to int
        assert row["source_sha256"] == src["sha256"] and row["group"] == src["group"]
    assert want["s002"] == "plwb, own caption, kept"


def _raw_cells(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def test_formula_cells_are_escaped_in_every_csv(tmp_path):
    records = make_records(tmp_path, {"ink": 2})
    records[0].update(FORMULAS)
    report = export_records(records, format="csv", out=tmp_path / "out", config=fast_config())
    for name in ("manifest.csv", "CREDITS.csv"):
        for cell in _raw_cells(report.out / name):
            assert not cell.startswith(FORMULA_TRIGGERS), (name, cell)
    row = next(r for r in read_export_csv(report.out / "manifest.csv").rows
               if r["sample_id"] == "s000")
    for column, value in FORMULAS.items():
        assert row[column] == value


def test_formula_cells_round_trip_through_read_manifest(tmp_path):
    records = make_records(tmp_path, {"ink": 1})
    records[0].update(FORMULAS)
    report = export_records(records, format="csv", out=tmp_path / "out", config=fast_config())
    (row,) = read_manifest(report.out / "manifest.csv").rows
    for column, value in FORMULAS.items():
        assert row[column] == value


@given(st.text(max_size=40))
def test_escaping_is_reversible_and_safe(value):
    escaped = escape_cell(value)
    assert unescape_cell(escaped) == value
    if escaped.startswith(FORMULA_TRIGGERS):
        float(escaped)  # only plain numbers are left alone
