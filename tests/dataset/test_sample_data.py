"""sample_data/ loads with exactly the imperfections its README documents (facts.json)."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

import pytest

import workbench as wb


@pytest.fixture(scope="module")
def facts(sample_data) -> dict:
    return json.loads((sample_data / "facts.json").read_text())


def rel(sample_data: Path, path: str) -> str:
    return os.path.relpath(path, sample_data)


def test_reports_exactly_the_documented_imperfections(sample_dataset, sample_data, facts):
    ds, report = sample_dataset
    assert report.manifest.endswith("manifest.csv")
    kinds = {"truncated": "truncated", "zero_bytes": "zero_bytes", "not_an_image": "not_an_image"}
    assert sorted((rel(sample_data, s["path"]), s["reason"]) for s in report.skipped) == sorted(
        (b["filepath"], kinds[b["kind"]]) for b in facts["broken"])
    assert sorted((rel(sample_data, d["path"]), rel(sample_data, d["duplicate_of"]))
                  for d in report.duplicates) == sorted(
        (d["filepath"], d["duplicate_of"]) for d in facts["exact_duplicates"])
    assert sorted(rel(sample_data, p) for p in report.opted_out) == sorted(facts["opted_out"])
    assert sorted(rel(sample_data, p) for p in report.ai_generated) == sorted(facts["ai_generated"])
    assert sorted(rel(sample_data, u["path"]) for u in report.unknown_license) == sorted(
        facts["unknown_license"])
    assert report.total == len(ds) == facts["n_valid_images"]
    assert report.not_in_manifest == [] and report.warnings == []


def test_family_counts_and_dominating_creator(sample_dataset, facts):
    ds, _ = sample_dataset
    assert dict(Counter(ds.values("style"))) == facts["family_counts"]
    dom = facts["dominating_creator"]
    styles = ds.match({"creator": dom["creator"]}).values("style")
    assert Counter(styles)[dom["style"]] >= dom["count"]
    assert set(ds.values("year")) <= set(range(2019, 2026)), "custom column kept, typed"


def test_loading_twice_adds_nothing(sample_dataset, sample_data):
    ds, first = sample_dataset
    again = wb.load(sample_data, name=ds.name, config=wb.LoadConfig(progress=False))
    assert (again.added, again.updated, again.unchanged) == (0, 0, first.total)
    assert len(wb.get_dataset(ds.name)) == first.total


def test_source_folder_is_unchanged_by_a_load(sample_data, dataset_name):
    def digest() -> dict:
        out = {}
        for dirpath, _, files in os.walk(sample_data):
            for name in files:
                p = Path(dirpath) / name
                st = p.stat()
                out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mtime_ns, st.st_mode)
        return out

    before = digest()
    wb.load(sample_data, name=dataset_name, config=wb.LoadConfig(progress=False))
    assert digest() == before


def test_rights_signals_embedded_in_sample_files_are_read(sample_dataset, sample_data, facts):
    ds, report = sample_dataset
    by_rel = {rel(sample_data, s.filepath): s for s in ds}
    for planted in facts["embedded_signals"]:
        sample = by_rel[planted["filepath"]]
        for key in ("consent", "ai_generated", "creator"):
            if key in planted:
                assert sample[key] == planted[key], (planted, sample[key])
                assert sample.rights_sources[key] == planted["by"], planted
        assert bool(sample.rights_conflicts) == planted["conflict"], planted
    assert report.signals["opted_out_by"]["iptc"] == 2
    assert report.signals["ai_generated_by"] == {"iptc": 1, "manifest": 5, "png_text": 1}
    assert report.signals["no_embedded_signal"] == facts["n_valid_images"] - len(
        facts["embedded_signals"])
    assert "no embedded signal in" in report.summary()
