"""Label issues from a neighbour vote, labels spread to the unlabelled, planted errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from workbench.core.labels.label_issues import (
    COLUMNS,
    LabelIssues,
    find_label_issues,
    propagate_labels,
    swap_labels,
)

NAMES = np.array(["batik", "kente", "azulejo", "woodcut", "tatreez"], dtype=object)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=[200, 150, 100, 60, 40], n_features=32, cluster_std=3.0,
                      random_state=4)
    return X.astype(np.float32), NAMES[y]


@pytest.fixture(scope="module")
def planted(blobs):
    X, labels = blobs
    noisy, changed = swap_labels(labels, 0.06, seed=1)
    return noisy, changed, find_label_issues(X, noisy)


def test_swap_labels_swaps_pairs_of_different_labels(blobs):
    _, labels = blobs
    noisy, changed = swap_labels(labels, 0.1, seed=0)
    assert changed.sum() == 2 * round(0.1 * len(labels) / 2)
    assert (noisy[changed] != labels[changed]).all() and (noisy[~changed] == labels[~changed]).all()
    assert sorted(noisy.tolist()) == sorted(labels.tolist())  # a swap keeps the counts
    again, _ = swap_labels(labels, 0.1, seed=0)
    assert (again == noisy).all()


def test_planted_errors_are_flagged_and_the_true_label_suggested(blobs, planted):
    _, labels = blobs
    noisy, changed, res = planted
    table = res.table
    assert list(table.columns) == list(COLUMNS) and len(table) == len(labels)
    flagged = table["flagged"].to_numpy()
    precision = (flagged & changed).sum() / flagged.sum()
    recall = (flagged & changed).sum() / changed.sum()
    assert precision >= 0.8 and recall >= 0.8, (precision, recall)
    assert (table.loc[changed, "suggested"] == labels[changed]).mean() >= 0.9
    assert res.precision_at_recall(changed, 0.9) >= 0.8
    assert (table["given"] == noisy).all()
    # a flag says which threshold it crossed
    rows = table[flagged]
    assert (rows["self_confidence"] < rows["threshold"]).all() and (rows["label_score"] < 0).all()


def test_ranking_and_precision_recall_curve(planted):
    _, changed, res = planted
    order = res.ranking()
    scores = res.table["label_score"].to_numpy()[order]
    assert np.all(np.diff(scores) >= 0)  # most doubtful first
    curve = res.precision_recall(changed)
    assert list(curve.columns) == ["n", "label_score", "precision", "recall"]
    assert curve["recall"].is_monotonic_increasing and curve["recall"].iloc[-1] == 1.0
    assert curve["precision"].iloc[-1] == pytest.approx(changed.mean())
    with pytest.raises(ValueError, match="one entry per item"):
        res.precision_recall(changed[:5])


def test_to_dict_summary_and_plot(planted):
    _, _, res = planted
    out = json.loads(json.dumps(res.to_dict()))
    assert out["flagged"] == len(out["issues"]) == int(res.table["flagged"].sum())
    assert out["k"] == 30 and set(out["thresholds"]) == set(NAMES)
    assert {"index", "given", "suggested", "label_score"} <= set(out["issues"][0])
    assert res.summary().startswith(f"{out['flagged']} of 550 labels disagree with their 30")
    assert res.plot(np.zeros(550, bool)).get_xlabel() == "recall"


def test_missing_labels_get_a_suggestion_but_no_verdict(blobs):
    X, labels = blobs
    partial = labels.copy()
    partial[:20] = None
    partial[20] = float("nan")
    partial[21] = " "
    res = find_label_issues(X, partial, k=10)
    missing = res.table.iloc[:22]
    assert missing["given"].isna().all() and not missing["flagged"].any()
    assert missing["label_score"].isna().all()
    assert (missing["suggested"] == labels[:22]).mean() >= 0.9
    assert res.ranking().size == len(labels) - 22


def test_input_errors_name_the_parameter(blobs):
    X, labels = blobs
    with pytest.raises(ValueError, match=r"one entry per row of X \(550\); got 3"):
        find_label_issues(X, ["a", "b", "c"])
    with pytest.raises(ValueError, match="at least 2 classes; got 1"):
        find_label_issues(X, ["a"] * len(X))
    with pytest.raises(ValueError, match="k must be >= 1"):
        find_label_issues(X, labels, k=0)
    with pytest.raises(ValueError, match="share must be in"):
        swap_labels(labels, 2.0)


def test_summary_without_issues():
    table = pd.DataFrame({"given": ["a"], "suggested": ["a"], "label_score": [1.0],
                          "flagged": [False]})
    assert LabelIssues(table, ["a"], k=5, bandwidth=0.1).summary() == (
        "0 of 1 labels disagree with their 5 nearest neighbours (0.0%)")


def test_propagate_labels_spreads_along_chains_but_not_across_gaps():
    # a chain of close points from cluster 0 and an isolated point far from everything
    angles = np.concatenate([np.linspace(0, 0.5, 40), [2.5]])
    X = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    labels = np.full(41, -1)
    labels[:5] = 0
    out, threshold = propagate_labels(X, labels, quantile=0.05, n_neighbors=3)
    assert (out[:40] == 0).all() and out[40] == -1
    assert 0.99 < threshold < 1.0
    assert (labels[5:] == -1).all()  # the input is not changed
    with pytest.raises(ValueError, match="quantile must be in"):
        propagate_labels(X, labels, quantile=-0.1)
