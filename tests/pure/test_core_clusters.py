"""Clustering embeddings, medoids, cluster names and the style vocabulary."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from workbench.core.maps.cluster_names import (
    distinctive_words,
    item_texts,
    load_vocabulary,
    name_clusters,
    words,
)
from workbench.core.maps.clustering import ClusterConfig, ClusterResult, cluster_embeddings, medoids

SIZES = [400, 250, 150, 100, 60, 40]  # six clusters of unequal sizes


def _unit(X):
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def six():
    X, y, centers = make_blobs(
        n_samples=SIZES, n_features=64, cluster_std=2.0, random_state=3, return_centers=True
    )
    return _unit(X), y, _unit(centers)


@pytest.fixture(scope="module")
def six_result(six):
    X, _, _ = six
    return cluster_embeddings(X, ClusterConfig(method="kmeans", seed=0))


def test_kmeans_recovers_six_unequal_clusters(six, six_result):
    _, y, _ = six
    res = six_result
    assert res.k == 6
    assert adjusted_rand_score(y, res.labels) >= 0.9
    assert res.method == "kmeans" and res.seed == 0
    assert res.score > 0.1
    assert res.scores["k"].tolist() == list(range(2, 31))
    assert res.scores.loc[res.scores["silhouette"].idxmax(), "k"] == 6


def test_same_seed_same_labels(six):
    X, _, _ = six
    cfg = ClusterConfig(method="kmeans", k_range=(4, 8), seed=5)
    a, b = cluster_embeddings(X, cfg), cluster_embeddings(X, cfg)
    assert np.array_equal(a.labels, b.labels)


def test_sample_smaller_than_data_still_works(six):
    X, y, _ = six
    res = cluster_embeddings(X, ClusterConfig(method="kmeans", k_range=(2, 10), sample_size=300))
    assert res.k == 6 and adjusted_rand_score(y, res.labels) >= 0.9


def test_hdbscan_finds_the_clusters(six):
    X, y, _ = six
    res = cluster_embeddings(X, ClusterConfig(method="hdbscan", min_cluster_size=20))
    assert res.method == "hdbscan"
    clustered = res.labels != -1
    assert clustered.mean() > 0.8
    assert adjusted_rand_score(y[clustered], res.labels[clustered]) >= 0.9


def test_config_errors_name_the_options():
    with pytest.raises(
        ValueError, match=r"method must be one of \['auto', 'kmeans', 'hdbscan'\]; got 'dbscan'"
    ):
        ClusterConfig(method="dbscan")
    with pytest.raises(ValueError, match="k_range"):
        ClusterConfig(k_range=(5, 3))
    with pytest.raises(ValueError, match="at least 3"):
        cluster_embeddings(np.eye(2, dtype=np.float32))


def test_sizes_table(six_result):
    sizes = six_result.sizes()
    assert sizes["size"].sum() == sum(SIZES)
    assert sizes["size"].is_monotonic_decreasing


def test_medoids_belong_to_their_cluster_and_are_central(six, six_result):
    X, _, _ = six
    labels = six_result.labels
    reps = medoids(X, six_result, per_cluster=5)
    assert sorted(reps) == sorted(set(labels.tolist()))
    for c, idx in reps.items():
        assert len(idx) == 5 and (labels[idx] == c).all()
        members = np.flatnonzero(labels == c)
        mean = X[members].mean(axis=0)
        sims = X[members] @ (mean / np.linalg.norm(mean))
        assert X[idx[0]] @ (mean / np.linalg.norm(mean)) == pytest.approx(sims.max(), abs=1e-5)
        assert np.all(np.diff(X[idx] @ mean) <= 1e-6)  # most representative first


def test_medoids_skip_noise_and_cap_at_cluster_size():
    X = _unit(np.random.default_rng(0).normal(size=(7, 4)))
    reps = medoids(X, np.array([0, 0, 1, 1, 1, -1, -1]), per_cluster=5)
    assert sorted(reps) == [0, 1]
    assert sorted(reps[0].tolist()) == [0, 1] and len(reps[1]) == 3


def _metadata(y, rng):
    styles = np.array(["ink-wash", "batik", "kente", "woodcut", "azulejo", "tatreez"])
    style = styles[y].astype(object)
    flip = rng.random(len(y)) < 0.07  # 7% carry another style
    style[flip] = rng.choice(styles, flip.sum())
    creator = rng.integers(0, 500, len(y)).astype(str).astype(object)
    creator[rng.random(len(y)) < 0.1] = None
    return pd.DataFrame({"style": style, "creator": creator})


def test_names_use_the_metadata_majority(six, six_result):
    X, y, _ = six
    meta = _metadata(y, np.random.default_rng(0))
    table = name_clusters(six_result, X, metadata=meta)
    assert list(table.columns) == [
        "cluster",
        "size",
        "share",
        "name",
        "name_source",
        "medoids",
        "top_metadata",
    ]
    assert table["size"].sum() == len(X) and table["share"].sum() == pytest.approx(1)
    for row in table.itertuples():
        members = six_result.labels == row.cluster
        majority = meta.loc[members, "style"].value_counts()
        share = majority.iloc[0] / members.sum()
        assert row.name == f"mostly style={majority.index[0]} ({round(share * 100)}%)"
        assert row.name_source == "metadata"
        assert row.top_metadata["style"] == (majority.index[0], pytest.approx(share, abs=1e-4))
        assert row.top_metadata["creator"][1] < 0.6  # scattered creators are not in the name
        assert len(row.medoids) == 5 and (six_result.labels[row.medoids] == row.cluster).all()


def test_names_from_text_vocabulary(six, six_result):
    X, y, centers = six
    words = [
        "ink wash painting",
        "batik",
        "kente cloth weaving",
        "woodcut print",
        "azulejo tiles",
        "tatreez embroidery",
        "generic artwork",
    ]
    # Each term's "text embedding" points at one true cluster centre; the generic term
    # is close to every centre and must lose to the distinctive ones.
    generic = _unit(centers.mean(axis=0, keepdims=True))
    T = np.vstack([centers, generic])
    table = name_clusters(six_result, X, text_vocab=(words, T), max_terms=1)
    for row in table.itertuples():
        true = np.bincount(y[six_result.labels == row.cluster]).argmax()
        assert row.name == words[true]
        assert row.name_source == "clip"


def test_names_from_imagenet_callable_and_metadata(six, six_result):
    X, y, _ = six
    meta = _metadata(y, np.random.default_rng(1))
    seen = {}

    def imagenet_top(means):
        seen["shape"] = means.shape
        return [[(f"class{i}", 0.9), ("runner-up", 0.1)] for i in range(len(means))]

    table = name_clusters(six_result, X, metadata=meta[["style"]], imagenet_top=imagenet_top)
    assert seen["shape"] == (6, X.shape[1])
    assert all(n.startswith("class") and " · mostly style=" in n for n in table["name"])
    assert "runner-up" not in " ".join(table["name"])  # 0.1 < 0.8 x 0.9
    assert set(table["name_source"]) == {"imagenet+metadata"}


def test_unnamed_clusters_and_noise():
    X = _unit(np.random.default_rng(0).normal(size=(9, 4)))
    table = name_clusters(np.array([0, 0, 0, 1, 1, 1, -1, -1, -1]), X)
    by_cluster = table.set_index("cluster")
    assert by_cluster.loc[0, "name"] == "cluster 0" and by_cluster.loc[0, "name_source"] == "none"
    assert by_cluster.loc[-1, "name"].startswith("noise") and by_cluster.loc[-1, "medoids"] == []


def test_naming_input_errors(six, six_result):
    X, _, _ = six
    with pytest.raises(ValueError, match="one row per row of X"):
        name_clusters(six_result, X, metadata=pd.DataFrame({"style": ["a"]}))
    with pytest.raises(ValueError, match="same model"):
        name_clusters(six_result, X, text_vocab=(["a"], np.ones((1, 3))))
    with pytest.raises(ValueError, match="one entry per row"):
        name_clusters(np.zeros(3, int), X)


def test_vocabulary_loads_without_duplicates():
    vocab = load_vocabulary()
    assert 150 <= len(vocab) <= 300
    assert len({v.casefold() for v in vocab}) == len(vocab)
    assert not any(v.startswith("#") or not v.strip() for v in vocab)
    for term in ("batik", "kente cloth weaving", "Chinese calligraphy", "Andean textile weaving"):
        assert term in vocab


def test_vocabulary_extra_and_custom_file(tmp_path):
    p = tmp_path / "v.txt"
    p.write_text("# my terms\nraffia weaving\n\n  Raffia   Weaving \nsand painting\n", "utf-8")
    assert load_vocabulary(p, extra=["sand painting", "Andean textile"]) == [
        "raffia weaving",
        "sand painting",
        "Andean textile",
    ]
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_vocabulary(tmp_path / "nope.txt")
    with pytest.raises(TypeError, match="list of phrases"):
        load_vocabulary(extra="batik")


def test_cluster_result_plot_scores(six_result):
    ax = six_result.plot()
    assert ax.get_xlabel() == "k"
    assert isinstance(six_result, ClusterResult)


def test_auto_uses_density_clusters_for_small_collections(six):
    X, y, _ = six
    res = cluster_embeddings(X, ClusterConfig(seed=0))
    assert res.method == "hdbscan"
    assert adjusted_rand_score(y, res.labels) >= 0.9


# Reassigning HDBSCAN's noise, names from the collection's own words.


def _noisy_blobs():
    """Three tight blobs plus a loose halo around each (what HDBSCAN calls noise)."""
    rng = np.random.default_rng(0)
    centers = _unit(rng.normal(size=(3, 16)))
    core = [c + rng.normal(0, 0.05, (60, 16)) for c in centers]
    halo = [c + rng.normal(0, 0.3, (15, 16)) for c in centers]
    X = _unit(np.vstack(core + halo))
    y = np.concatenate([np.repeat([0, 1, 2], 60), np.repeat([0, 1, 2], 15)])
    return X, y


def test_noise_is_reassigned_and_recorded():
    X, y = _noisy_blobs()
    cfg = ClusterConfig(method="hdbscan", min_cluster_size=20, min_samples=20)
    kept = cluster_embeddings(X, replace(cfg, reassign_quantile=None))
    res = cluster_embeddings(X, cfg)
    assert kept.noise_before == kept.noise_after > 0.05 and kept.reassign_threshold is None
    assert res.noise_before == pytest.approx(kept.noise_before)
    assert res.noise_after < res.noise_before
    assert 0 < res.reassign_threshold < 1 and "nearest-neighbour" in res.reassign_basis
    moved = (kept.labels == -1) & (res.labels != -1)
    blob_of = {c: np.bincount(y[kept.labels == c]).argmax() for c in range(kept.k)}
    assert moved.sum() >= 5
    assert all(blob_of[c] == t for c, t in zip(res.labels[moved], y[moved]))  # own blob
    out = res.to_dict()
    assert out["noise_before"] == pytest.approx(res.noise_before)
    assert out["noise_after"] == pytest.approx(res.noise_after)
    assert "before reassignment" in res.summary()


def test_kmeans_result_has_no_noise_record(six_result):
    assert six_result.noise_before is None and six_result.noise_after == 0.0
    assert six_result.to_dict()["noise_before"] is None


def test_auto_is_the_same_for_every_seed(six):
    X, _, _ = six
    a = cluster_embeddings(X, ClusterConfig(seed=0))
    b = cluster_embeddings(X, ClusterConfig(seed=1))
    assert a.seed == 0 and b.seed == 1
    assert np.array_equal(a.labels, b.labels)


def test_new_config_errors_name_the_parameter():
    with pytest.raises(ValueError, match=r"min_samples must be >= 2; got 1"):
        ClusterConfig(min_samples=1)
    with pytest.raises(ValueError, match=r"reassign_quantile must be None or in \[0, 1\]; got 1.5"):
        ClusterConfig(reassign_quantile=1.5)


def test_words_and_item_texts():
    assert words("animals/insects/Brown_slug.png  The slug 42 chineseJunk") == [
        "animals", "insects", "brown", "slug", "slug", "chinese", "junk"]
    texts = item_texts(["/x/stamps/town/fort.png", "/x/stamps/food/pie.png"], ["A fort", None])
    assert texts == ["A fort town fort", "food pie"]
    with pytest.raises(ValueError, match="one entry per path"):
        item_texts(["/a.png"], ["a", "b"])


def test_distinctive_words_prefer_what_sets_a_cluster_apart():
    labels = np.array([0] * 4 + [1] * 4 + [-1])
    texts = ["red apple stamp", "red apple stamp", "apple stamp", "red stamp",
             "green pear stamp", "pear stamp", "green pear stamp", "pear", "stamp"]
    table = distinctive_words(labels, texts, top=3)
    assert set(table["cluster"]) == {0, 1}  # no words for noise
    firsts = table.groupby("cluster")["word"].first().to_dict()
    assert firsts == {0: "apple", 1: "pear"}
    apple = table[(table["cluster"] == 0) & (table["word"] == "apple")].iloc[0]
    assert apple["share"] == pytest.approx(0.75)
    stamp = table[table["word"] == "stamp"]["score"]
    assert (stamp < apple["score"]).all()  # in every cluster: not distinctive
    assert distinctive_words(labels, [None] * 9).empty


def test_names_from_texts_come_first_and_say_so(six, six_result):
    X, y, centers = six
    families = np.array(["kente", "batik", "azulejo", "woodcut", "tatreez", "sashiko"])
    texts = [f"a {families[t]} sample, folder {families[t]}" for t in y]
    meta = _metadata(y, np.random.default_rng(2))
    T = np.vstack([centers, _unit(centers.mean(axis=0, keepdims=True))])
    vocab = ["w0", "w1", "w2", "w3", "w4", "w5", "generic"]
    table = name_clusters(six_result, X, texts=texts, metadata=meta[["style"]],
                          text_vocab=(vocab, T), imagenet_top=lambda m: [])
    for row in table.itertuples():
        true = np.bincount(y[six_result.labels == row.cluster]).argmax()
        assert row.name.startswith(families[true] + " · mostly style=")
        assert row.name_source == "text+metadata"
    assert table["name"].is_unique


def test_clusters_without_words_fall_back_to_clip_then_imagenet(six, six_result):
    X, y, centers = six
    texts = ["kente cloth" if t == 0 else None for t in y]
    words_only = name_clusters(six_result, X, texts=texts)
    assert (words_only["name_source"] == "text").sum() == 1
    assert set(words_only["name_source"]) == {"text", "none"}
    vocab = [f"term{i}" for i in range(6)]
    clip = name_clusters(six_result, X, texts=texts, text_vocab=(vocab, centers), max_terms=1)
    assert sorted(clip["name_source"]) == ["clip"] * 5 + ["text"]
    guess = name_clusters(six_result, X, texts=texts,
                          imagenet_top=lambda m: [[("loupe", 0.5)]] * len(m))
    assert (guess["name"] == "loupe (ImageNet guess)").sum() == 5
    assert set(guess["name_source"]) == {"text", "imagenet"}


def test_same_named_clusters_get_told_apart():
    X = _unit(np.random.default_rng(0).normal(size=(30, 4)))
    texts = (["letter filled upper"] * 2 + ["letter filled"] * 8
             + ["letter filled lower"] * 2 + ["letter filled"] * 8 + ["letter outlined"] * 10)
    names = name_clusters(np.repeat([0, 1, 2], 10), X, texts=texts)["name"]
    assert sorted(names) == ["filled / lower", "filled / upper", "outlined"]
