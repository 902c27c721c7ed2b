"""Selection on bad input: each mistake gets a message naming what was expected and found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers.pools import make_pool

from workbench.core.rights.policy import RightsPolicy
from workbench.core.selection.select import SelectConfig, select_balanced


@pytest.fixture
def small():
    return make_pool(60, 7, clean=True)


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_n(small, n):
    df, x = small
    with pytest.raises(ValueError, match="n must be a positive int"):
        select_balanced(df, x, n, by="style")


def test_n_larger_than_pool_reports_breakdown():
    df, x = make_pool(60, 8)
    with pytest.raises(ValueError) as err:
        select_balanced(df, x, 59, by="style")
    msg = str(err.value)
    assert "eligible pool of" in msg and "of 60 records" in msg and "rights:opted_out" in msg


def test_unknown_by_field_lists_columns(small):
    df, x = small
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['styel'\].*'style'"):
        select_balanced(df, x, 5, by="styel")
    with pytest.raises(ValueError, match=r"\['regio'\]"):
        select_balanced(df, x, 5, by=["style", "regio"])
    with pytest.raises(ValueError, match="one group label per record"):
        select_balanced(df, x, 5, by=np.zeros(3))


def test_unknown_spdx_id_in_allowlist_suggests_close_ids():
    with pytest.raises(ValueError, match=r"'CC-BY-4' is not a known SPDX.*CC-BY-4\.0"):
        RightsPolicy(allowed_licenses=["CC0-1.0", "CC-BY-4"])
    assert RightsPolicy(allowed_licenses=["cc-by-4.0", "LicenseRef-museum"]).allowed_licenses \
        == ("CC-BY-4.0", "LicenseRef-museum")


def test_quota_for_missing_group_lists_groups(small):
    df, x = small
    with pytest.raises(ValueError, match=r"\['pottery'\] that do not exist.*'ink'"):
        select_balanced(df, x, 5, by="style",
                        config=SelectConfig(strategy="quota", quotas={"pottery": 3}))


def test_config_errors(small):
    df, x = small
    with pytest.raises(ValueError, match="strategy must be one of"):
        SelectConfig(strategy="random")
    with pytest.raises(ValueError, match="needs quotas"):
        SelectConfig(strategy="quota")
    with pytest.raises(ValueError, match="only apply to strategy='quota'"):
        SelectConfig(quotas={"ink": 3})
    with pytest.raises(ValueError, match="embeddings are needed"):
        select_balanced(df, None, 5, by="style")
    with pytest.raises(ValueError, match="L2-normalised"):
        select_balanced(df, x * 2, 5, by="style")
    with pytest.raises(ValueError, match="one row per record"):
        select_balanced(df, x[:10], 5, by="style")
    with pytest.raises(ValueError, match="must be unique"):
        select_balanced(pd.concat([df, df.iloc[:2]]), None, 5, by="style",
                        config=SelectConfig(dedup=None))
    with pytest.raises(ValueError, match="'id' column"):
        select_balanced(df.drop(columns="id"), x, 5, by="style")


# --------------------------------------------------------------------------- the result
