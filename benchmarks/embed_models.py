"""Embedding through the models layer alone (no FiftyOne), on the device ``auto`` picks.

Usage: python benchmarks/embed_models.py [--n 2000] [--models bundled clip] [--device auto]

This is the check for the CUDA path (fp16 autocast, 64-image batches, decode workers,
pinned memory) and works where FiftyOne is not installed. For each model it prints:

  agreement  cosine similarity between the chosen device's vectors and CPU float32
             vectors of the same 64 images (min and median); on CUDA this measures
             what fp16 autocast changes;
  text       (CLIP) text vectors on the device: unit norm, agreement with CPU;
  sweep      forward throughput by batch size (round-robin, median of 3 rounds);
  (a)        pure forward on preprocessed batches already on the device, best batch;
  (b)        ``embed_items`` end to end at the auto batch size: decode, resize and crop
             (in worker processes where ``auto_num_workers`` starts them), transfer,
             normalise, inference and cache commits; cold cache;
  (d)        a warm-cache re-run of (b).

Each (b) is bracketed by two (a) runs and b/a is the median of the paired ratios, as in
``benchmarks/embed.py``. CLIP runs with random weights (pretrained=None), which cost
the same as the real ones.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _common import machine, make_images


def _build(spec: str, device: str):
    """The embedder for ``spec`` on ``device``, one network per process (the pool)."""
    from workbench.models.choose import build_embedder
    from workbench.models.clip import OpenClipEmbedder
    from workbench.models.pool import shared

    if spec == "clip":
        return shared(OpenClipEmbedder("ViT-B-32", None, device=device))
    return shared(build_embedder(spec, device=device))


def _agreement(spec: str, device: str, paths: list[str]) -> dict:
    """Cosine similarity of device vectors against CPU float32 vectors, same images."""
    import numpy as np

    from workbench.models.runner import embed_items

    items = [(p, f"{i:064x}", p) for i, p in enumerate(paths)]  # no cache: hashes unused
    ref, dev = _build(spec, "cpu"), _build(spec, device)
    r_ref = embed_items(ref, items, None, progress=False)
    r_dev = embed_items(dev, items, None, progress=False)
    keys = [k for k, _, _ in items]
    cos = np.sum(r_ref.matrix(keys) * r_dev.matrix(keys), axis=1)
    out = {"device": dev.device_, "min_cos": float(cos.min()), "median_cos": float(np.median(cos)),
           "unit_norm_err": float(np.abs(np.linalg.norm(r_dev.matrix(keys), axis=1) - 1).max())}
    if dev.has_text:
        texts = ["a photo of blue-printed cloth", "woodblock print", "embroidered textile"]
        t_ref, t_dev = ref.encode_texts(texts), dev.encode_texts(texts)
        out["text_min_cos"] = float(np.sum(t_ref * t_dev, axis=1).min())
        out["text_norm_err"] = float(np.abs(np.linalg.norm(t_dev, axis=1) - 1).max())
    return out


def decode_rate(spec: str, paths: list[str], workers: int) -> float:
    """Images/s of the decode pipeline alone (DataLoader with ``workers``, no model)."""
    from torch.utils.data import DataLoader

    from workbench.models.runner import _collate, _DecodeDataset, _worker_init

    emb = _build(spec, "cpu")
    loader = DataLoader(_DecodeDataset(paths, emb.preprocess.pixels, emb.draft_size),
                        batch_size=64, num_workers=workers, collate_fn=_collate,
                        worker_init_fn=_worker_init if workers else None)
    t = time.perf_counter()
    n = sum(len(idxs) for idxs, _, _ in loader)
    return n / (time.perf_counter() - t)


def bench_model(spec: str, device: str, paths: list[str], repeats: int,
                workers: int | str = "auto", threads: int | str = "auto") -> dict:
    import torch

    from workbench.core.pixels.hashing import sha256_file
    from workbench.core.pixels.images import open_rgb
    from workbench.models.cache import EmbeddingCache
    from workbench.models.parallelism import auto_num_workers, auto_torch_threads
    from workbench.models.runner import embed_items

    embedder = _build(spec, device).load()
    dev = embedder.device_
    pp = embedder.preprocess
    pixels = torch.stack([pp.pixels(open_rgb(p, draft_size=embedder.draft_size).image)
                          for p in paths])
    tensors = pp.normalize(pixels.to(dev))  # (a) starts from batches already on the device
    del pixels

    def sync() -> None:
        if dev.startswith("cuda"):
            torch.cuda.synchronize()

    def forward(bs: int, count: int | None = None) -> float:
        x = tensors[:count] if count else tensors
        sync()
        t = time.perf_counter()
        for i in range(0, len(x), bs):
            embedder.encode_images(x[i:i + bs])  # returns numpy: waits for the device
        return len(x) / (time.perf_counter() - t)

    for _ in range(3):
        embedder.encode_images(tensors[:64])  # warm-up (cuDNN picks its kernels)
    sizes = (8, 16, 32, 64, 128, 256) if dev.startswith("cuda") else (1, 2, 4, 8, 16, 32)
    rounds: dict[int, list[float]] = {bs: [] for bs in sizes}
    for _ in range(3):
        for bs, runs in rounds.items():
            runs.append(forward(bs, 512))
    sweep = {bs: statistics.median(v) for bs, v in rounds.items()}
    best = max(sweep, key=sweep.get)

    items = [(p, sha256_file(p), p) for p in paths]
    auto_batch = embedder.batch_size_for(dev)
    if workers == "auto":
        workers = auto_num_workers(len(items), auto_batch, dev)
    if threads == "auto":
        threads = auto_torch_threads(workers)

    def end_to_end() -> tuple[float, str]:
        cache_dir = tempfile.mkdtemp(prefix="wb-bench-cache-")
        cache = EmbeddingCache.for_embedder(embedder, cache_dir)
        t = time.perf_counter()
        res = embed_items(embedder, items, cache, progress=False, num_workers=workers,
                          torch_threads=threads)
        rate = len(items) / (time.perf_counter() - t)
        assert res.computed == len(items) and not res.failed, res.summary()
        return rate, cache_dir

    a_runs, b_runs = [forward(best)], []
    for _ in range(repeats):
        b, cache_dir = end_to_end()
        b_runs.append(b)
        a_runs.append(forward(best))
    t = time.perf_counter()
    warm = embed_items(embedder, items, EmbeddingCache.for_embedder(embedder, cache_dir),
                       progress=False)
    d = len(items) / (time.perf_counter() - t)
    assert warm.cached == len(items), warm.summary()
    ratios = [bb / ((a_runs[i] + a_runs[i + 1]) / 2) for i, bb in enumerate(b_runs)]
    return {"model": embedder.name, "device": dev, "sweep": sweep, "best": best,
            "auto_batch": auto_batch, "workers": workers, "threads": threads, "a_runs": a_runs, "b_runs": b_runs,
            "ratios": ratios, "a": statistics.median(a_runs), "b": statistics.median(b_runs),
            "d": d}


def _auto_int(text: str) -> int | str:
    return text if text == "auto" else int(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--models", nargs="+", default=["bundled", "clip"])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", default=None, help="folder to cache generated images")
    parser.add_argument("--num-workers", default="auto", type=_auto_int,
                        help="decode workers for (b); default: auto_num_workers")
    parser.add_argument("--torch-threads", default="auto", type=_auto_int,
                        help="inference threads for (b); default: auto_torch_threads")
    parser.add_argument("--decode-sweep", nargs="*", type=int, default=[],
                        help="also time the decode pipeline alone with these worker counts")
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch

    folder = Path(args.images or tempfile.mkdtemp(prefix="wb-bench-embed-"))
    make_images(folder, args.n, size=512, png_every=0)
    paths = sorted(str(p) for p in folder.glob("*.jpg"))[:args.n]
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    print(f"{args.n} generated 512 px JPEGs; {machine()}; torch {torch.__version__}; {gpu}",
          flush=True)
    for spec in args.models:
        agree = _agreement(spec, args.device, paths[:64])
        print(f"\n{spec} on {agree['device']}: cosine with CPU float32 over 64 images: "
              f"min {agree['min_cos']:.5f}, median {agree['median_cos']:.5f}; "
              f"max |norm - 1| {agree['unit_norm_err']:.1e}", flush=True)
        if "text_min_cos" in agree:
            print(f"  text on {agree['device']}: min cosine with CPU {agree['text_min_cos']:.5f}; "
                  f"max |norm - 1| {agree['text_norm_err']:.1e}", flush=True)
        if args.decode_sweep:
            print("  decode pipeline alone, images/s by workers: " + ", ".join(
                f"{w}: {decode_rate(spec, paths, w):.0f}" for w in args.decode_sweep), flush=True)
        r = bench_model(spec, args.device, paths, args.repeats, args.num_workers,
                        args.torch_threads)
        print(f"  {r['model']} on {r['device']}: forward sweep (images/s by batch): "
              + ", ".join(f"{bs}: {v:.0f}" for bs, v in r["sweep"].items()))
        print(f"  (a) at batch {r['best']}; (b) at the auto batch {r['auto_batch']} with "
              f"{r['workers']} decode workers and {r['threads']} inference threads")
        print("  runs (a): " + ", ".join(f"{v:.0f}" for v in r["a_runs"])
              + "   (b): " + ", ".join(f"{v:.0f}" for v in r["b_runs"])
              + "   b/a per run: " + ", ".join(f"{v:.2f}" for v in r["ratios"]))
        print(f"  (a) {r['a']:.0f}/s   (b) {r['b']:.0f}/s   (d) {r['d']:.0f}/s   "
              f"b/a = {statistics.median(r['ratios']):.2f}   d/b = {r['d'] / r['b']:.0f}x",
              flush=True)


if __name__ == "__main__":
    main()
