"""The export of a person's caption, balancing by repeats, and the bucket preview, on a
dataset: the expert caption wins and its source travels with each image; repeats keep every
eligible image; ``workbench buckets`` previews kohya's buckets."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
import tomllib
from helpers.cli import json_out

import workbench as wb
from workbench.exporters.kohya import effective_shares


@pytest.fixture(scope="module")
def selected(sample_workspace):
    ds, _ = sample_workspace
    sel = wb.select_balanced(ds, 30, by="style", config=wb.SelectConfig(seed=3), tag="annot")
    return ds, sel


def _mark_expert(ds, sid: str, caption: str) -> None:
    sample = ds[sid]
    sample["caption"] = caption
    sample["caption_source"] = "expert"
    sample.save()


def test_export_uses_the_expert_caption_and_records_its_source(selected, tmp_path):
    ds, sel = selected
    sid = sel.ids[0]
    _mark_expert(ds, sid, "a hand-checked caption of the motif")
    config = wb.ExportConfig(captions=wb.CaptionConfig(trigger="plwb", tokenizer=None,
                                                       prefer_sample_caption=False))
    rep = wb.export(ds, format="imagefolder", out=tmp_path / "hf", tag="annot", config=config)
    rows = [json.loads(line) for line in
            (tmp_path / "hf" / "train" / "metadata.jsonl").read_text().splitlines()]
    by_id = {r["sample_id"]: r for r in rows}
    assert by_id[sid]["text"] == "plwb, a hand-checked caption of the motif"
    assert by_id[sid]["caption_source"] == "expert"
    others = [r for r in rows if r["sample_id"] != sid]
    assert others and {r["caption_source"] for r in others} <= {"template", "manifest"}
    assert all(r["text"].endswith(".") for r in others if r["caption_source"] == "template")
    with open(tmp_path / "hf" / "CREDITS.csv", newline="", encoding="utf-8") as fh:
        credits = {row["file"]: row for row in csv.DictReader(fh)}
    assert credits[f"train/{by_id[sid]['file_name']}"]["caption_source"] == "expert"
    assert rep.details["caption_sources"]["expert"] == 1

    card = (tmp_path / "hf" / "README.md").read_text()
    front = card.split("---")[1]
    assert "annotations_creators:" in front and "- expert-generated" in front
    assert "task_categories:\n- text-to-image" in front and "size_categories:" in front
    assert "source_datasets:" in front
    assert "## Annotations" in card and "1 of 30 captions were written or checked" in card

    # kohya: tag captions, the expert's words after the trigger
    rep = wb.export(ds, format="kohya", out=tmp_path / "k", tag="annot", config=config)
    txt = next(p for p in (tmp_path / "k" / "img").rglob("*.txt")
               if "hand-checked" in p.read_text())
    assert txt.read_text().splitlines()[0] == "plwb, a hand-checked caption of the motif"


def test_balance_by_repeats_keeps_every_eligible_image(selected, tmp_path, cli, monkeypatch):
    ds, sel = selected
    balance_only = [i for i, r in sel.excluded.items() if r in ("group_cap", "group_quota")]
    assert balance_only, "the selection must have left images out to balance"
    proc = cli("export", ds.name, "--tag", "annot", "--format", "kohya", "--out",
               str(tmp_path / "k"), "--balance", "repeats", "--trigger", "plwb", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json_out(proc)
    assert out["images"] == len(sel) + len(balance_only)
    root = Path(out["out"])
    toml = tomllib.loads((root / "dataset_config.toml").read_text())
    assert toml["general"]["caption_extension"] == ".txt" and toml["general"]["keep_tokens"] == 1
    counts, reps = {}, {}
    for s in toml["datasets"][0]["subsets"]:
        folder = root / s["image_dir"]
        counts[folder.name] = sum(1 for p in folder.iterdir() if p.suffix != ".txt")
        reps[folder.name] = s["num_repeats"]
        for txt in folder.glob("*.txt"):
            assert txt.read_text().split(", ")[0] == "plwb"
    shares = effective_shares(counts, reps)
    target = 1 / len(counts)
    assert all(abs(v - target) <= 0.1 * target for v in shares.values()), (counts, reps)
    card = (root / "README.md").read_text()
    assert "Balanced by repeats" in card and "effective share" in card

    bad = cli("export", ds.name, "--tag", "annot", "--format", "imagefolder", "--out",
              str(tmp_path / "h"), "--balance", "repeats", "--json")
    assert bad.returncode == 2 and "format='kohya'" in json_out(bad)["error"]


def test_buckets_cli_and_api_agree(selected, cli, tmp_path):
    ds, sel = selected
    proc = cli("buckets", ds.name, "--tag", "annot", "--resolution", "512", "--max-reso",
               "1024", "--json", "--html", str(tmp_path / "b.html"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json_out(proc)
    assert out["images"] == len(sel) and sum(b["images"] for b in out["buckets"]) == len(sel)
    assert {"bucket", "scale", "cut"} <= set(out["placements"][0])
    assert (tmp_path / "b.html").read_text().count("data:image/") >= 2
    api = wb.buckets(ds, tag="annot", resolution=512, max_reso=1024)
    assert api.buckets.to_dict(orient="records") == out["buckets"]
    assert "buckets at resolution 512" in api.summary()
    sizes = Counter(zip(*ds.match_tags("annot").values(["width", "height"])))
    assert sum(sizes.values()) == len(sel)
    no_up = wb.buckets(ds, tag="annot", no_upscale=True)
    assert (no_up.table["scale"] <= 1).all()  # never enlarged
    bad = cli("buckets", ds.name, "--tag", "nope", "--json")
    assert bad.returncode == 2 and "nope" in json_out(bad)["error"]
    bad = cli("buckets", ds.name, "--tag", "annot", "--resolution", "4096", "--json")
    assert bad.returncode == 2 and "resolution" in json_out(bad)["error"]
