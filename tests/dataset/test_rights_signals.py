"""Rights signals in the files, through load, select and export; a registry that lasts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import workbench as wb
from helpers.cli import json_out, run_cli
from helpers.rightsfiles import (
    DIGITAL_SOURCE_TYPE,
    PLUS_VOCAB,
    c2pa_signed_jpeg,
    jpeg_with,
    picture,
    png_with,
    xmp_packet,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def collection(tmp_path) -> Path:
    """Twelve plain pictures and five that speak for themselves, all 'granted' in the
    manifest, all by creators named in the manifest."""
    root = tmp_path / "col"
    root.mkdir()
    for i in range(12):
        picture(i).save(root / f"plain-{i:02d}.jpg", quality=90)
    (root / "xmp-no-training.jpg").write_bytes(jpeg_with(picture(20), xmp=xmp_packet(
        data_mining=PLUS_VOCAB + "DMI-PROHIBITED-AIMLTRAINING")))
    (root / "not-cleared.png").write_bytes(png_with(picture(21), xmp=xmp_packet(
        data_mining="DMI-PROHIBITED-SEELINKEDRIGHTSEXPR")))
    (root / "generated.png").write_bytes(png_with(picture(22), text={
        "parameters": "batik pattern, steps 30"}))
    (root / "synthetic.jpg").write_bytes(jpeg_with(picture(23), xmp=xmp_packet(
        source_type=DIGITAL_SOURCE_TYPE + "trainedAlgorithmicMedia")))
    c2pa_signed_jpeg(root / "c2pa.jpg", seed=24)
    names = sorted(p.name for p in root.iterdir())
    with (root / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["filepath", "creator", "license", "consent", "ai_generated", "source"])
        for k, name in enumerate(names):
            writer.writerow([name, f"creator-{k:02d}", "CC-BY-4.0", "granted", "false",
                             f"https://site{k}.example.org/{name}"])
    return root


def test_load_reads_every_signal_records_conflicts_and_reports_counts(collection,
                                                                      dataset_name):
    report = wb.load(collection, name=dataset_name, config=wb.LoadConfig(progress=False))
    ds = wb.get_dataset(dataset_name)
    got = {Path(s.filepath).name: (s.consent, s.ai_generated, s.rights_sources,
                                   s.rights_conflicts or []) for s in ds}
    assert got["xmp-no-training.jpg"][0] == "opted_out"
    assert got["xmp-no-training.jpg"][2]["consent"] == "iptc"
    assert got["not-cleared.png"][0] == "granted", "the manifest grants: kept, as a conflict"
    assert "not cleared" in got["not-cleared.png"][3][0]
    assert got["generated.png"][1] == "true" and got["generated.png"][2]["ai_generated"] == "png_text"
    assert got["synthetic.jpg"][1] == "true" and got["synthetic.jpg"][2]["ai_generated"] == "iptc"
    assert got["c2pa.jpg"][:2] == ("opted_out", "true")
    assert got["c2pa.jpg"][2]["consent"] == "c2pa"
    assert got["plain-00.jpg"][:2] == ("granted", "false") and got["plain-00.jpg"][3] == []
    assert report.signals["no_embedded_signal"] == 12
    assert report.signals["opted_out_by"] == {"c2pa": 1, "iptc": 1}
    assert report.signals["ai_generated_by"] == {"c2pa": 1, "iptc": 1, "png_text": 1}
    assert report.signals["conflicts"] == 5
    assert len(report.rights_conflicts) == 5 and "conflict" in report.summary()


def test_a_registry_entry_added_later_removes_its_matches_from_selection_and_export(
        collection, dataset_name, tmp_path):
    registry = tmp_path / "optout.csv"
    registry.write_text("kind,value,date,note\ncreator,creator-03,2026-10-01,\n"
                        "colour,blue,2026-10-01,a bad row\n", encoding="utf-8")
    proc = run_cli("load", str(collection), "--name", dataset_name, "--optout", str(registry),
                   "--json", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    warnings = json_out(proc)["warnings"]
    assert any("row 3: unknown kind 'colour'" in w for w in warnings), warnings

    proc = run_cli("select", dataset_name, "--n", "10", "--by", "consent", "--no-dedup",
                   "--json")
    assert proc.returncode == 0, proc.stderr
    first = json_out(proc)
    assert first["optout_registry"]["removed"] == 0
    ds = wb.get_dataset(dataset_name)
    chosen = ds.select(wb.load_selection(ds).ids)
    victim = sorted(chosen.values("creator"))[0]
    assert victim != "creator-03"
    with registry.open("a", encoding="utf-8") as fh:  # the creator writes in later
        fh.write(f"creator,{victim},2026-11-20,asked after loading\n")

    proc = run_cli("select", dataset_name, "--n", "10", "--by", "consent", "--no-dedup",
                   "--json")
    assert proc.returncode == 0, proc.stderr
    again = json_out(proc)
    assert again["optout_registry"] == {"matched_since_load": {"creator": 1}, "removed": 1}
    assert "removed 1 more since loading" in proc.stderr
    ds.reload()  # the CLI changed the dataset in another process
    reselected = wb.load_selection(ds)
    assert victim not in ds.select(reselected.ids).values("creator")

    out = tmp_path / "export"
    proc = run_cli("export", dataset_name, "--format", "imagefolder", "--out", str(out),
                   "--json")
    assert proc.returncode == 0, proc.stderr
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Rights signals in the files" in card and "Detected as AI-generated" in card
    assert victim not in card and "creator-03" not in card, "never name opted-out creators"
    credits = list(csv.DictReader((out / "CREDITS.csv").open(encoding="utf-8")))
    assert credits and all("license=manifest" in row["rights_sources"] for row in credits)
    assert victim not in {row["creator"] for row in credits}
