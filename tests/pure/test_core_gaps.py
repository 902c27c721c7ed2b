"""Gap statistics (representation, creator concentration, concept probes) and density."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from workbench.core.maps.density import outliers, sparse_regions, tiny_clusters
from workbench.core.maps.gaps import MISSING, creator_concentration, read_targets, representation
from workbench.core.maps.probes import concept_probes

FAMILIES = {"ink-wash": 151, "batik": 49, "kente": 44, "woodcut": 31, "azulejo": 13, "tatreez": 12}


def _values(counts: dict[str, int], seed: int = 0) -> list[str]:
    values = [v for v, n in counts.items() for _ in range(n)]
    np.random.default_rng(seed).shuffle(values)
    return values


# --- representation ----------------------------------------------------------


def test_uniform_targets_flag_small_and_large_families():
    rep = representation(_values(FAMILIES))
    t = rep.table.set_index("value")
    assert list(rep.table.columns) == ["value", "count", "share", "target_share", "status"]
    assert t.loc["ink-wash", "status"] == "over"
    assert t.loc["azulejo", "status"] == "under" and t.loc["tatreez", "status"] == "under"
    assert t.loc["batik", "status"] == "ok" and t.loc["kente", "status"] == "ok"
    assert t["target_share"].tolist() == pytest.approx([1 / 6] * 6)
    assert t.loc["batik", "count"] == 49 and t["share"].sum() == pytest.approx(1)
    assert rep.total == 300 and rep.notes == []
    assert rep.table["count"].is_monotonic_decreasing


def test_status_rule_is_configurable():
    values = _values(FAMILIES)
    loose = representation(values, tolerance=(0.2, 4.0)).table.set_index("value")["status"]
    assert (loose == "ok").all()
    strict = representation(values, tolerance=(0.95, 1.05)).table.set_index("value")["status"]
    assert strict["batik"] == "ok" and strict["kente"] == "under"
    with pytest.raises(ValueError, match="tolerance"):
        representation(values, tolerance=(1.2, 1.5))


def test_missing_values_are_one_group():
    rep = representation(["a", None, float("nan"), "", "  ", "a", "b"])
    t = rep.table.set_index("value")
    assert t.loc[MISSING, "count"] == 4
    assert any("4 item(s) have no value" in n for n in rep.notes)


def test_targets_are_normalised_and_typos_reported():
    values = _values({"ink-wash": 60, "batik": 30, "kente": 10})
    rep = representation(values, {"ink-wash": 2, "batik": 1, "kenta": 1, "tatreez": 0})
    t = rep.table.set_index("value")
    assert t.loc["ink-wash", "target_share"] == pytest.approx(0.5)
    assert t.loc["kenta", "count"] == 0 and t.loc["kenta", "status"] == "under"
    assert t.loc["kente", "target_share"] == 0 and t.loc["kente", "status"] == "over"
    assert t.loc["tatreez", "status"] == "ok"  # target 0, count 0
    notes = " | ".join(rep.notes)
    assert "summed to 4" in notes
    assert "'kenta' does not occur" in notes and "did you mean 'kente'?" in notes
    assert "'tatreez' does not occur" in notes and "did you mean" not in notes.split("'tatreez'")[1]
    assert "without a target" in notes and "kente" in notes


def test_bad_targets_are_errors():
    with pytest.raises(ValueError, match=r"targets must be >= 0; got -0.1 for 'a'"):
        representation(["a", "b"], {"a": -0.1, "b": 1})
    with pytest.raises(ValueError, match="positive sum"):
        representation(["a"], {"a": 0})
    with pytest.raises(ValueError, match="must be a number"):
        representation(["a"], {"a": "lots"})


def test_read_targets_json_and_csv(tmp_path):
    j = tmp_path / "t.json"
    j.write_text(json.dumps({"ink-wash": 0.5, "batik": 0.5}), "utf-8")
    c = tmp_path / "t.csv"
    c.write_text("value,target\nink-wash,0.25\nbatik,0.75\n", "utf-8")
    assert read_targets(j) == {"ink-wash": 0.5, "batik": 0.5}
    assert read_targets(c) == {"ink-wash": 0.25, "batik": 0.75}
    rep = representation(["ink-wash"] * 3 + ["batik"], c)
    assert rep.table.set_index("value")["status"].to_dict() == {
        "ink-wash": "over",
        "batik": "under",
    }
    bad = tmp_path / "bad.csv"
    bad.write_text("style,share\na,1\n", "utf-8")
    with pytest.raises(
        ValueError, match=r"needs columns 'value' and 'target'.*found \['style', 'share'\]"
    ):
        read_targets(bad)
    (tmp_path / "list.json").write_text("[1, 2]", "utf-8")
    with pytest.raises(ValueError, match="must be an object"):
        read_targets(tmp_path / "list.json")
    with pytest.raises(ValueError, match=r"\.json or \.csv"):
        read_targets(tmp_path / "t.yaml")


def test_to_dict_and_plot():
    rep = representation(_values(FAMILIES))
    d = rep.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert set(d["groups"][0]) == {"value", "count", "share", "target_share", "status"}
    assert d["groups"][0] == {
        "value": "ink-wash",
        "count": 151,
        "share": pytest.approx(151 / 300),
        "target_share": pytest.approx(1 / 6),
        "status": "over",
    }
    ax = rep.plot()
    assert len(ax.patches) == 6


# --- creator concentration ---------------------------------------------------


def test_creator_concentration():
    groups = ["ink"] * 10 + ["batik"] * 10 + ["kente"] * 3 + ["woodcut"] * 6
    creators = (
        ["wu"] * 7
        + ["li", "ho", None]
        + [f"c{i}" for i in range(10)]
        + ["solo"] * 3
        + [None] * 5
        + ["x"]
    )
    t = creator_concentration(groups, creators).set_index("group")
    assert list(t.reset_index().columns) == [
        "group",
        "n",
        "top_creator",
        "top_count",
        "top_share",
        "flagged",
    ]
    assert t.loc["ink", "top_creator"] == "wu" and t.loc["ink", "top_share"] == pytest.approx(0.7)
    assert t.loc["ink", "flagged"]
    assert not t.loc["batik", "flagged"] and t.loc["batik", "top_share"] == pytest.approx(0.1)
    assert t.loc["kente", "top_share"] == 1 and not t.loc["kente", "flagged"]  # below min_group
    assert t.loc["woodcut", "top_creator"] == "x" and not t.loc["woodcut", "flagged"]  # unknowns
    assert creator_concentration(groups, creators, threshold=0.05)["flagged"].sum() == 3
    with pytest.raises(ValueError, match="same length"):
        creator_concentration(["a"], [])


# --- concept probes ----------------------------------------------------------


@pytest.fixture(scope="module")
def probe_data():
    rng = np.random.default_rng(0)
    d = 64
    directions = np.linalg.qr(rng.normal(size=(d, 5)))[0].T  # 5 orthonormal concept directions
    # Images show concepts 0, 1, 2 only (plus noise); 3 and 4 are absent.
    which = rng.integers(0, 3, 600)
    images = directions[which] * 0.6 + rng.normal(size=(600, d)) * 0.1
    texts = directions + rng.normal(size=(5, d)) * 0.02
    names = ["ink wash", "batik", "kente", "Andean textile", "Ndebele house painting"]
    return images, texts, names, which


def test_concept_probes_find_absent_concepts(probe_data):
    images, texts, names, which = probe_data
    t = concept_probes(images, texts, names, top_k=8)
    assert list(t.columns) == ["concept", "n_close", "best_score", "nearest", "gap", "threshold"]
    by = t.set_index("concept")
    assert set(t.loc[t.gap, "concept"]) == {"Andean textile", "Ndebele house painting"}
    for j, name in enumerate(names[:3]):
        assert by.loc[name, "n_close"] > 0.8 * (which == j).sum()
        assert (which[by.loc[name, "nearest"]] == j).all() and len(by.loc[name, "nearest"]) == 8
    assert t["gap"].iloc[:2].all()  # gaps listed first
    sims = (images / np.linalg.norm(images, axis=1, keepdims=True)) @ (
        texts[0] / np.linalg.norm(texts[0])
    )
    assert by.loc["ink wash", "best_score"] == pytest.approx(sims.max(), abs=1e-5)


def test_concept_probes_explicit_threshold_and_errors(probe_data):
    images, texts, names, _ = probe_data
    assert not concept_probes(images, texts, names, threshold=-1.0)["gap"].any()
    assert concept_probes(images, texts, names, threshold=1.0)["gap"].all()
    with pytest.raises(ValueError, match="same model"):
        concept_probes(images, texts[:, :10], names)
    with pytest.raises(ValueError, match="5 rows"):
        concept_probes(images, texts, names[:2])


# --- density -----------------------------------------------------------------


def test_outliers_flag_the_isolated_points():
    X, _ = make_blobs(n_samples=500, n_features=16, centers=3, cluster_std=0.5, random_state=0)
    far = np.random.default_rng(1).normal(size=(5, 16)) * 30
    X = np.vstack([X, far]).astype(np.float32)
    t = outliers(X, k=10, quantile=0.99, metric="euclidean")
    assert list(t.columns) == ["index", "knn_distance", "outlier"] and len(t) == 505
    top5 = t.sort_values("knn_distance", ascending=False)["index"].iloc[:5]
    assert set(top5) == set(range(500, 505))
    assert set(range(500, 505)) <= set(t.loc[t.outlier, "index"]) and t.outlier.sum() <= 6
    assert t.attrs["threshold"] == pytest.approx(np.quantile(t.knn_distance, 0.99))


def test_sparse_regions_find_the_hole_between_blobs():
    P, _ = make_blobs(
        n_samples=4000, centers=[[0, 0], [6, 0], [0, 6], [6, 6]], cluster_std=0.8, random_state=0
    )
    t = sparse_regions(P, grid=40)
    assert len(t) >= 1
    centre = t[(t.x0 <= 3) & (t.x1 >= 3) & (t.y0 <= 3) & (t.y1 >= 3)]
    assert len(centre) == 1
    row = centre.iloc[0]
    assert row.density < 0.1 * row.border_density or row.border_density > row.density
    assert t.iloc[0].equals(centre.iloc[0])  # the central hole is the largest region
    # The empty corners of the map are not reported (bays between two blobs may be).
    outside_x, outside_y = (t.x < 0) | (t.x > 6), (t.y < 0) | (t.y > 6)
    assert not (outside_x & outside_y).any()
    assert len(row.nearest) == 5
    # A single dense blob has no hole.
    blob, _ = make_blobs(n_samples=2000, centers=[[0, 0]], random_state=0)
    assert sparse_regions(blob).empty


def test_tiny_clusters():
    labels = np.array([0] * 10 + [1] * 2 + [2] * 4 + [-1] * 3)
    t = tiny_clusters(labels, min_size=5)
    assert t["cluster"].tolist() == [1, 2]
    assert t.loc[0, "members"] == [10, 11] and t.loc[0, "share"] == pytest.approx(2 / 19)
    assert tiny_clusters(labels, min_size=1).empty
