"""Quality checks on a dataset: scored at load, judged against the collection, shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

import workbench as wb
from helpers.cli import json_out, run_cli
from helpers.images import save


def drawing(seed: int, size: tuple[int, int] = (160, 128)) -> Image.Image:
    """Clip-art-like: outlined coloured shapes on white."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for _ in range(4):
        x0, y0 = rng.integers(5, size[0] // 2), rng.integers(5, size[1] // 2)
        x1, y1 = x0 + rng.integers(20, size[0] // 2), y0 + rng.integers(20, size[1] // 2)
        fill = tuple(int(v) for v in rng.integers(0, 255, 3))
        draw.ellipse((x0, y0, x1, y1), fill=fill, outline="black", width=2)
    return img


def _collection(root: Path) -> Path:
    """Sixty ordinary drawings, and one blank, one darkened and one blurred."""
    for i in range(60):
        save(drawing(i), root / f"ok-{i:02d}.png")
    save(Image.new("RGBA", (160, 128), (0, 0, 0, 0)), root / "transparent.png")
    dark = (np.asarray(drawing(100), dtype=np.float32) * 0.25).astype(np.uint8)
    save(Image.fromarray(dark), root / "dark.png")
    save(drawing(101).filter(ImageFilter.GaussianBlur(3)), root / "blurred.png")
    return root


def test_load_scores_quality_and_the_cli_reports_it(tmp_path, dataset_name):
    root = _collection(tmp_path / "col")
    report = wb.load(root, name=dataset_name, config=wb.LoadConfig(progress=False))
    assert report.quality["blank"] >= 1 and report.quality["dark"] >= 1
    assert "quality flags" in report.summary()
    ds = wb.get_dataset(dataset_name)
    issues = {Path(s.filepath).name: s.quality_issues or [] for s in ds}
    assert "blank" in issues["transparent.png"] and "dark" in issues["dark.png"]
    assert "blurry" in issues["blurred.png"]
    assert sum(1 for name, found in issues.items() if name.startswith("ok-")
               and set(found) & {"blank", "dark", "washed_out", "blurry"}) <= 2

    proc = run_cli("quality", dataset_name, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json_out(proc)
    assert out["checked"] == 63 and out["flagged"]["blank"] >= 1
    blank = [item for item in out["items"] if "blank" in item["issues"]]
    assert [Path(item["path"]).name for item in blank] == ["transparent.png"]
    assert set(blank[0]["scores"]) >= {"content", "sharpness"}
    assert blank[0]["flags"][0]["threshold"] is not None and blank[0]["flags"][0]["basis"]


def test_quality_of_images_loaded_without_scores_is_computed_on_demand(tmp_path,
                                                                      dataset_name):
    root = _collection(tmp_path / "col")
    wb.load(root, name=dataset_name, config=wb.LoadConfig(progress=False))
    ds = wb.get_dataset(dataset_name)
    ds.set_values("quality_scores", [None] * len(ds))  # as a dataset from an older version
    report = wb.check_quality(ds)
    assert "blank" in report.result.issues[report.result.ids.index(
        ds.match({"filepath": str(root / "transparent.png")}).first().id)]
    assert all(ds.values("quality_scores"))
    assert report.flagged("dark") == [str(root / "dark.png")]


def test_selection_leaves_flagged_images_out_unless_asked(tmp_path, dataset_name):
    root = _collection(tmp_path / "col")
    wb.load(root, name=dataset_name, config=wb.LoadConfig(progress=False, license="CC0-1.0"))
    ds = wb.get_dataset(dataset_name)
    # The colour signature that near-duplicate judging needs is stored by the load.
    signatures = ds.values("color_signature")
    assert all(sig is not None and len(sig) == len(signatures[0]) > 0 for sig in signatures)
    wb.embed(ds, config=wb.EmbedConfig(progress=False))
    flagged = {"transparent.png", "dark.png", "blurred.png"}

    def chosen(n: int, *options: str) -> tuple[set[str], dict]:
        proc = run_cli("select", dataset_name, "--n", str(n), "--by", "filepath", "--tag",
                       "picked", "--no-dedup", "--json", *options)
        assert proc.returncode == 0, proc.stderr
        names = {Path(p).name for p in wb.get_dataset(dataset_name).match_tags("picked")
                 .values("filepath")}
        return names, json_out(proc)

    names, out = chosen(60)
    assert not names & flagged
    assert sum(v for k, v in out["excluded"].items() if k.startswith("quality:")) >= 3
    assert isinstance(out["review_pairs"], list)
    names, out = chosen(63, "--keep-quality-flagged")
    assert flagged <= names
    assert not any(k.startswith("quality:") for k in out["excluded"])
    # The Python API has the same default as the command line.
    sel = wb.select_balanced(ds, 63, by="filepath",
                             config=wb.SelectConfig(allow_fewer=True))
    kept = {Path(p).name for p in ds.select(sel.ids).values("filepath")}
    assert not kept & flagged
