"""The whole journey on a real collection: Debian's Tux Paint stamps (real clip art with
blank images, grey+alpha and palette PNGs, and recolours of one drawing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.cli import json_out, run_cli

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_workbench_run_on_the_real_corpus(real_corpus, tmp_path, dataset_name):
    pngs = sorted(real_corpus.rglob("*.png"))
    assert len(pngs) > 700
    out = tmp_path / "out"
    proc = run_cli("run", str(real_corpus), "--out", str(out), "--name", dataset_name,
                   "--labels-from-folders", "category", "--license", "GPL-2.0-or-later",
                   "--allow-license", "GPL-2.0-or-later",
                   "--source", "Debian tuxpaint-stamps-default", "--n", "160", "--model",
                   "bundled", "--json", "--no-progress", timeout=1800)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json_out(proc)
    steps = result["steps"]
    print({k: steps["load"][k] for k in ("added", "total")}, steps["embed"],
          {k: steps["select"][k] for k in ("selected", "balance_before", "balance_after")})
    assert steps["load"]["total"] >= len(pngs) - 5
    assert steps["load"]["filled_from_defaults"]["license"] == steps["load"]["added"]
    assert steps["embed"]["failed"] == 0
    groups = {g["value"] for g in steps["gaps"]["groups"]}
    assert len(groups) == 16 and "animals" in groups
    clusters = steps["gaps"]["clusters"]
    clustered = sum(c["size"] for c in clusters if c["cluster"] != -1)
    print(f"clusters: {len(clusters) - 1}, {clustered / steps['load']['total']:.1%} clustered; "
          "names: " + "; ".join(c["name"].split(" · ")[0] for c in clusters))
    assert clustered >= 0.8 * steps["load"]["total"], "at least 80% of items get a cluster"
    assert all(c["name_source"].startswith("text") for c in clusters if c["cluster"] != -1)
    assert steps["gaps"]["label_issues"]["labelled"] == steps["load"]["total"]
    assert steps["quality"]["flagged"]["blank"] >= 1, "the stamps hold blank images"
    select = steps["select"]
    assert select["selected"] == 160 and select["by"] == ["category"]
    assert select["balance_after"] > select["balance_before"]

    kohya = Path(result["outputs"]["export_kohya"])
    subsets = sorted(p.name.split("_", 1)[1] for p in (kohya / "img").iterdir())
    assert subsets == sorted(groups), "one kohya subset per category"
    captions = list((kohya / "img").rglob("*.txt"))
    assert len(captions) == 160 and all(c.read_text().strip() for c in captions)
    card = (kohya / "README.md").read_text()
    assert "GPL-2.0-or-later" in card and "made by the fallback template" in card
