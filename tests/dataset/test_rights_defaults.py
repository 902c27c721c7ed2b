"""Rights for a whole collection at load, and a manifest template filled in and loaded back."""

from __future__ import annotations

import csv
import io

import pytest

import workbench as wb
from helpers.cli import json_out, run_cli
from helpers.images import pattern, save


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "batik"
    for k, style in enumerate(("kawung", "parang")):
        for i in range(3):
            save(pattern(10 * k + i), root / style / f"{style}-{i}.jpg")
    return root


def test_rights_options_fill_every_blank_and_the_report_counts_them(folder, dataset_name):
    proc = run_cli("load", str(folder), "--name", dataset_name, "--license", "cc-by-4.0",
                   "--source", "museum open-access collection", "--consent", "granted",
                   "--ai-generated", "false", "--json", "--no-progress")
    payload = json_out(proc)
    assert proc.returncode == 0, proc.stderr
    assert payload["filled_from_defaults"] == {"license": 6, "source": 6, "consent": 6,
                                               "ai_generated": 6}
    ds = wb.get_dataset(dataset_name)
    assert set(ds.values("license")) == {"CC-BY-4.0"}
    assert set(ds.values("license_status")) == {"valid"}
    assert ds.first().rights_sources == {"license": "default", "source": "default",
                                         "consent": "default", "ai_generated": "default"}


def test_the_manifest_wins_where_it_has_a_value(folder, dataset_name):
    (folder / "manifest.csv").write_text(
        "filepath,license,creator\n"
        "kawung/kawung-0.jpg,CC0-1.0,creator-07\n"
        "kawung/kawung-1.jpg,,creator-08\n", encoding="utf-8")
    report = wb.load(folder, name=dataset_name, config=wb.LoadConfig(
        progress=False, license="CC-BY-SA-4.0", creator="creator-01"))
    assert report.filled_from_defaults == {"license": 5, "creator": 4}
    ds = wb.get_dataset(dataset_name)
    by_name = {s.filepath.rsplit("/", 1)[-1]: s for s in ds}
    assert (by_name["kawung-0.jpg"].license, by_name["kawung-0.jpg"].creator) == (
        "CC0-1.0", "creator-07")
    assert by_name["kawung-0.jpg"].rights_sources["license"] == "manifest"
    assert (by_name["kawung-1.jpg"].license, by_name["kawung-1.jpg"].creator) == (
        "CC-BY-SA-4.0", "creator-08")
    assert (by_name["parang-2.jpg"].license, by_name["parang-2.jpg"].creator) == (
        "CC-BY-SA-4.0", "creator-01")


@pytest.mark.parametrize("option,value,needle", [
    ("--license", "CC-BY-9.0", "SPDX"),
    ("--consent", "maybe", "invalid choice"),
])
def test_bad_rights_defaults_exit_2_naming_the_option(folder, dataset_name, option, value,
                                                      needle):
    proc = run_cli("load", str(folder), "--name", dataset_name, option, value, "--json")
    assert proc.returncode == 2
    assert needle in json_out(proc)["error"]


def test_manifest_init_round_trips_through_load(folder, dataset_name):
    proc = run_cli("manifest", "init", str(folder), "--labels-from-folders", "style",
                   "--license", "CC-BY-4.0", "--source", "batik archive")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(rows) == 6
    assert rows[0]["filepath"] == "kawung/kawung-0.jpg"
    assert {r["style"] for r in rows} == {"kawung", "parang"}
    assert {r["license"] for r in rows} == {"CC-BY-4.0"} and rows[0]["creator"] == ""
    assert "save it as CSV" in proc.stderr or "Fill it in" in proc.stderr

    # A person fills in creators and one opt-out in a spreadsheet, then loads it back.
    for i, row in enumerate(rows):
        row["creator"] = f"creator-{i:02d}"
    rows[1]["consent"] = "opted_out"
    rows[2]["license"] = "=HYPERLINK(\"x\")"  # a formula typed by mistake stays text
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = wb.load(folder, name=dataset_name, config=wb.LoadConfig(progress=False))
    assert report.added == 6 and report.not_in_manifest == []
    ds = wb.get_dataset(dataset_name)
    assert sorted(ds.values("creator")) == [f"creator-{i:02d}" for i in range(6)]
    assert ds.count_values("consent")["opted_out"] == 1
    assert ds.count_values("style") == {"kawung": 3, "parang": 3}
    assert ds.count_values("license_status") == {"valid": 5, "invalid": 1}


def test_manifest_init_writes_paths_relative_to_the_out_file(folder, tmp_path):
    out = tmp_path / "elsewhere" / "rights.csv"
    out.parent.mkdir()
    proc = run_cli("manifest", "init", str(folder), "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json_out(proc)["rows"] == 6
    first = next(csv.DictReader(out.open(encoding="utf-8")))
    assert (out.parent / first["filepath"]).resolve() == (folder / "kawung" / "kawung-0.jpg")
    again = run_cli("manifest", "init", str(folder), "--out", str(out), "--json")
    assert again.returncode == 2 and "--overwrite" in json_out(again)["error"]
