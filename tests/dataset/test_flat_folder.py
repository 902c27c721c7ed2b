"""A flat folder without labels: the map's clusters are the groups, everywhere.

A newcomer's first command is ``workbench run DIR --out OUT`` on a folder of images with
no sub-folders and no manifest. Built from real stamps (48 of them, three from each of the
16 categories, copied side by side into one folder), so the clusters are real ones.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tomllib
from helpers.cli import json_out, run_cli

import workbench as wb

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def flat_folder(real_items, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("flat")
    taken: dict[str, int] = {}
    for item in real_items:
        if taken.get(item.category, 0) < 3:
            taken[item.category] = taken.get(item.category, 0) + 1
            shutil.copy(item.path, root / f"{item.category}-{Path(item.path).name}")
    assert len(list(root.iterdir())) == 48 and not [p for p in root.iterdir() if p.is_dir()]
    return root


def test_run_on_a_flat_folder_with_a_licence_balances_across_named_clusters(
        flat_folder, tmp_path, dataset_name):
    out = tmp_path / "out"
    proc = run_cli("run", str(flat_folder), "--out", str(out), "--name", dataset_name,
                   "--license", "CC0-1.0", "--n", "24", "--model", "bundled", "--json",
                   "--no-progress")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "balancing across the map's clusters, a proxy for styles" in proc.stderr
    result = json_out(proc)
    steps = result["steps"]
    assert steps["load"]["by"] == "cluster" and steps["select"]["by"] == ["cluster"]
    names = {c["name"] for c in steps["gaps"]["clusters"] if c["cluster"] != -1}
    assert len(names) >= 2
    groups = {g["value"] for g in steps["gaps"]["groups"]}
    assert groups - {"(missing)"} <= names | {"(missing)"} and len(groups) >= 2, \
        "representation is told by cluster name"
    assert "label_issues" not in steps["gaps"]
    assert "no label to check" in steps["gaps"]["label_issues_note"]
    report = Path(result["outputs"]["coverage_report"]).read_text(encoding="utf-8")
    assert "Atlas: before / after selection" in report, "the report shows both atlases"
    assert report.count('alt="atlas of the') == 2
    for fmt in ("imagefolder", "kohya"):
        assert (out / f"export-{fmt}" / "README.md").exists(), fmt
    selected_groups = {c["group"] for c in steps["select"]["counts"] if c["after"] > 0}
    toml = tomllib.loads((out / "export-kohya" / "dataset_config.toml").read_text())
    subsets = [s for d in toml["datasets"] for s in d["subsets"]]
    assert len(subsets) == len(selected_groups) >= 2, "one kohya subset per selected cluster"
    folders = {Path(s["image_dir"]).name.split("_", 1)[1] for s in subsets}
    assert len(folders) == len(subsets)
    assert "oldest supported major version" not in proc.stderr
    print(f"\nflat folder: {len(names)} clusters, {len(subsets)} kohya subsets: {sorted(folders)}")


def test_run_on_a_flat_folder_without_a_licence_writes_the_map_then_exits_2(
        flat_folder, tmp_path, dataset_name):
    out = tmp_path / "out"
    proc = run_cli("run", str(flat_folder), "--out", str(out), "--name", dataset_name,
                   "--model", "bundled", "--json", "--no-progress")
    assert proc.returncode == 2, proc.stderr[-4000:]
    payload = json_out(proc)
    assert "--license" in payload["error"]
    assert Path(payload["outputs"]["coverage_report"]).exists()
    assert payload["steps"]["map"]["samples"] == 48
    assert not list(out.glob("export-*"))


def test_api_and_cli_group_by_clusters_and_refuse_a_field_that_cannot_balance(
        flat_folder, dataset_name):
    wb.load(flat_folder, name=dataset_name,
            config=wb.LoadConfig(progress=False, license="CC0-1.0"))
    ds = wb.get_dataset(dataset_name)
    wb.embed(ds, config=wb.EmbedConfig(model="bundled", progress=False))
    lines: list[str] = []
    sel = wb.select_balanced(ds, 16, echo=lines.append)
    assert sel.params["by"] == ["cluster"]
    assert lines and "proxy for styles" in lines[0] and lines[0] in sel.summary()
    names = set(wb.find_clusters(ds).names().values())
    assert set(sel.groups.values()) <= names | {"(missing)"}
    gaps = wb.find_gaps(ds)
    assert gaps.by == "cluster" and gaps.label_issues is None and "no label" in gaps.label_note
    assert any("proxy for styles" in n for n in gaps.representation.notes)

    for command in (["select", dataset_name, "--n", "10", "--by", "license"],
                    ["gaps", dataset_name, "--by", "style"]):
        proc = run_cli(*command, "--json")
        assert proc.returncode == 2, proc.stderr
        assert "fields that can balance a selection: ['cluster']" in proc.stderr, proc.stderr
    proc = run_cli("select", dataset_name, "--n", "10", "--by", "license", "--json")
    assert "field 'license' has 1 distinct value" in proc.stderr
