"""Embedding throughput, side by side in one run, for the bundled model and CLIP.

Usage: .venv/bin/python benchmarks/embed.py [--n 2000] [--models bundled clip]
                                            [--sets generated real] [--repeats 3]

Image sets (``--sets``): ``generated``, ``--n`` generated 512 px JPEGs; ``real``, the
real corpus (Debian's Tux Paint stamps: 796 clip-art PNGs, mostly RGBA, palette or
grey+alpha, median about 130 x 130 px; ``scripts/real_corpus.py`` fetches it). For
each set and model it prints, on the same images:
  (a)  pure forward throughput on preloaded, normalised tensors at the batch size a
       round-robin sweep finds fastest (the limit of the network alone);
  (a') 1 / (decode-and-preprocess time per image + forward time per image), both timed
       in the same run on the same images: decoding is ``open_rgb(path,
       draft_size=embedder.draft_size)`` + ``preprocess.pixels`` + ``normalize`` per
       batch, forward is the network at the batch size (b) uses. It is what decoding
       and inference cost one after the other, with nothing else;
  (b)  workbench end to end: wb.embed on a FiftyOne dataset (decode, preprocess,
       inference, cache and FiftyOne writes), cold cache;
  (a) and (a') are measured together and alternate with (b) on a shared machine whose
       speed drifts by half within minutes: A b A b ... A (--repeats runs of b, one
       more of A); each (b) is compared with the mean of the runs just before and after
       it, and b/a' (and b/a) is the median of those paired ratios;
  (c)  FiftyOne's own compute_embeddings with the same network wrapped as a FiftyOne
       model, at (b)'s batch size;
  (d)  a warm-cache re-run of (b).
Images that share a content hash are embedded once, so (a), (a'), (b) and (d) count
distinct images; (c) counts samples (FiftyOne embeds duplicates again). Targets: b/a' >= 0.9, b/c >= 1.0, d at least 50x faster than b. b/a is printed
for comparison with earlier figures (its old target was 0.85).
CLIP runs with random weights (pretrained=None): the same network and cost as the real
weights, which cannot be downloaded here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _common import isolate_fiftyone, machine, make_images, real_corpus

SETS = {"generated": "generated 512 px JPEGs", "real": "real corpus PNGs (Tux Paint stamps)"}


def _fo_model(embedder):
    """The embedder as a FiftyOne model, for fiftyone's own compute_embeddings."""
    import fiftyone.core.models as fom
    import numpy as np
    from PIL import Image

    class Wrapped(fom.Model, fom.EmbeddingsMixin):
        media_type = "image"

        @property
        def has_embeddings(self):
            return True

        @property
        def ragged_batches(self):
            return False

        @property
        def transforms(self):
            return None

        @property
        def preprocess(self):
            return False

        @preprocess.setter
        def preprocess(self, value):
            pass

        def _pil(self, arg):
            return arg if isinstance(arg, Image.Image) else Image.fromarray(np.asarray(arg))

        def embed(self, arg):
            return embedder.encode_pil([self._pil(arg).convert("RGB")])[0]

        def embed_all(self, args):
            return embedder.encode_pil([self._pil(a).convert("RGB") for a in args])

        def predict(self, arg):
            raise NotImplementedError

        def predict_all(self, args):
            raise NotImplementedError

    return Wrapped()


def bench_model(spec: str, ds, paths: list[str], batch_size: int | None, repeats: int) -> dict:
    """Every measurement for one model on dataset ``ds``, whose distinct images are ``paths``."""
    import torch

    import workbench as wb
    from workbench.core.pixels.images import open_rgb
    from workbench.models.choose import build_embedder
    from workbench.models.clip import OpenClipEmbedder
    from workbench.models.pool import shared

    # One network for every measurement: wb.embed finds this instance in the pool.
    embedder = shared(build_embedder(spec) if spec != "clip" else OpenClipEmbedder("ViT-B-32", None))
    embedder.load()
    pp = embedder.preprocess
    auto_batch = embedder.batch_size_for(embedder.device_)
    run_batch = auto_batch if batch_size is None else batch_size

    def decode() -> tuple[list, float]:
        """Decode and preprocess every image in (b)'s batches, as (b) does in process."""
        t = time.perf_counter()
        batches = []
        for i in range(0, len(paths), run_batch):
            pixels = [pp.pixels(open_rgb(p, draft_size=embedder.draft_size).image)
                      for p in paths[i:i + run_batch]]
            batches.append(pp.normalize(torch.stack(pixels)))
        return batches, time.perf_counter() - t

    def forward(batches: list) -> float:
        t = time.perf_counter()
        for x in batches:
            embedder.encode_images(x)
        return time.perf_counter() - t

    def rebatch(batches: list, bs: int, count: int | None = None) -> list:
        x = torch.cat(batches)[:count]
        return [x[i:i + bs] for i in range(0, len(x), bs)]

    first, _ = decode()
    embedder.encode_images(first[0])  # warm-up
    # Round-robin over batch sizes, 3 rounds, medians: slow drift does not pick the winner.
    rounds: dict[int, list[float]] = {bs: [] for bs in (1, 2, 4, 8, 16, 32)}
    for _ in range(3):
        for bs in rounds:
            sample = rebatch(first, bs, 128)
            rounds[bs].append(sum(len(x) for x in sample) / forward(sample))
    sweep = {bs: statistics.median(v) for bs, v in rounds.items()}
    best_batch = max(sweep, key=sweep.get)
    del first

    def limits() -> dict:
        """(a) and (a') on freshly decoded images: the A of the A b A b ... A schedule."""
        batches, t_decode = decode()
        t_forward = forward(batches)
        t_best = t_forward if best_batch == run_batch else forward(rebatch(batches, best_batch))
        n = len(paths)
        return {"a": n / t_best, "a_prime": n / (t_decode + t_forward),
                "decode_ms": 1000 * t_decode / n, "forward_ms": 1000 * t_forward / n}

    def end_to_end() -> tuple[float, wb.EmbedConfig]:
        """A cold run: new cache, no stored vectors."""
        for f in (embedder.field_name, f"{embedder.field_name}_norm"):
            if ds.has_sample_field(f):
                ds.clear_sample_field(f)
        config = wb.EmbedConfig(model="bundled", progress=False, batch_size=run_batch,
                                cache_dir=tempfile.mkdtemp(prefix="wb-bench-cache-"))
        t = time.perf_counter()
        rep = wb.embed(ds, config=config)
        seconds = time.perf_counter() - t
        if rep.failed or rep.computed + rep.cached != len(ds):
            raise RuntimeError(f"wb.embed did not embed every image: {rep.summary()}")
        return len(paths) / seconds, config

    # wb.embed resolves "bundled"; for CLIP it gets the random-weight network instead.
    from workbench.models import choose

    resolve = choose.resolve_embedder
    if spec == "clip":
        choose.resolve_embedder = lambda *_a, **_k: (embedder, "benchmark: CLIP random weights")
    try:
        # The machine is shared and drifts: bracket every (b) between two A runs.
        a_runs, b_runs, loads = [limits()], [], []
        for _ in range(repeats):
            b, config = end_to_end()
            b_runs.append(b)
            loads.append(os.getloadavg()[0])  # other jobs on the machine show up here
            a_runs.append(limits())
        t = time.perf_counter()
        warm = wb.embed(ds, config=config)
        d = len(paths) / (time.perf_counter() - t)
    finally:
        choose.resolve_embedder = resolve
    if warm.cached != len(ds):
        raise RuntimeError(f"the warm re-run computed images again: {warm.summary()}")

    model = _fo_model(embedder)
    t = time.perf_counter()
    ds.compute_embeddings(model, embeddings_field="fo_embedding", batch_size=run_batch,
                          progress=False)
    c = len(ds) / (time.perf_counter() - t)  # FiftyOne embeds every sample, duplicates too

    def paired(key: str) -> list[float]:
        return [bb / ((a_runs[i][key] + a_runs[i + 1][key]) / 2) for i, bb in enumerate(b_runs)]

    def med(key: str) -> float:
        return statistics.median(r[key] for r in a_runs)

    return {"model": embedder.name, "a": med("a"), "a_prime": med("a_prime"),
            "decode_ms": med("decode_ms"), "forward_ms": med("forward_ms"),
            "b": statistics.median(b_runs), "c": c, "d": d,
            "ratios_a": paired("a"), "ratios_a_prime": paired("a_prime"),
            "a_runs": a_runs, "b_runs": b_runs, "loads": loads, "sweep": sweep, "best_batch": best_batch,
            "run_batch": run_batch}


def image_set(kind: str, n: int, images: str | None):
    """The dataset for one image set, and one path per distinct image in it."""
    import fiftyone as fo

    import workbench as wb

    if kind == "generated":
        folder = Path(images) if images else Path(tempfile.mkdtemp(prefix="wb-bench-embed-"))
        # A folder of its own, so that a cache folder holding more images is not all loaded.
        source = Path(tempfile.mkdtemp(prefix="wb-bench-embed-src-"))
        for p in make_images(folder, n, size=512, png_every=0):
            os.symlink(p.resolve(), source / p.name)
    else:
        source = real_corpus()
    name = f"bench-embed-{kind}"
    if fo.dataset_exists(name):
        fo.delete_dataset(name)
    report = wb.load(source, name=name, config=wb.LoadConfig(progress=False))
    ds = wb.get_dataset(name)
    by_sha = dict(zip(*ds.values(["sha256", "filepath"])))
    print(f"\n{SETS[kind]}: {report.total} images loaded from {source}, "
          f"{len(by_sha)} distinct; {machine()}", flush=True)
    return ds, sorted(by_sha.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="generated images")
    parser.add_argument("--models", nargs="+", default=["bundled", "clip"])
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=["generated"],
                        help="image sets to run on (default: generated)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="batch for (b), (c) and (a')'s forward; default: the model's auto "
                             "batch size")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", default=None, help="folder to cache generated images")
    args = parser.parse_args()
    isolate_fiftyone()
    os.environ["HF_HUB_OFFLINE"] = "1"
    for kind in args.sets:
        ds, paths = image_set(kind, args.n, args.images)
        for spec in args.models:
            r = bench_model(spec, ds, paths, args.batch_size, args.repeats)
            a_runs = r["a_runs"]
            print(f"\n{r['model']} on {len(paths)} {SETS[kind]}: {args.repeats} runs of (b), "
                  "each between two runs of (a) and (a')")
            print("  forward sweep (images/s by batch, median of 3 rounds of 128 images): "
                  + ", ".join(f"{bs}: {v:.1f}" for bs, v in r["sweep"].items()))
            print(f"  (a) at batch {r['best_batch']} (fastest in the sweep); (a') forward, "
                  f"(b) and (c) at batch {r['run_batch']}")
            print("  runs (a): " + ", ".join(f"{x['a']:.1f}" for x in a_runs)
                  + "   (a'): " + ", ".join(f"{x['a_prime']:.1f}" for x in a_runs)
                  + "   (b): " + ", ".join(f"{v:.1f}" for v in r["b_runs"])
                  + "   load average after each (b): " + ", ".join(f"{v:.1f}" for v in r["loads"]))
            print("  (a') per image, ms: decode+preprocess "
                  + ", ".join(f"{x['decode_ms']:.2f}" for x in a_runs) + "; forward "
                  + ", ".join(f"{x['forward_ms']:.2f}" for x in a_runs))
            print("  b/a' per (b) run: " + ", ".join(f"{v:.2f}" for v in r["ratios_a_prime"])
                  + "   b/a per (b) run: " + ", ".join(f"{v:.2f}" for v in r["ratios_a"]))
            print(f"  (a)  pure forward, preloaded tensors : {r['a']:7.1f} images/s")
            print(f"  (a') decode + forward, one by one    : {r['a_prime']:7.1f} images/s "
                  f"({r['decode_ms']:.2f} + {r['forward_ms']:.2f} ms per image)")
            print(f"  (b)  workbench end to end (cold)     : {r['b']:7.1f} images/s")
            print(f"  (c)  FiftyOne compute_embeddings     : {r['c']:7.1f} images/s")
            print(f"  (d)  workbench warm-cache re-run     : {r['d']:7.1f} images/s")
            print(f"  b/a' = {statistics.median(r['ratios_a_prime']):.2f} (median paired ratio; "
                  f"target >= 0.9; ratio of the medians {r['b'] / r['a_prime']:.2f})   "
                  f"b/a = {statistics.median(r['ratios_a']):.2f} (medians "
                  f"{r['b'] / r['a']:.2f})   b/c = {r['b'] / r['c']:.2f} (target >= 1.0)   "
                  f"d/b = {r['d'] / r['b']:.0f}x (target >= 50x)", flush=True)


if __name__ == "__main__":
    main()
