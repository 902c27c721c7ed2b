"""``workbench run`` on any folder: the README's lines as printed, bad --by, missing rights,
and exports that follow the selection."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import workbench as wb
from helpers.cli import json_out, run_cli
from helpers.images import pattern, save

pytestmark = pytest.mark.slow

STYLES = ("kawung", "parang", "truntum")


def _batik(root: Path) -> Path:
    """Three style folders of distinct images, 30/12/6: unbalanced on purpose."""
    for k, (style, count) in enumerate(zip(STYLES, (30, 12, 6))):
        for i in range(count):
            save(pattern(100 * k + i, (96, 80)), root / style / f"{style}_motif-{i:02d}.jpg")
    return root


def _readme_run_lines(repo: Path) -> list[str]:
    text = (repo / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()
            if line.startswith("workbench run ")]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    _batik(home / "pictures" / "batik")
    for i in range(40):  # a flat folder: no sub-folders, no manifest
        save(pattern(500 + i, (96, 80)), home / "pictures" / "flat" / f"motif-{i:02d}.jpg")
    return home


def test_every_readme_run_line_works_as_printed(repo, home):
    lines = _readme_run_lines(repo)
    assert len(lines) >= 2
    env = dict(os.environ, HOME=str(home),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    try:
        for line in lines:
            proc = subprocess.run(["bash", "-c", line + " --no-progress"], cwd=home, env=env,
                                  capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, f"{line}\n{proc.stderr[-4000:]}"
            out = home / line.split("--out ")[1].split()[0]
            assert (out / "coverage.html").exists()
            formats = re.findall(r"--format (\S+)", line) or ["imagefolder", "kohya"]
            for fmt in formats:
                assert (out / f"export-{fmt}" / "README.md").exists(), fmt
                assert (out / f"export-{fmt}" / "MANIFEST.sha256").exists(), fmt
    finally:
        import fiftyone as fo

        for name in ("batik", "flat"):
            if fo.dataset_exists(name):
                fo.delete_dataset(name)
    csv_export = home / "out" / "batik-small" / "export-csv"
    assert len(list((csv_export / "images").iterdir())) == 12


def test_an_unknown_by_field_falls_back_to_clusters_with_a_warning(tmp_path, dataset_name):
    root = _batik(tmp_path / "b")
    proc = run_cli("run", str(root), "--out", str(tmp_path / "out"), "--name", dataset_name,
                   "--labels-from-folders", "style", "--license", "CC0-1.0", "--by", "region_x",
                   "--json", "--no-progress")
    assert proc.returncode == 0, proc.stderr[-4000:]
    warning = next(line for line in proc.stderr.splitlines() if "'region_x'" in line)
    assert "warning: field 'region_x' does not exist" in warning
    assert "fields that can balance a selection: ['style', 'cluster']" in warning
    assert "Balancing across the map's clusters instead" in warning
    assert json_out(proc)["steps"]["select"]["by"] == ["cluster"]


def test_without_rights_the_map_and_report_are_written_then_exit_2(tmp_path, dataset_name):
    root = _batik(tmp_path / "b")
    out = tmp_path / "out"
    proc = run_cli("run", str(root), "--out", str(out), "--name", dataset_name,
                   "--labels-from-folders", "style", "--json", "--no-progress")
    assert proc.returncode == 2, proc.stderr
    payload = json_out(proc)
    assert "--license" in payload["error"] and "workbench manifest init" in payload["error"]
    assert "rights:license_unknown 48" in payload["error"]
    assert Path(payload["outputs"]["coverage_report"]).exists()
    assert payload["steps"]["map"]["samples"] == 48
    assert not list(out.glob("export-*")), "nothing is exported"


def test_kohya_subsets_follow_the_selection_and_empty_captions_get_a_fallback(
        tmp_path, dataset_name):
    root = _batik(tmp_path / "b")
    wb.load(root, name=dataset_name, labels_from_folders="category",
            config=wb.LoadConfig(progress=False, license="CC-BY-4.0"))
    ds = wb.get_dataset(dataset_name)
    wb.embed(ds, config=wb.EmbedConfig(model="bundled", progress=False))
    proc = run_cli("select", dataset_name, "--n", "18", "--by", "category", "--json")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("export", dataset_name, "--format", "kohya", "--out", str(tmp_path / "k"),
                   "--json")
    assert proc.returncode == 0, proc.stderr
    report = json_out(proc)
    assert report["details"]["repeats"] == {"kawung": 1, "parang": 1, "truntum": 1}
    folders = sorted(p.name for p in (tmp_path / "k" / "img").iterdir())
    assert folders == ["1_kawung", "1_parang", "1_truntum"]
    assert report["captions_from_fallback"] == 18
    assert report["caption_issues"]["empty"] == []
    caption = (tmp_path / "k" / "img" / "1_truntum" / "truntum_motif-03.txt").read_text()
    assert caption.strip() == "truntum, truntum motif"
    card = (tmp_path / "k" / "README.md").read_text()
    assert "| kawung |" in card and "(none)" not in card
    assert "18 made by the fallback template" in card
