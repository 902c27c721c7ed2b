"""Near-duplicate removal per folder of the real corpus: how many distinct files survive.

Usage: .venv/bin/python benchmarks/dedup_folders.py [--depth 1]

The 796 Tux Paint stamps (``scripts/real_corpus.py``) are recorded as the loader records
them (``open_rgb`` at ``INSPECT_SIZE``, ``imagehash.phash``, ``color_signature``, the
bundled model's embeddings, cached under the benchmark data folder) and deduplicated
with ``DedupConfig()`` as ``select`` does: exact copies (same bytes) collapse, near
duplicates are judged by the rule, then compared on their files (the local check).

For each folder (category, or sub-folder with ``--depth 2``) it prints the files, the
distinct files (distinct bytes), how many of those survive with the local check and
without it, and the drop. A drop above 20% is listed with the pairs that caused it.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from _common import bench_data_dir, machine, real_corpus


def records(corpus: Path) -> tuple[pd.DataFrame, np.ndarray]:
    import imagehash

    from workbench.core.intake.inspect import INSPECT_SIZE
    from workbench.core.pixels.color import color_signature
    from workbench.core.pixels.images import open_rgb
    from workbench.models import EfficientNetLite0, EmbeddingCache, embed_items

    paths = sorted(corpus.rglob("*.png"))
    rows = []
    for p in paths:
        img = open_rgb(p, draft_size=INSPECT_SIZE).image
        rows.append({"id": str(len(rows)), "filepath": str(p),
                     "folder": p.relative_to(corpus).parts,
                     "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                     "phash": str(imagehash.phash(img)), "color_signature": color_signature(img),
                     "width": img.width, "height": img.height})
    frame = pd.DataFrame(rows)
    embedder = EfficientNetLite0(device="cpu")
    cache = EmbeddingCache.for_embedder(embedder, bench_data_dir() / "embedding-cache")
    result = embed_items(embedder, [(k, r["sha256"], r["filepath"]) for k, r in frame.iterrows()],
                         cache, progress=False)
    return frame, result.matrix(list(range(len(frame))))


def main() -> None:
    from workbench.core.dedup.candidates import (
        DedupConfig,
        near_duplicate_pairs,
        resolve_duplicates,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=1,
                        help="folder depth that names a group (1: the 16 categories)")
    args = parser.parse_args()
    corpus = real_corpus()
    frame, x = records(corpus)
    frame["group"] = ["/".join(parts[:min(args.depth, len(parts) - 1)]) or "."
                      for parts in frame["folder"]]
    start = time.perf_counter()
    blind = near_duplicate_pairs(frame.drop(columns="filepath"), x, DedupConfig())
    rule_s = time.perf_counter() - start
    start = time.perf_counter()
    pairs = near_duplicate_pairs(frame, x, DedupConfig())
    local_s = time.perf_counter() - start
    checked = int(pairs["local"].notna().sum())
    print(f"machine: {machine()}\n{len(frame)} stamps; near_duplicate_pairs {rule_s:.1f} s "
          f"without the local check, {local_s:.1f} s with it ({checked} pairs compared on "
          f"their files, {1000 * (local_s - rule_s) / max(checked, 1):.0f} ms per pair); "
          f"verdicts with it: {dict(Counter(pairs['verdict']))}")
    distinct = ~frame["sha256"].duplicated()
    kept = {}
    for name, found in (("local", pairs), ("rule", blind)):
        keeper, _ = resolve_duplicates(frame, x, DedupConfig(), pairs=found)
        kept[name] = pd.Series(keeper == np.arange(len(frame)))
    table = pd.DataFrame({"files": frame.groupby("group").size(),
                          "distinct": distinct.groupby(frame["group"]).sum(),
                          "kept": kept["local"].groupby(frame["group"]).sum(),
                          "kept_rule_only": kept["rule"].groupby(frame["group"]).sum()})
    table["drop"] = 1 - table["kept"] / table["distinct"]
    table["drop_rule_only"] = 1 - table["kept_rule_only"] / table["distinct"]
    total = table[["files", "distinct", "kept", "kept_rule_only"]].sum()
    print(table.to_string(formatters={"drop": "{:.1%}".format,
                                      "drop_rule_only": "{:.1%}".format}))
    print(f"all: {total['files']} files, {total['distinct']} distinct, {total['kept']} kept "
          f"({1 - total['kept'] / total['distinct']:.1%} dropped; without the local check "
          f"{total['kept_rule_only']}, {1 - total['kept_rule_only'] / total['distinct']:.1%})")
    dup = pairs[pairs["verdict"] == "duplicate"]
    for group in table.index[table["drop"] > 0.20]:
        mine = dup[frame["group"].to_numpy()[dup["i"]] == group]
        print(f"\n{group}: {len(mine)} duplicate pairs, e.g.")
        for r in mine.head(8).itertuples(index=False):
            a, b = (Path(frame["filepath"][k]).relative_to(corpus) for k in (r.i, r.j))
            print(f"  {a} ~ {b}: {r.why}")


if __name__ == "__main__":
    main()
