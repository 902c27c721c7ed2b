"""Balancing by repeats on the real corpus: Debian's Tux Paint stamps, whose 16 categories
are very uneven (3 to 247 stamps). A subset keeps it fast: the first 20 stamps of each
category (by path), 243 in all, with their folders as labels."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tomllib
from helpers.cli import json_out, run_cli

from workbench.exporters.kohya import effective_shares

pytestmark = [pytest.mark.realdata]


def _subset(corpus: Path, dest: Path, per_category: int = 20) -> dict[str, int]:
    counts = {}
    for category in sorted(p for p in corpus.iterdir() if p.is_dir()):
        pngs = sorted(category.rglob("*.png"))[:per_category]
        for png in pngs:
            target = dest / png.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, target)
        counts[category.name] = len(pngs)
    return counts


def test_repeats_meet_even_shares_on_the_real_corpus(real_corpus, tmp_path, dataset_name):
    counts = _subset(real_corpus, tmp_path / "stamps")
    assert len(counts) == 16 and min(counts.values()) < 5 and max(counts.values()) == 20
    run_cli("load", str(tmp_path / "stamps"), "--name", dataset_name, "--labels-from-folders",
            "category", "--license", "GPL-2.0-or-later", "--no-progress", "--json", check=True)
    sel = json_out(run_cli("select", dataset_name, "--n", "80", "--by", "category",
                           "--no-dedup", "--allow-license", "GPL-2.0-or-later", "--json",
                           check=True))
    balance_only = sum(v for k, v in sel["excluded"].items() if k in ("group_cap", "group_quota"))
    assert balance_only > 0
    proc = run_cli("export", dataset_name, "--format", "kohya", "--out", str(tmp_path / "k"),
                   "--balance", "repeats", "--trigger", "tuxstamp", "--json", check=True)
    out = json_out(proc)
    assert out["images"] == sel["selected"] + balance_only, "every eligible image is kept"

    root = Path(out["out"])
    toml = tomllib.loads((root / "dataset_config.toml").read_text(encoding="utf-8"))
    assert toml["general"]["caption_extension"] == ".txt"
    assert toml["general"]["shuffle_caption"] is True and toml["general"]["keep_tokens"] == 1
    images, repeats = {}, {}
    for subset in toml["datasets"][0]["subsets"]:
        folder = root / subset["image_dir"]
        group = subset["class_tokens"].removeprefix("tuxstamp ")
        images[group] = sum(1 for p in folder.iterdir() if p.suffix.lower() == ".png")
        repeats[group] = subset["num_repeats"]
        for txt in folder.glob("*.txt"):
            first = txt.read_text(encoding="utf-8").splitlines()[0]
            assert first.split(", ")[0] == "tuxstamp", (txt, first)
    shares = effective_shares(images, repeats)
    target = 1 / len(images)
    worst = max(abs(s - target) / target for s in shares.values())
    print(f"{len(images)} groups, {sum(images.values())} images, images {images}, "
          f"repeats {repeats}, worst share miss {worst:.1%}")
    assert len(images) == 16 and worst <= 0.10
    card = (root / "README.md").read_text(encoding="utf-8")
    assert "Balanced by repeats" in card and "effective share" in card
