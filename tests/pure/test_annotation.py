"""The annotation record, agreement and suggestions, on plain data (no database)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

from workbench.core.annotation.agreement import agreement
from workbench.core.annotation.record import (AnnotationConfig, AnnotatorMissingError, Edit,
                                              Record, check_tool, normalize_value,
                                              resolve_annotator, same_value)
from workbench.core.annotation.suggest import (annotation_order, caption_words, doubt_scores,
                                               suggest_labels, zero_shot_tags)


def _edit(sid, field, prev, value, who, t, tool="api"):
    return Edit(sid, field, prev, value, who, f"2026-01-01T00:00:{t:02d}.000+00:00", tool)


# -- who edits ---------------------------------------------------------------------------

def test_the_annotator_comes_from_the_argument_the_config_or_the_environment():
    env = {"WORKBENCH_ANNOTATOR": "env-1"}
    assert resolve_annotator("arg-1", AnnotationConfig(annotator="cfg-1"), env) == "arg-1"
    assert resolve_annotator(None, AnnotationConfig(annotator="cfg-1"), env) == "cfg-1"
    assert resolve_annotator(None, AnnotationConfig(), env) == "env-1"


def test_a_missing_annotator_is_never_guessed():
    with pytest.raises(AnnotatorMissingError, match="WORKBENCH_ANNOTATOR"):
        resolve_annotator(None, None, environ={})
    with pytest.raises(AnnotatorMissingError):
        resolve_annotator(None, AnnotationConfig(), environ={"WORKBENCH_ANNOTATOR": "  "})


@pytest.mark.parametrize("bad", ["", "two words", "x" * 65, 7, "unknown"])
def test_bad_annotator_ids_are_refused_with_the_parameter_named(bad):
    with pytest.raises(ValueError, match="annotator"):
        resolve_annotator(bad, None, environ={})


def test_tools_and_values_are_checked():
    assert check_tool("notebook") == "notebook"
    with pytest.raises(ValueError, match="tool must be one of"):
        check_tool("browser")
    assert normalize_value("tags", ["a", " b", "a", ""]) == ["a", "b"]
    assert normalize_value("consent", "Opt-out") == "opted_out"
    assert normalize_value("caption", "   ") is None
    with pytest.raises(ValueError, match="'tags' must be lists of strings"):
        normalize_value("tags", "a, b")
    with pytest.raises(ValueError, match="'consent' must be one of"):
        normalize_value("consent", "perhaps")
    with pytest.raises(ValueError, match="text, a number"):
        normalize_value("style", {"a": 1})
    assert same_value(None, "") and same_value(["a"], ("a",)) and not same_value("a", "b")


# -- the record --------------------------------------------------------------------------

def test_the_record_keeps_the_history_and_each_annotators_latest_value():
    rec = Record([
        _edit("s1", "style", None, "ink", "a-1", 3),
        _edit("s1", "style", "ink", "wash", "b-2", 5),
        _edit("s1", "style", "wash", "ink", "a-1", 9),
        _edit("s2", "style", None, "wash", "a-1", 1),
        _edit("s1", "style", "ink", "dye", "unknown", 11, tool="app"),
        _edit("s1", "caption", None, "a cat", "b-2", 2),
    ])
    assert [e.value for e in rec.history("s1", "style")] == ["ink", "wash", "ink", "dye"]
    assert rec.annotators() == ["a-1", "b-2", "unknown"]
    latest = rec.latest_by_annotator("style")
    assert latest.loc["s1", "a-1"] == "ink" and latest.loc["s1", "b-2"] == "wash"
    assert pd.isna(latest.loc["s2", "b-2"]) and "unknown" not in latest.columns
    assert "6 edits of 2 samples by 3 annotators" in rec.summary()


def test_the_record_exports_as_csv_and_jsonl(tmp_path):
    rec = Record([_edit("s1", "tags", [], ["sky", "=SUM(A1)"], "a-1", 1),
                  _edit("s1", "caption", None, "a fox, running", "b-2", 2, tool="cli")])
    rows = list(csv.DictReader(rec.to_csv(tmp_path / "r.csv").open()))
    assert [r["annotator"] for r in rows] == ["a-1", "b-2"]
    assert json.loads(rows[0]["value"]) == ["sky", "=SUM(A1)"] and rows[0]["previous"] == "[]"
    assert rows[1]["value"] == "a fox, running" and rows[1]["tool"] == "cli"
    lines = [json.loads(x) for x in rec.save(tmp_path / "r.jsonl").read_text().splitlines()]
    assert lines[0]["value"] == ["sky", "=SUM(A1)"] and lines[1]["time"].endswith("+00:00")
    bad = rec.to_csv(tmp_path / "f.csv")
    Record([_edit("s", "caption", None, "=HYPERLINK(1)", "a-1", 1)]).to_csv(bad)
    assert list(csv.DictReader(bad.open()))[0]["value"] == "'=HYPERLINK(1)"
    with pytest.raises(ValueError, match=r"\.csv or \.jsonl"):
        rec.save(tmp_path / "r.txt")


# -- agreement ---------------------------------------------------------------------------

def _two_annotators(n=60, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.choice(["ink", "wash", "dye"], n)
    a = np.where(rng.random(n) < 0.85, truth, rng.choice(["ink", "wash", "dye"], n))
    b = np.where(rng.random(n) < 0.75, truth, rng.choice(["ink", "wash", "dye"], n))
    return pd.DataFrame({"a-1": a, "b-2": b}, index=[f"s{i}" for i in range(n)])


def test_kappa_is_scikit_learns_on_the_same_labels():
    from sklearn.metrics import cohen_kappa_score

    labels = _two_annotators()
    labels.loc["s0":"s4", "b-2"] = None  # only one annotator labelled these
    res = agreement(labels, "style")
    both = labels.dropna()
    assert res.statistic == "cohen_kappa" and res.n_items == len(both) == 55
    assert res.value == pytest.approx(cohen_kappa_score(both["a-1"], both["b-2"]), abs=1e-12)
    assert 0.3 < res.value < 0.9
    # The confusion table: a-1's labels in rows, b-2's in columns, every shared item once.
    assert res.confusion.to_numpy().sum() == 55
    ink_ink = ((both["a-1"] == "ink") & (both["b-2"] == "ink")).sum()
    assert res.confusion.loc["ink", "ink"] == ink_ink
    # The queue: exactly the items whose labels differ.
    assert set(res.queue.index) == set(both.index[both["a-1"] != both["b-2"]])
    assert "Cohen's kappa" in res.summary()
    json.dumps(res.to_dict())


def test_alpha_for_three_annotators_is_krippendorffs():
    import krippendorff

    labels = _two_annotators(40, seed=1)
    labels["c-3"] = labels["a-1"].where(np.arange(40) % 3 != 0, "dye")
    labels.iloc[::4, 0] = None
    res = agreement(labels, "style")
    codes = {"dye": 0, "ink": 1, "wash": 2}
    data = [[codes[v] if isinstance(v, str) else np.nan for v in labels[c]] for c in labels]
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert res.statistic == "krippendorff_alpha"
    assert res.value == pytest.approx(expected, abs=1e-9)
    assert len(res.pairwise) == 3 and set(res.per_class.index) == {"dye", "ink", "wash"}
    # Symmetric with three or more: every pair counted both ways.
    assert (res.confusion.to_numpy() == res.confusion.to_numpy().T).all()
    top = res.queue.iloc[0]
    assert top["agreed"] == res.queue["agreed"].min()


def test_agreement_explains_what_it_cannot_compute():
    with pytest.raises(ValueError, match="at least 2 annotators"):
        agreement(pd.DataFrame({"a": ["x"]}))
    with pytest.raises(ValueError, match="no item of 'style' was labelled by two"):
        agreement(pd.DataFrame({"a": ["x", None], "b": [None, "y"]}), "style")
    res = agreement(pd.DataFrame({"a": ["x", "x"], "b": ["x", "x"]}), "style")
    assert np.isnan(res.value) and "undefined" in res.summary()


# -- suggestions -------------------------------------------------------------------------

def test_neighbour_labels_come_with_a_confidence_and_never_vote_for_themselves():
    rng = np.random.default_rng(0)
    centres = np.eye(4)[:3]
    X = np.repeat(centres, 10, axis=0) + rng.normal(0, 0.05, (30, 4))
    labels = np.repeat(["sun", "sea", "sky"], 10).astype(object)
    labels[[3, 13]] = None
    labels[7] = "sea"  # a wrong label among suns
    out = suggest_labels(X, labels, k=5)
    assert out[3][0][0] == "sun" and out[13][0][0] == "sea"
    assert out[7][0][0] == "sun"  # its own wrong label did not vote
    assert all(abs(sum(c for _, c in s) - 1) < 1e-3 for s in out)
    assert suggest_labels(X, [None] * 30) == [[]] * 30


def test_caption_words_come_from_folders_file_names_clusters_and_neighbours():
    got = caption_words("/c/birds/water/grey_heron2.png", root="/c", cluster_name="wading birds",
                        neighbour_captions=["a heron fishing", "heron at dawn", None])
    assert got[:4] == ["birds", "water", "grey", "heron"]
    assert "wading" in got and "fishing" in got


def test_zero_shot_tags_rank_the_vocabulary_by_similarity():
    texts = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.7, 0.7, 0.0]])
    tags = zero_shot_tags(np.array([0.9, 0.3, 0.0]), texts, ["a", "b", "c"], top=2)
    assert [t for t, _ in tags] == ["a", "c"] and tags[0][1] > tags[1][1]


def test_orders_doubtful_cluster_and_random():
    rng = np.random.default_rng(1)
    X = np.repeat(np.eye(3), 8, axis=0) + rng.normal(0, 0.05, (24, 3))
    labels = np.repeat(["a", "b", "c"], 8).astype(object)
    labels[2] = "c"     # wrong
    labels[20] = None   # missing
    doubt = doubt_scores(X, labels, k=5)
    order = annotation_order("doubtful", 24, doubt=doubt)
    assert order[0] == 20 and order[1] == 2
    clusters = [0] * 5 + [1] * 10 + [-1] * 2 + [2] * 7
    by_cluster = annotation_order("cluster", 24, clusters=clusters)
    assert by_cluster[:10].tolist() == list(range(5, 15)) and by_cluster[-2:].tolist() == [15, 16]
    r = annotation_order("random", 24, seed=3)
    assert sorted(r) == list(range(24)) and (r == annotation_order("random", 24, seed=3)).all()
    with pytest.raises(ValueError, match="order must be one of"):
        annotation_order("newest", 3)
    with pytest.raises(ValueError, match="find_clusters"):
        annotation_order("cluster", 3)
