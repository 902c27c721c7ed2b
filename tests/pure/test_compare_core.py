"""Subsets side by side (pure core): every row of the table against hand counts.

The records are read the way pandas reads them by default: a missing string becomes NaN
(truthy), a missing list None, and an empty string stays empty. None of them is a value.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from workbench.core.selection.compare import COUNTS, METRICS, compare_subsets

#: id, style, creator, consent, ai_generated, license_status, quality_issues, duplicate_of
#: (None: the record has no value there).
ROWS = [
    ("r1", "ink", "c1", "granted", "false", "valid", None, None),
    ("r2", "ink", "c1", "opted_out", "false", "valid", [], None),
    ("r3", "ink", "c2", "granted", "true", "unknown", ["blurry"], None),
    ("r4", "ink", "c2", "granted", "true", "valid", None, "/img/r3.png"),
    ("r5", "dots", "c3", "granted", "unknown", "invalid", ["below_resolution"], None),
    ("r6", "dots", "c3", "opted_out", "false", "valid", ["dark", "below_resolution"],
     "/img/r5.png"),
    ("r7", None, "c4", "granted", "false", "valid", None, None),
    ("r8", "waves", None, "granted", "false", None, None, None),
    ("r9", "waves", "c5", "granted", "false", "valid", None, ""),
]
COLUMNS = ["id", "style", "creator", "consent", "ai_generated", "license_status",
           "quality_issues", "duplicate_of"]
SUBSETS = {"A": ["r1", "r2", "r3", "r4", "r5", "r6"], "B": ["r1", "r5", "r7", "r8", "r9"]}

#: Counted by hand from ROWS. Groups over all records: (missing), dots, ink, waves.
#: A: ink 4, dots 2; balance -(4/6 ln 4/6 + 2/6 ln 2/6) / ln 4 = 0.459; creators c1, c2,
#:    c3 twice each; opted out r2 r6; AI r3 r4; licence not valid r3 (unknown) r5 (invalid);
#:    flags r3 (blurry) r6 (dark), not r5 (below_resolution only); duplicates r4 r6.
#: B: ink, dots, (missing) once, waves twice; balance (3 * 1/5 ln 5 + 2/5 ln 5/2) / ln 4
#:    = 0.961; creators c1 c3 c4 c5 (r8 has none): 1/4; licence r5 (invalid), r8 (none);
#:    no flag but r5's below_resolution; r9's empty duplicate_of is no duplicate.
EXPECTED = {
    "images":                (6, 5),
    "groups present":        (2, 4),
    "groups missing":        (2, 0),
    "balance":               (0.459, 0.961),
    "largest group share":   (0.667, 0.4),
    "largest creator share": (0.333, 0.25),
    "opted out":             (2, 0),
    "AI-generated":          (2, 0),
    "licence unknown":       (2, 2),
    "quality flags":         (2, 0),
    "exact duplicates":      (2, 0),
}
EXPECTED_COUNTS = {"(missing)": (0, 1), "dots": (2, 1), "ink": (4, 1), "waves": (0, 2)}


def records(dtype: str | None) -> pd.DataFrame:
    frame = pd.DataFrame([dict(zip(COLUMNS, row)) for row in ROWS])
    return frame if dtype is None else frame.astype(dtype)


def test_pandas_reads_a_missing_string_as_nan():
    """The input the bug came from: NaN where a record has no duplicate_of."""
    column = records(None)["duplicate_of"]
    assert column.isna().sum() == 6 and bool(column.iloc[0]) is True


@pytest.mark.parametrize("dtype", [None, "object"], ids=["pandas-default", "object"])
def test_every_row_matches_the_hand_counts(dtype):
    cmp = compare_subsets(records(dtype), SUBSETS, by="style")
    assert list(cmp.table.index) == list(METRICS) == list(EXPECTED)
    assert list(cmp.table.columns) == ["A", "B"]
    for metric, (a, b) in EXPECTED.items():
        got = (cmp.table.loc[metric, "A"], cmp.table.loc[metric, "B"])
        if metric in COUNTS:
            assert got == (a, b), metric
        else:
            assert got == pytest.approx((a, b), abs=5e-4), metric
    assert cmp.counts.sort_index().to_dict("index") == {
        g: {"A": a, "B": b} for g, (a, b) in EXPECTED_COUNTS.items()}


def test_groups_of_the_whole_collection_count_as_missing_when_absent():
    groups = ["ink", "dots", "waves", "(missing)", "never-seen"]
    cmp = compare_subsets(records(None), SUBSETS, by="style", groups=groups)
    assert list(cmp.counts.index) == groups
    assert cmp.table.loc["groups missing"].tolist() == [3, 1]
    assert cmp.counts.loc["never-seen"].tolist() == [0, 0]


def test_counts_are_integers_and_shares_stay_shares():
    cmp = compare_subsets(records(None), SUBSETS, by="style")
    for metric in METRICS:
        for value in cmp.table.loc[metric]:
            if metric in COUNTS:
                assert type(value) is int, (metric, value)
            else:
                assert type(value) is float and 0.0 <= value <= 1.0, (metric, value)
    assert all(str(d) == "int64" for d in cmp.counts.dtypes)
    # What a notebook shows and what `summary` prints: integers without decimals.
    text = cmp.summary()
    assert _row(text, "exact duplicates") == ["2", "0"]
    for metric in COUNTS:
        assert all("." not in cell for cell in _row(text, metric)), (metric, text)
    assert _row(text, "balance") == ["0.459", "0.961"]
    html = cmp.table.to_html()
    assert "<td>6</td>" in html and "<td>0.667</td>" in html and "6.0" not in html
    payload = json.loads(json.dumps(cmp.to_dict()))
    assert payload["table"]["A"]["exact duplicates"] == 2
    assert payload["table"]["B"]["largest group share"] == 0.4


def _row(text: str, metric: str) -> list[str]:
    [line] = [ln for ln in text.splitlines() if ln.startswith(metric + " ")]
    return line[len(metric):].split()


def test_a_subset_with_an_id_that_is_not_a_record_names_it():
    with pytest.raises(ValueError, match=r"subset 'C' holds ids that are not records: \['r0'\]"):
        compare_subsets(records(None), {"C": ["r0", "r1"]}, by="style")
