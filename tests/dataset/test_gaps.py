"""Maps, clusters and gaps on a FiftyOne dataset, through the API and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

import workbench as wb
from helpers.images import pattern, save

QUIET_LOAD = wb.LoadConfig(progress=False, workers=0)


@pytest.fixture(scope="module")
def sample_gaps(sample_workspace):
    ds, _ = sample_workspace
    wb.compute_map(ds)
    return ds, wb.find_gaps(ds, by="style")


def test_small_families_under_dominant_over_and_creator_flagged(sample_gaps):
    ds, gaps = sample_gaps
    status = dict(zip(gaps.table["value"], gaps.table["status"]))
    assert status["mosaic"] == status["stitch-embroidery"] == "under"
    assert status["indigo-resist-dots"] == "over"
    flagged = gaps.flagged_creators()
    assert flagged[["group", "top_creator"]].values.tolist() == [
        ["indigo-resist-dots", "creator-01"]]


def test_clusters_recover_the_style_families(sample_gaps):
    ds, gaps = sample_gaps
    style = dict(zip(*ds.values(["id", "style"])))
    ari = adjusted_rand_score([style[i] for i in gaps.clusters.ids], gaps.clusters.labels)
    print(f"\nadjusted Rand index, clusters vs style families (bundled model): {ari:.3f} "
          f"({gaps.clusters.k} clusters)")
    assert ari >= 0.6
    assert set(ds.values("cluster")) == set(gaps.clusters.labels.tolist())
    assert all(gaps.clusters.table["name"].str.len() > 0)


def test_map_is_stored_for_the_app_and_on_samples(sample_gaps):
    ds, _ = sample_gaps
    key = "wb_umap_emb_efficientnet_lite0_imagenet"
    assert key in ds.list_brain_runs()
    coords = np.asarray(ds.values("map_umap"), dtype=float)
    assert coords.shape == (306, 2) and np.isfinite(coords).all()


def test_html_report_is_self_contained(sample_gaps, tmp_path):
    _, gaps = sample_gaps
    path = gaps.to_html(tmp_path / "coverage.html")
    text = path.read_text()
    assert "Representation by style" in text and "Creator concentration" in text
    assert "data:image/png;base64," in text and "src=\"http" not in text


def test_concepts_with_the_bundled_model_say_they_need_clip(sample_gaps):
    ds, _ = sample_gaps
    gaps = wb.find_gaps(ds, by="style", concepts=["Andean textile"], clusters=False)
    assert "need a CLIP model" in gaps.probe_note


def test_targets_that_do_not_sum_to_one_and_unknown_keys(sample_gaps, tmp_path, cli):
    ds, _ = sample_gaps
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"indigo-resist-dots": 2, "ink-wash": 2, "mosaic": 2,
                                   "star-tiling": 2, "strip-weave": 2, "stitch-embroidery": 2,
                                   "woodblock": 2}))
    proc = cli("gaps", ds.name, "--by", "style", "--targets", str(targets), "--no-clusters",
               "--json", check=True)
    out = json.loads(proc.stdout)
    groups = {g["value"]: g for g in out["groups"]}
    assert abs(sum(g["target_share"] for g in groups.values()) - 1) < 1e-9
    assert groups["woodblock"]["count"] == 0 and groups["woodblock"]["status"] == "under"
    assert any("woodblock" in n for n in out["notes"])


def test_unknown_field_exits_2_with_the_list_of_fields(sample_gaps, cli):
    ds, _ = sample_gaps
    proc = cli("gaps", ds.name, "--by", "styel", "--json")
    assert proc.returncode == 2
    err = json.loads(proc.stdout)["error"]
    assert "'styel'" in err and "'style'" in err and "'region'" in err


def test_without_embeddings_map_and_gaps_say_embed_first(tmp_path, dataset_name, cli):
    for i in range(6):
        save(pattern(i), tmp_path / f"{i}.png")
    wb.load(tmp_path, name=dataset_name, config=QUIET_LOAD)
    for args in (("map", dataset_name), ("gaps", dataset_name)):  # no labels: by clusters
        proc = cli(*args, "--json")
        assert proc.returncode == 2, proc.stderr
        assert f"workbench embed {dataset_name}" in json.loads(proc.stdout)["error"]


def test_fewer_than_five_samples_is_a_clear_message(tmp_path, dataset_name):
    for i in range(3):
        save(pattern(i), tmp_path / f"{i}.png")
    wb.load(tmp_path, name=dataset_name, config=QUIET_LOAD)
    ds = wb.get_dataset(dataset_name)
    wb.embed(ds, config=wb.EmbedConfig(model="bundled", progress=False))
    with pytest.raises(ValueError, match="at least 5"):
        wb.compute_map(ds)
    with pytest.raises(ValueError, match="at least 5"):
        wb.find_clusters(ds)


def test_map_widget_selection_flows_back_as_sample_ids(sample_gaps):
    ds, _ = sample_gaps
    explorer = wb.map_widget(ds, color_by="style")
    explorer.show()
    rows = [0, 5, 17]
    explorer.scatter_.widget.selection = np.array(rows, dtype=np.uint32)  # as a lasso does
    expected = explorer.frame.loc[rows, "id"].tolist()
    assert explorer.selected_ids == expected
    view = explorer.to_view(ds)
    assert view.values("id") == expected
    assert "3 selected" in explorer.grid_.value
    assert explorer.tag(ds, "lassoed") == 3
    assert sorted(ds.match_tags("lassoed").values("id")) == sorted(expected)
    ds.untag_samples("lassoed")
