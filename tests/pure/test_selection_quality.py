"""Quality in selection: flagged images stay out by default, rights go first, and the
choice of checks is the user's."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.pools import make_pool
from workbench.core.quality.checks import QUALITY_EXCLUDE
from workbench.core.selection.select import SelectConfig, select_balanced


def flagged_pool():
    """60 clean records; rows 0-3 blank, 4-5 blurry, 6-7 below resolution only."""
    df, x = make_pool(60, 3, clean=True)
    issues = [[] for _ in range(len(df))]
    for row in range(4):
        issues[row] = ["blank", "dark"]
    for row in (4, 5):
        issues[row] = ["blurry"]
    for row in (6, 7):
        issues[row] = ["below_resolution"]
    df["quality_issues"] = issues
    return df, x


def test_default_excludes_the_picture_checks_and_keeps_size_only_flags():
    df, x = flagged_pool()
    sel = select_balanced(df, x, 60, by="style", config=SelectConfig(allow_fewer=True))
    ids = df["id"].tolist()
    assert {sel.excluded[i] for i in ids[:4]} == {"quality:blank"}  # first in policy order
    assert {sel.excluded[i] for i in ids[4:6]} == {"quality:blurry"}
    assert set(ids[6:8]) <= set(sel.ids)  # below_resolution alone is reported, not excluded
    assert not set(ids[:6]) & set(sel.ids)
    assert sel.excluded_counts()["quality:blank"] == 4
    assert QUALITY_EXCLUDE == SelectConfig().exclude_quality


def test_an_empty_choice_keeps_flagged_images_and_a_wider_one_drops_more():
    df, x = flagged_pool()
    keep = select_balanced(df, x, 60, by="style", config=SelectConfig(exclude_quality=()))
    assert len(keep) == 60 and not any(r.startswith("quality:") for r in keep.excluded.values())
    wide = SelectConfig(exclude_quality=QUALITY_EXCLUDE + ("below_resolution",), allow_fewer=True)
    sel = select_balanced(df, x, 60, by="style", config=wide)
    assert len(sel) == 52
    assert {sel.excluded[i] for i in df["id"][6:8]} == {"quality:below_resolution"}


def test_rights_reasons_win_over_quality():
    df, x = flagged_pool()
    df.loc[0, "consent"] = "opted_out"
    sel = select_balanced(df, x, 10, by="style")
    assert sel.excluded[df["id"][0]] == "rights:opted_out"
    assert sel.excluded[df["id"][1]] == "quality:blank"


def test_records_never_checked_are_not_excluded():
    df, x = make_pool(30, 4, clean=True)
    unchecked = select_balanced(df, x, 30, by="style")  # no quality_issues column at all
    df["quality_issues"] = [None] * len(df)
    missing = select_balanced(df, x, 30, by="style")
    assert len(unchecked) == len(missing) == 30


def test_a_flagged_image_is_not_kept_as_a_duplicate_keeper():
    """Quality goes before duplicates: a blank copy cannot stand in for its clean twin."""
    df, x = make_pool(20, 5, clean=True)
    x[1] = x[0]
    df.loc[1, "sha256"] = df.loc[0, "sha256"]  # an exact copy of row 0
    df.loc[0, "width"], df.loc[0, "height"] = 4000, 4000  # row 0 would win as the keeper
    df["quality_issues"] = [["blank"]] + [[] for _ in range(len(df) - 1)]
    sel = select_balanced(df, x, 20, by="style", config=SelectConfig(allow_fewer=True))
    assert sel.excluded[df["id"][0]] == "quality:blank"
    assert df["id"][1] in sel.ids


@pytest.mark.parametrize("bad, found", [("blurry", "'blurry'"), (None, "None"),
                                        (("blurry", "fuzzy"), "'fuzzy'")])
def test_bad_exclude_quality_names_the_parameter(bad, found):
    with pytest.raises(ValueError, match="exclude_quality") as err:
        SelectConfig(exclude_quality=bad)
    assert found in str(err.value)


def test_config_round_trips_the_choice():
    config = SelectConfig(exclude_quality=("blank",))
    assert config.to_dict()["exclude_quality"] == ["blank"]
    assert pd.Series(QUALITY_EXCLUDE).isin(SelectConfig().to_dict()["exclude_quality"]).all()
