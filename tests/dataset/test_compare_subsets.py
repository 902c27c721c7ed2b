"""``wb.compare_subsets`` on a small loaded dataset: every row of the table against hand
counts, for a subset with exact duplicates and one without."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

import workbench as wb
from helpers.images import pattern, save

QUIET = wb.LoadConfig(progress=False, workers=0)

#: name, style, creator, licence ("" = none given), consent, ai_generated. a05 and b04 are
#: byte-for-byte copies of a04 and b03, written after them.
IMAGES = [
    ("a01", "ink", "creator-01", "CC-BY-4.0", "granted", "false"),
    ("a02", "ink", "creator-01", "CC-BY-4.0", "opted_out", "false"),
    ("a03", "ink", "creator-01", "", "granted", "false"),
    ("a04", "ink", "creator-02", "CC-BY-4.0", "granted", "true"),
    ("a05", "ink", "creator-02", "CC-BY-4.0", "granted", "true"),
    ("b01", "dots", "creator-02", "CC0-1.0", "granted", "false"),
    ("b02", "dots", "creator-03", "CC0-1.0", "opted_out", "unknown"),
    ("b03", "dots", "creator-03", "CC0-1.0", "granted", "false"),
    ("b04", "dots", "creator-03", "CC0-1.0", "granted", "false"),
    ("c01", "waves", "creator-04", "CC-BY-4.0", "granted", "true"),
    ("c02", "waves", "creator-04", "", "granted", "false"),
    ("c03", "waves", "creator-05", "CC-BY-4.0", "granted", "false"),
]
COPIES = {"a05": "a04", "b04": "b03"}
#: The quality checks these images failed (the others keep what the loader gave them).
#: below_resolution alone is no flag in the table (a small image is resized, not rejected).
QUALITY = {"b01": ["blurry"], "b03": ["below_resolution"], "c01": ["dark", "below_resolution"]}

SUBSETS = {"scrape-like": ["a01", "a02", "a03", "a04", "a05", "b01", "b02", "b04"],
           "curated": ["a01", "b01", "b03", "c01", "c02", "c03"]}

#: Counted by hand from the lists above.
#: scrape-like (8): ink 5, dots 3, waves 0; balance -(5/8 ln 5/8 + 3/8 ln 3/8) / ln 3
#:   = 0.602; creator-01 a01-a03 and creator-02 a04 a05 b01 (3 of 8 each); opted out
#:   a02 b02; AI a04 a05 (b02 is "unknown"); no licence a03; flagged b01; copies a05 b04.
#: curated (6): ink 1, dots 2, waves 3; balance (1/6 ln 6 + 2/6 ln 3 + 3/6 ln 2) / ln 3
#:   = 0.921; creator-04 c01 c02 (2 of 6); AI c01; no licence c02; flagged b01 c01 (b03 is
#:   below_resolution only); b03 is the original of b04, not a duplicate: none.
EXPECTED = {
    "images":                {"scrape-like": 8,     "curated": 6},
    "groups present":        {"scrape-like": 2,     "curated": 3},
    "groups missing":        {"scrape-like": 1,     "curated": 0},
    "balance":               {"scrape-like": 0.602, "curated": 0.921},
    "largest group share":   {"scrape-like": 0.625, "curated": 0.5},
    "largest creator share": {"scrape-like": 0.375, "curated": 0.333},
    "opted out":             {"scrape-like": 2,     "curated": 0},
    "AI-generated":          {"scrape-like": 2,     "curated": 1},
    "licence unknown":       {"scrape-like": 1,     "curated": 1},
    "quality flags":         {"scrape-like": 1,     "curated": 2},
    "exact duplicates":      {"scrape-like": 2,     "curated": 0},
}
EXPECTED_COUNTS = {"ink": {"scrape-like": 5, "curated": 1},
                   "dots": {"scrape-like": 3, "curated": 2},
                   "waves": {"scrape-like": 0, "curated": 3}}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The twelve images loaded through a manifest, with their quality flags stored."""
    import fiftyone as fo

    root = tmp_path_factory.mktemp("compare")
    for k, (name, *_rest) in enumerate(IMAGES):
        if name not in COPIES:
            save(pattern(k), root / f"{name}.png")
    for copy, original in COPIES.items():
        shutil.copyfile(root / f"{original}.png", root / f"{copy}.png")
    with (root / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["filepath", "style", "creator", "license", "consent", "ai_generated"])
        w.writerows([f"{name}.png", *rest] for name, *rest in IMAGES)
    name = "compare-subsets-small"
    if fo.dataset_exists(name):
        fo.delete_dataset(name)
    wb.load(root, name=name, manifest=root / "manifest.csv", config=QUIET)
    ds = wb.get_dataset(name)
    id_of = {Path(p).stem: i for i, p in zip(*ds.values(["id", "filepath"]))}
    if not ds.has_sample_field("quality_issues"):
        ds.add_sample_field("quality_issues", fo.ListField, subfield=fo.StringField)
    flagged = sorted(QUALITY)
    ds.select([id_of[n] for n in flagged], ordered=True).set_values(
        "quality_issues", [QUALITY[n] for n in flagged])
    yield ds, id_of
    fo.delete_dataset(name)


def test_the_dataset_holds_what_the_hand_counts_assume(small):
    ds, id_of = small
    assert sorted(id_of) == sorted(name for name, *_ in IMAGES)
    facts = {Path(p).stem: (d, s, q) for p, d, s, q in zip(*ds.values(
        ["filepath", "duplicate_of", "license_status", "quality_issues"]))}
    assert {n for n, (d, _, _) in facts.items() if d} == set(COPIES)
    assert {n for n, (_, s, _) in facts.items() if s != "valid"} == {"a03", "c02"}
    # The loader flags these small images below_resolution; that flag alone is no flag.
    assert {n: q for n, (_, _, q) in facts.items()
            if set(q or []) - {"below_resolution"}} == {"b01": ["blurry"], "c01": QUALITY["c01"]}
    assert facts["b03"][2] == ["below_resolution"]


def test_every_row_of_the_table_matches_the_hand_counts(small):
    ds, id_of = small
    subsets = {k: [id_of[n] for n in names] for k, names in SUBSETS.items()}
    cmp = wb.compare_subsets(ds, subsets, by="style")
    print("\n" + cmp.summary())
    assert list(cmp.table.index) == list(EXPECTED)
    assert list(cmp.table.columns) == list(SUBSETS)
    got = cmp.table.to_dict("index")
    for metric, expected in EXPECTED.items():
        if isinstance(expected["curated"], int):
            assert got[metric] == expected, metric
            assert all(type(v) is int for v in got[metric].values()), (metric, got[metric])
        else:
            assert got[metric] == pytest.approx(expected, abs=5e-4), metric
    assert cmp.counts.to_dict("index") == EXPECTED_COUNTS
    # Counts show as integers, not as 8.000.
    [row] = [ln for ln in cmp.summary().splitlines() if ln.startswith("exact duplicates")]
    assert row.split()[2:] == ["2", "0"]
