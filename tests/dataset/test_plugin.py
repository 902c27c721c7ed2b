"""The Palette plugin for the FiftyOne App, driven headlessly with ``execute_operator`` on
real stamps: the panel's map, lasso selections, the select operator, review actions that
change the next export, registration, and exports kept inside the export root."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import run_cli

import workbench as wb
from workbench.glue.plugins import PANEL_NAME, PLUGIN_NAME

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: Small real categories, 105 stamps: dreidels recoloured and mirrored (pairs kept for
#: review) and a blank lightning bolt (a quality flag) among them.
CATEGORIES = ("household", "medical", "naturalforces", "seasonal")


def _uri(name: str) -> str:
    return f"{PLUGIN_NAME}/{name}"


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    """FiftyOne pointed at a plugins directory holding only the Palette plugin."""
    import fiftyone as fo

    folder = tmp_path_factory.mktemp("plugins")
    wb.install_plugin(folder)
    before = (os.environ.get("FIFTYONE_PLUGINS_DIR"), fo.config.plugins_dir)
    os.environ["FIFTYONE_PLUGINS_DIR"] = fo.config.plugins_dir = str(folder)
    yield folder
    fo.config.plugins_dir = before[1]
    if before[0] is None:
        os.environ.pop("FIFTYONE_PLUGINS_DIR", None)
    else:
        os.environ["FIFTYONE_PLUGINS_DIR"] = before[0]


@pytest.fixture(scope="module")
def stamps(real_corpus, tmp_path_factory, plugins_dir):
    """About 110 real stamps loaded with their folders as labels, embedded with the bundled
    model, mapped (PCA: fast) and checked for quality."""
    import fiftyone as fo

    src = tmp_path_factory.mktemp("stamps")
    for category in CATEGORIES:
        shutil.copytree(real_corpus / category, src / category,
                        ignore=shutil.ignore_patterns("*.ogg", "*.wav"))
    name = "plugin-stamps"
    wb.load(src, name=name, labels_from_folders="category", config=wb.LoadConfig(
        progress=False, license="CC0-1.0", consent="granted", ai_generated=False,
        source="Debian tuxpaint-stamps-default"))
    ds = wb.get_dataset(name)
    wb.embed(ds, config=wb.EmbedConfig(model="bundled", progress=False))
    wb.compute_map(ds, method="pca")
    yield ds
    fo.delete_dataset(name)


def _run(uri, ds, params, **ctx):
    from fiftyone.operators import execute_operator

    result = execute_operator(uri, ctx={"dataset": ds.name, "params": params, **ctx})
    result.raise_exceptions()
    return result


def _triggered(result, name: str) -> list[dict]:
    return [r.params for r in result.executor._requests if r.operator_uri == name]


def _panel(ds, method: str, state=None, ctx=None, **extra):
    params = {"panel_id": "palette-test", "__method__": method, "state": state or {},
              "panel_state": state or {}, **extra}
    return _run(_uri(PANEL_NAME), ds, params, **(ctx or {}))


def _exported(name: str, out: Path) -> list[str]:
    proc = run_cli("export", name, "--tag", "selected", "--format", "csv", "--out", str(out),
                   "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    with (out / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        return sorted(Path(row["filepath"]).name for row in csv.DictReader(fh))


def test_panel_load_sends_one_point_per_mapped_sample(stamps):
    result = _panel(stamps, "on_load")
    data = _triggered(result, "patch_panel_data")
    traces = [t for d in data for t in (d.get("data") or {}).get("map", [])]
    ids, _, _ = _map_ids(stamps)
    sent = [i for t in traces for i in t["ids"]]
    assert sorted(sent) == sorted(ids), "one point per mapped sample, each once"
    assert all(t["type"] == "scattergl" for t in traces)
    assert {t["name"] for t in traces} == set(CATEGORIES), "coloured by the folder labels"
    assert all(len(t["x"]) == len(t["y"]) == len(t["ids"]) for t in traces)
    assert not any("filepath" in t or "customdata" in t for t in traces), \
        "coordinates and ids only"


def _map_ids(ds):
    from workbench.glue.maps import get_map

    return get_map(ds)


def test_a_lasso_on_the_map_sets_a_view_of_exactly_those_samples(stamps):
    ids = _map_ids(stamps)[0][5:17]
    points = [{"id": i, "x": 0.0, "y": 0.0, "trace": "food", "idx": k}
              for k, i in enumerate(ids)]
    result = _panel(stamps, "on_map_selected", event_args={}, data=points)
    views = _triggered(result, "set_view")
    assert len(views) == 1
    from fiftyone.core.view import DatasetView

    view = DatasetView._build(stamps, views[0]["view"])
    assert sorted(view.values("id")) == sorted(ids)


def _lit(result) -> set[str]:
    (patch,) = [d["data"] for d in _triggered(result, "patch_panel_data") if "map" in d["data"]]
    return {t["ids"][k] for t in patch["map"] for k in t.get("selectedpoints", [])}


def test_the_selected_samples_and_the_view_light_up_their_points(stamps):
    ids = _map_ids(stamps)[0]
    state = {"points": len(ids), "by": "category"}
    result = _panel(stamps, "on_change_selected", state=state, ctx={"selected": ids[:9]})
    assert _lit(result) == set(ids[:9])
    view = stamps.match({"category": "medical"})
    result = _panel(stamps, "on_change_view", state=state, ctx={"view": view})
    assert _lit(result) == set(view.values("id"))


def test_the_map_of_ten_thousand_points_is_coordinates_and_ids():
    import json
    import time

    import numpy as np

    from workbench.plugin.palette.panel import map_traces

    rng = np.random.default_rng(0)
    n = 10_000
    points = {"ids": [f"{k:024x}" for k in range(n)], "x": rng.normal(size=n).round(4).tolist(),
              "y": rng.normal(size=n).round(4).tolist(),
              "group": [f"style-{k % 12}" for k in range(n)]}
    start = time.perf_counter()
    traces = map_traces(points, highlight=set(points["ids"][:500]))
    seconds = time.perf_counter() - start
    size = len(json.dumps(traces))
    print(f"10,000 points: {len(traces)} traces, {size / 1e6:.2f} MB of JSON, {seconds:.3f} s")
    assert sum(len(t["ids"]) for t in traces) == n
    assert size < 60 * n, "about 60 bytes a point: an id and two coordinates"
    assert seconds < 1.0


def test_clicking_a_representation_bar_shows_that_group(stamps):
    from fiftyone.core.view import DatasetView

    result = _panel(stamps, "on_group_click", state={"by": "category"}, x="seasonal")
    (params,) = _triggered(result, "set_view")
    view = DatasetView._build(stamps, params["view"])
    assert set(view.values("category")) == {"seasonal"}
    assert len(view) == stamps.count_values("category")["seasonal"]

    clusters = wb.find_clusters(stamps)
    row = clusters.table[clusters.table["cluster"] != -1].iloc[0]  # -1: no cluster
    overview = wb.curation_overview(stamps)
    shown = {c["cluster"]: c for c in overview["clusters"]}
    assert shown[int(row["cluster"])]["size"] == int(row["size"])
    result = _panel(stamps, "on_cluster_click", x=shown[int(row["cluster"])]["name"])
    (params,) = _triggered(result, "set_view")
    view = DatasetView._build(stamps, params["view"])
    assert set(view.values("cluster")) == {int(row["cluster"])}
    assert len(view) == int(row["size"])


def test_select_operator_gives_the_ids_of_select_balanced(stamps):
    params = {"n": 40, "by": None, "creator_cap": None, "seed": 3, "strategy": "cap",
              "tag": "via-app"}
    result = _run(_uri("select_balanced"), stamps, params)
    direct = wb.select_balanced(stamps, n=40, by=None, config=wb.SelectConfig(seed=3),
                                tag="via-python")
    assert result.result["ids"] == list(direct.ids)
    assert result.result["selected"] == len(direct) == 40
    assert sorted(stamps.match_tags("via-app").values("id")) == sorted(direct.ids)
    assert wb.load_selection(stamps, "via-app").ids == direct.ids, "the same saved selection"


def test_select_operator_reports_bad_input_like_the_cli(stamps):
    from fiftyone.operators.executor import ExecutionError

    with pytest.raises(ExecutionError, match="fields that can balance a selection"):
        _run(_uri("select_balanced"), stamps, {"n": 10, "by": "no_such_field"})


def test_review_actions_change_what_the_next_export_writes(stamps, tmp_path):
    sel = wb.select_balanced(stamps, n=100, by="category",
                             config=wb.SelectConfig(seed=0, allow_fewer=True))
    queue = wb.review_queue(stamps)
    chosen = set(sel.ids)
    pairs = [q for q in queue if q["kind"] == "pair" and {q["a"], q["b"]} <= chosen]
    flagged = [q for q in queue if q["kind"] == "quality"]
    print(f"review queue: {len(pairs)} pairs, {len(flagged)} quality flags; "
          f"selected {len(sel)}")
    assert pairs and flagged, "real stamps have near-copies and flagged images to review"
    name_of = dict(zip(*stamps.values(["id", "filepath"])))
    before = _exported(stamps.name, tmp_path / "before")
    assert len(before) == len(sel)

    # "Drop this one" on a pair, from the panel: the image leaves the export.
    index = queue.index(pairs[0])
    gone = pairs[0]["b"]
    _panel(stamps, "on_review", index=index, decision="drop", drop=gone)
    after_drop = _exported(stamps.name, tmp_path / "drop")
    assert Path(name_of[gone]).name not in after_drop
    assert len(after_drop) == len(before) - 1
    record = wb.load_selection(stamps)
    assert record.excluded[gone] == "manual:removed", "the same edit as sync_hand_edits"
    review = [e for e in record.params["edits"] if e.get("action") == "review"]
    assert review[-1]["decision"] == "drop" and review[-1]["tool"] == "app"
    assert pairs[0] not in wb.review_queue(stamps), "a decided pair leaves the queue"

    # "Not a problem" on a quality flag, through the operator: the image joins the export.
    index = wb.review_queue(stamps).index(flagged[0])
    _run(_uri("review_decision"), stamps, {"index": index, "decision": "not_a_problem"})
    fine = _exported(stamps.name, tmp_path / "fine")
    assert Path(name_of[flagged[0]["a"]]).name in fine
    assert len(fine) == len(after_drop) + 1

    # "Keep both" on a pair whose image was removed by hand in a notebook: it comes back.
    pair = next(p for p in pairs[1:] if gone not in (p["a"], p["b"]))
    stamps.select([pair["a"]]).untag_samples("selected")
    wb.sync_hand_edits(stamps)
    without = _exported(stamps.name, tmp_path / "without")
    assert Path(name_of[pair["a"]]).name not in without
    index = wb.review_queue(stamps).index(pair)
    _panel(stamps, "on_review", index=index, decision="keep_both")
    kept = _exported(stamps.name, tmp_path / "kept")
    assert Path(name_of[pair["a"]]).name in kept
    assert len(kept) == len(without) + 1
    assert pair not in wb.review_queue(stamps), "kept both: decided, off the queue"


def test_export_operator_writes_under_the_export_root(stamps, tmp_path, monkeypatch):
    root = tmp_path / "exports"
    monkeypatch.setenv("WORKBENCH_EXPORTS", str(root))
    wb.select_balanced(stamps, n=20, by="category", config=wb.SelectConfig(seed=1))
    result = _run(_uri("export_selection"), stamps, {"format": "csv", "out": "v1"})
    assert Path(result.result["out"]).resolve() == (root / "v1").resolve()
    assert (root / "v1" / "manifest.csv").exists()


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink", "root"])
def test_export_operator_refuses_a_path_outside_the_export_root(stamps, tmp_path, monkeypatch,
                                                               how):
    from fiftyone.operators.executor import ExecutionError

    root, outside = tmp_path / "exports", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (outside / "keep.txt").write_text("not the workbench's")
    monkeypatch.setenv("WORKBENCH_EXPORTS", str(root))
    wb.select_balanced(stamps, n=20, by="category", config=wb.SelectConfig(seed=1))
    if how == "symlink":
        (root / "link").symlink_to(outside, target_is_directory=True)
    out = {"absolute": str(outside / "x"), "dotdot": "../elsewhere/x",
           "symlink": "link/x", "root": "."}[how]
    with pytest.raises(ExecutionError, match="inside the export root"):
        _run(_uri("export_selection"), stamps, {"format": "csv", "out": out,
                                                "overwrite": True})
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"], "nothing written"
    assert (outside / "keep.txt").read_text() == "not the workbench's", "nothing deleted"
    assert sorted(p.name for p in root.iterdir()) == (["link"] if how == "symlink" else [])


def test_workbench_plugin_install_makes_fiftyone_list_the_plugin(tmp_path):
    folder = tmp_path / "my-plugins"
    proc = run_cli("plugin", "install", "--plugins-dir", str(folder), "--json")
    assert proc.returncode == 0, proc.stderr
    env = {**os.environ, "FIFTYONE_PLUGINS_DIR": str(folder)}
    listed = subprocess.run([str(Path(sys.executable).parent / "fiftyone"), "plugins", "list"],
                            capture_output=True, text=True, env=env, timeout=300, check=False)
    assert listed.returncode == 0, listed.stderr[-2000:]
    line = next((ln for ln in listed.stdout.splitlines() if PLUGIN_NAME in ln), "")
    assert line and str(folder) in line, listed.stdout
    status = run_cli("plugin", "status", "--json", env=env)
    assert status.returncode == 0 and '"registered": true' in status.stdout
    doctor = run_cli("doctor", "--json", env=env)
    assert json.loads(doctor.stdout)["app_plugin"]["registered"] is True
    bare = run_cli("doctor", env={**env, "FIFTYONE_PLUGINS_DIR": str(tmp_path / "none")})
    assert "App plugin: not registered" in bare.stdout and "workbench plugin install" in bare.stdout
    again = run_cli("plugin", "install", "--plugins-dir", str(folder))
    assert again.returncode == 0, "installing twice replaces the link"


def test_the_annotate_operator_records_who_set_the_value(stamps):
    ids = stamps.values("id")[:3]
    result = _run(_uri("annotate"), stamps, {"field": "caption", "value": "a lighthouse",
                                             "annotator": "app-7"}, selected=ids)
    assert result.result["edited"] == 3
    record = wb.annotation_record(stamps.select(ids), "caption")
    assert {(e.annotator, e.tool, e.value) for e in record.edits} == {
        ("app-7", "app", "a lighthouse")}
    assert set(stamps.select(ids).values("caption")) == {"a lighthouse"}
    assert set(stamps.select(ids).values("caption_source")) == {"expert"}
