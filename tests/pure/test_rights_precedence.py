"""Precedence between manifest, file metadata, registry and defaults; nothing carrying an
opt-out ever reaches a selection or an export."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.images import pattern, save
from workbench.core.intake.inspect import FileInfo
from workbench.core.rights.optout import Entry, OptOutRegistry
from workbench.core.intake.records import RightsDefaults, build_record
from workbench.core.selection.select import SelectConfig, select_balanced
from workbench.exporters import CaptionConfig, ExportConfig, ImageConfig, export_records

SIGNALS = {
    "prohibited": {"field": "consent", "value": "opted_out", "source": "iptc",
                   "detail": "plus:DataMining=DMI-PROHIBITED-AIMLTRAINING"},
    "not_cleared": {"field": "consent", "value": "not_cleared", "source": "iptc",
                    "detail": "plus:DataMining=DMI-PROHIBITED-SEECONSTRAINT"},
    "c2pa_no_training": {"field": "consent", "value": "opted_out", "source": "c2pa",
                         "detail": "cawg.training-mining: cawg.ai_training notAllowed"},
    "ai": {"field": "ai_generated", "value": "true", "source": "png_text",
           "detail": "PNG text chunk(s) 'parameters'"},
    "creator": {"field": "creator", "value": "creator-40", "source": "exif", "detail": "Artist"},
}


def _info(path: str, *names: str) -> FileInfo:
    return FileInfo(path=path, sha256=hashlib.sha256(path.encode()).hexdigest(),
                    phash="0123456789abcdef", signals=[SIGNALS[n] for n in names])


def test_opt_out_in_the_file_wins_over_a_granted_manifest_and_is_a_conflict():
    fields, issues = build_record({"consent": "granted", "creator": "creator-01"},
                                  _info("/a.jpg", "prohibited"))
    assert fields["consent"] == "opted_out" and fields["rights_sources"]["consent"] == "iptc"
    assert fields["rights_conflicts"] == [
        "consent: the manifest says granted, the file says opted_out "
        "(iptc plus:DataMining=DMI-PROHIBITED-AIMLTRAINING)"]
    assert "rights_conflict" in issues


@pytest.mark.parametrize("manifest,expected", [("granted", "granted"), ("unknown", "opted_out"),
                                               (None, "opted_out")])
def test_not_cleared_is_opted_out_unless_the_manifest_grants(manifest, expected):
    fields, _ = build_record({"consent": manifest}, _info("/a.jpg", "not_cleared"))
    assert fields["consent"] == expected
    assert bool(fields["rights_conflicts"]) == (manifest == "granted")


def test_ai_generated_wins_over_false_and_the_file_creator_fills_a_blank():
    fields, _ = build_record({"ai_generated": "false"}, _info("/a.png", "ai", "creator"),
                             defaults=RightsDefaults(creator="creator-01"))
    assert fields["ai_generated"] == "true" and fields["rights_sources"]["ai_generated"] == "png_text"
    assert fields["creator"] == "creator-40", "the file's own creator beats a collection default"
    assert fields["rights_sources"]["creator"] == "exif"
    assert [c.split(":")[0] for c in fields["rights_conflicts"]] == ["ai_generated"]


def test_a_file_without_signals_is_not_consented():
    fields, _ = build_record(None, _info("/a.jpg"))
    assert fields["consent"] == "unknown" and fields["rights_signals"] == []


# -- the property -----------------------------------------------------------------------

ITEM = st.fixed_dictionaries({
    "consent": st.sampled_from(["granted", "opted_out", "unknown", None]),
    "signals": st.sets(st.sampled_from(["prohibited", "not_cleared", "c2pa_no_training", "ai"])),
    "registry": st.sampled_from([None, "creator", "sha256", "source_domain", "phash"]),
})


def _carries_an_opt_out(item: dict) -> bool:
    return (item["consent"] == "opted_out" or item["registry"] is not None
            or bool(item["signals"] & {"prohibited", "c2pa_no_training"})
            or ("not_cleared" in item["signals"] and item["consent"] != "granted"))


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("imgs")
    return [str(save(pattern(i, (40, 32)), root / f"{i}.png")) for i in range(12)]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(ITEM, min_size=2, max_size=12))
def test_nothing_carrying_an_opt_out_reaches_a_selection_or_an_export(items, image_files,
                                                                        tmp_path_factory):
    entries, records = [], []
    for k, item in enumerate(items):
        path = image_files[k]
        info = _info(path, *sorted(item["signals"]))
        info.phash = f"{k:016x}"
        row = {"consent": item["consent"], "creator": f"creator-{k:02d}",
               "source": f"https://site{k}.example.org/img.png", "license": "CC0-1.0"}
        kind = item["registry"]
        if kind is not None:
            value = {"creator": row["creator"], "sha256": info.sha256,
                     "source_domain": f"site{k}.example.org", "phash": info.phash}[kind]
            entries.append(Entry(kind, value))
        fields, _ = build_record(row, info)
        records.append({"id": f"s{k}", "filepath": path, "sha256": info.sha256,
                        "phash": info.phash, **fields})
    registry = OptOutRegistry("property", tuple(entries), phash_distance=0)

    # Registry entries added after loading still apply (select reads it again).
    from workbench.core.rights.optout import mark_opted_out

    frame, _ = mark_opted_out(pd.DataFrame(records), registry)
    try:
        selected = list(select_balanced(frame, None, len(items), by="license",
                                        config=SelectConfig(dedup=None, allow_fewer=True)).ids)
    except ValueError as exc:  # the rights filter left nothing at all
        assert "eligible pool of 0" in str(exc)
        selected = []
    refused = {f"s{k}" for k, item in enumerate(items) if _carries_an_opt_out(item)}
    assert not refused & set(selected)

    # Even handed every record, the export drops each one that carries an opt-out.
    out = tmp_path_factory.mktemp("export")
    report = export_records(records, format="csv", out=out / "x", optout=registry,
                            config=ExportConfig(captions=CaptionConfig(tokenizer=None),
                                                images=ImageConfig(workers=1), card=False))
    exported = set(pd.read_csv(out / "x" / "manifest.csv")["sample_id"].astype(str)) \
        if report.images else set()
    assert not refused & exported
    assert {d["id"] for d in report.dropped} >= refused
