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

``--backends torch onnx onnx-int8`` measures the backends side by side in the same rounds
(one decode per round of (a)/(a'), each backend's forward on the same tensors, one (b)
per backend between two rounds) and prints, per backend, backend/torch end to end (each
(b) against the torch (b) of its round) and the agreement of its vectors with torch's on
the same images: cosine and the overlap of each image's 10 nearest neighbours. Targets:
onnx/torch >= 1.6 for the bundled model, onnx-int8/torch >= 1.6 for ViT-B-32; b/a' >= 0.9
for every backend, (a') measured on its own forward.
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


def bench_model(spec: str, ds, paths: list[str], batch_size: int | None, repeats: int,
                backends: list[str], sweep_images: int = 128, fiftyone: bool = True) -> dict:
    """Every measurement for one model on dataset ``ds``, whose distinct images are ``paths``.

    Each backend in ``backends`` (``torch``, ``onnx``, ``onnx-int8``) is measured in the
    same rounds as the others: one decode per round of (a)/(a'), then each backend's
    forward on the same tensors; one (b) per backend between two such rounds.
    """
    import numpy as np
    import torch

    import workbench as wb
    from workbench.core.pixels.images import open_rgb
    from workbench.models.backends import agreement, backend_of, with_backend
    from workbench.models.choose import build_embedder
    from workbench.models.clip import OpenClipEmbedder
    from workbench.models.pool import shared

    # One network for every measurement: wb.embed finds this instance in the pool.
    base = shared(build_embedder(spec) if spec != "clip" else OpenClipEmbedder("ViT-B-32", None))
    base.load()
    embs, notes = {}, {}
    for b in backends:
        t = time.perf_counter()
        embs[b], notes[b] = with_backend(base, b)
        notes[b] += f" [prepared in {time.perf_counter() - t:.1f}s]"
        if backend_of(embs[b]) != b:
            raise RuntimeError(f"backend {b} is not available here: {notes[b]}")
    pp = base.preprocess
    run_batch = {b: e.batch_size_for(base.device_) if batch_size is None else batch_size
                 for b, e in embs.items()}
    decode_batch = min(run_batch.values())

    def decode() -> tuple[torch.Tensor, float]:
        """Decode and preprocess every image in batches, as (b) does in process."""
        t = time.perf_counter()
        batches = []
        for i in range(0, len(paths), decode_batch):
            pixels = [pp.pixels(open_rgb(p, draft_size=base.draft_size).image)
                      for p in paths[i:i + decode_batch]]
            batches.append(pp.normalize(torch.stack(pixels)))
        return torch.cat(batches), time.perf_counter() - t

    def forward(emb, x: torch.Tensor, bs: int, keep: bool = False):
        emb.use_threads(torch.get_num_threads())
        out = []
        t = time.perf_counter()
        for i in range(0, len(x), bs):
            v = emb.encode_images(x[i:i + bs])
            if keep:
                out.append(v)
        seconds = time.perf_counter() - t
        return (seconds, np.concatenate(out)) if keep else seconds

    first, _ = decode()
    sweep, best = {}, {}
    for b, emb in embs.items():
        forward(emb, first[:decode_batch], decode_batch)  # warm-up
        # Round-robin over batch sizes, 3 rounds, medians: slow drift does not pick the winner.
        rounds: dict[int, list[float]] = {bs: [] for bs in (1, 2, 4, 8, 16, 32)}
        sample = first[:sweep_images]
        for _ in range(3):
            for bs, runs in rounds.items():
                runs.append(len(sample) / forward(emb, sample, bs))
        sweep[b] = {bs: statistics.median(v) for bs, v in rounds.items()}
        best[b] = max(sweep[b], key=sweep[b].get)
    del first
    vectors: dict[str, np.ndarray] = {}

    def limits() -> dict:
        """(a) and (a') of every backend on freshly decoded images (one decode, shared)."""
        x, t_decode = decode()
        n = len(paths)
        out = {}
        for b, emb in embs.items():
            t_forward, vectors[b] = forward(emb, x, run_batch[b], keep=True)
            t_best = t_forward if best[b] == run_batch[b] else forward(emb, x, best[b])
            out[b] = {"a": n / t_best, "a_prime": n / (t_decode + t_forward),
                      "decode_ms": 1000 * t_decode / n, "forward_ms": 1000 * t_forward / n}
        return out

    def end_to_end(b: str) -> tuple[float, wb.EmbedConfig]:
        """A cold run: new cache, no stored vectors."""
        for f in (embs[b].field_name, f"{embs[b].field_name}_norm"):
            if ds.has_sample_field(f):
                ds.clear_sample_field(f)
        config = wb.EmbedConfig(model="bundled", progress=False, batch_size=run_batch[b],
                                backend=b, cache_dir=tempfile.mkdtemp(prefix="wb-bench-cache-"))
        t = time.perf_counter()
        rep = wb.embed(ds, config=config)
        seconds = time.perf_counter() - t
        if rep.failed or rep.computed + rep.cached != len(ds) or rep.backend != b:
            raise RuntimeError(f"wb.embed did not embed every image with {b}: {rep.summary()}")
        return len(paths) / seconds, config

    # wb.embed resolves "bundled"; for CLIP (random weights, or the checkpoint named by an
    # OPENCLIP_NAME:PATH spec) it gets this network instead.
    from workbench.models import choose

    resolve = choose.resolve_embedder
    if spec != "bundled":
        choose.resolve_embedder = lambda *_a, **_k: (base, f"benchmark: {base.name}")
    d, c = {}, {}
    try:
        # The machine is shared and drifts: bracket every (b) between two A runs.
        a_runs = [limits()]
        b_runs: dict[str, list[float]] = {b: [] for b in embs}
        loads, configs = [], {}
        for _ in range(repeats):
            for b in embs:
                rate, configs[b] = end_to_end(b)
                b_runs[b].append(rate)
            loads.append(os.getloadavg()[0])  # other jobs on the machine show up here
            a_runs.append(limits())
        for b in embs:
            t = time.perf_counter()
            warm = wb.embed(ds, config=configs[b])
            d[b] = len(paths) / (time.perf_counter() - t)
            if warm.cached != len(ds):
                raise RuntimeError(f"the warm re-run computed images again: {warm.summary()}")
    finally:
        choose.resolve_embedder = resolve

    if fiftyone:
        for b, emb in embs.items():
            t = time.perf_counter()
            ds.compute_embeddings(_fo_model(emb), embeddings_field="fo_embedding",
                                  batch_size=run_batch[b], progress=False)
            c[b] = len(ds) / (time.perf_counter() - t)  # FiftyOne embeds duplicates too

    def paired(b: str, key: str) -> list[float]:
        return [bb / ((a_runs[i][b][key] + a_runs[i + 1][b][key]) / 2)
                for i, bb in enumerate(b_runs[b])]

    results = {}
    for b, emb in embs.items():
        def med(key: str, b: str = b) -> float:
            return statistics.median(r[b][key] for r in a_runs)

        results[b] = {
            "model": emb.name, "note": notes[b], "a": med("a"), "a_prime": med("a_prime"),
            "decode_ms": med("decode_ms"), "forward_ms": med("forward_ms"),
            "b": statistics.median(b_runs[b]), "c": c.get(b), "d": d[b],
            "ratios_a": paired(b, "a"), "ratios_a_prime": paired(b, "a_prime"),
            "a_runs": [r[b] for r in a_runs], "b_runs": b_runs[b], "loads": loads,
            "sweep": sweep[b], "best_batch": best[b], "run_batch": run_batch[b]}
    if "torch" in embs:
        # backend / torch end to end, each (b) against the torch (b) of the same round
        for b in embs:
            results[b]["speedup"] = [x / y for x, y in zip(b_runs[b], b_runs["torch"])]
            results[b]["agreement"] = agreement(vectors["torch"], vectors[b], k=10)
    return results


def image_set(kind: str, n: int, images: str | None, limit: int | None = None):
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
        if limit:  # the first `limit` files (sorted paths), in a folder of their own
            files = sorted(source.rglob("*.png"))[:limit]
            source = Path(tempfile.mkdtemp(prefix="wb-bench-embed-real-"))
            for i, p in enumerate(files):
                os.symlink(p.resolve(), source / f"{i:04d}-{p.name}")
    name = f"bench-embed-{kind}"
    if fo.dataset_exists(name):
        fo.delete_dataset(name)
    report = wb.load(source, name=name, config=wb.LoadConfig(progress=False))
    ds = wb.get_dataset(name)
    by_sha = dict(zip(*ds.values(["sha256", "filepath"])))
    print(f"\n{SETS[kind]}: {report.total} images loaded from {source}, "
          f"{len(by_sha)} distinct; {machine()}", flush=True)
    return ds, sorted(by_sha.values())


def _print(r: dict, n: int, kind: str, repeats: int) -> None:
    a_runs = r["a_runs"]
    print(f"\n{r['model']} [{r['note']}] on {n} {SETS[kind]}: {repeats} runs of (b), "
          "each between two runs of (a) and (a')")
    print("  forward sweep (images/s by batch, median of 3 rounds): "
          + ", ".join(f"{bs}: {v:.1f}" for bs, v in r["sweep"].items()))
    print(f"  (a) at batch {r['best_batch']} (fastest in the sweep); (a') forward, "
          f"(b) and (c) at batch {r['run_batch']}")
    print("  runs (a): " + ", ".join(f"{x['a']:.1f}" for x in a_runs)
          + "   (a'): " + ", ".join(f"{x['a_prime']:.1f}" for x in a_runs)
          + "   (b): " + ", ".join(f"{v:.1f}" for v in r["b_runs"])
          + "   load average after each round: " + ", ".join(f"{v:.1f}" for v in r["loads"]))
    print("  (a') per image, ms: decode+preprocess "
          + ", ".join(f"{x['decode_ms']:.2f}" for x in a_runs) + "; forward "
          + ", ".join(f"{x['forward_ms']:.2f}" for x in a_runs))
    print("  b/a' per (b) run: " + ", ".join(f"{v:.2f}" for v in r["ratios_a_prime"])
          + "   b/a per (b) run: " + ", ".join(f"{v:.2f}" for v in r["ratios_a"]))
    print(f"  (a)  pure forward, preloaded tensors : {r['a']:7.1f} images/s")
    print(f"  (a') decode + forward, one by one    : {r['a_prime']:7.1f} images/s "
          f"({r['decode_ms']:.2f} + {r['forward_ms']:.2f} ms per image)")
    print(f"  (b)  workbench end to end (cold)     : {r['b']:7.1f} images/s")
    if r["c"] is not None:
        print(f"  (c)  FiftyOne compute_embeddings     : {r['c']:7.1f} images/s")
    print(f"  (d)  workbench warm-cache re-run     : {r['d']:7.1f} images/s")
    bc = f"b/c = {r['b'] / r['c']:.2f} (target >= 1.0)   " if r["c"] else ""
    print(f"  b/a' = {statistics.median(r['ratios_a_prime']):.2f} (median paired ratio; "
          f"target >= 0.9; ratio of the medians {r['b'] / r['a_prime']:.2f})   "
          f"b/a = {statistics.median(r['ratios_a']):.2f} (medians "
          f"{r['b'] / r['a']:.2f})   {bc}d/b = {r['d'] / r['b']:.0f}x (target >= 50x)",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="generated images")
    parser.add_argument("--models", nargs="+", default=["bundled", "clip"])
    parser.add_argument("--backends", nargs="+", default=["torch"],
                        choices=["torch", "onnx", "onnx-int8"],
                        help="backends measured side by side (default: torch); with torch "
                             "and another, the speed-up and agreement are printed")
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=["generated"],
                        help="image sets to run on (default: generated)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="batch for (b), (c) and (a')'s forward; default: each backend's "
                             "auto batch size")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sweep-images", type=int, default=128,
                        help="images per batch-size sweep round")
    parser.add_argument("--no-fiftyone", action="store_true",
                        help="skip (c), FiftyOne's own compute_embeddings")
    parser.add_argument("--images", default=None, help="folder to cache generated images")
    parser.add_argument("--real-limit", type=int, default=None,
                        help="embed only the first N files of the real corpus (sorted paths)")
    args = parser.parse_args()
    isolate_fiftyone()
    os.environ["HF_HUB_OFFLINE"] = "1"
    # ONNX graphs are exported once, outside the timed runs (each (b) gets a new
    # embedding cache, the graphs stay here).
    os.environ.setdefault("WORKBENCH_CACHE_DIR", tempfile.mkdtemp(prefix="wb-bench-wbcache-"))
    for kind in args.sets:
        ds, paths = image_set(kind, args.n, args.images, args.real_limit)
        for spec in args.models:
            results = bench_model(spec, ds, paths, args.batch_size, args.repeats, args.backends,
                                  args.sweep_images, not args.no_fiftyone)
            for r in results.values():
                _print(r, len(paths), kind, args.repeats)
            for b, r in results.items():
                if b == "torch" or "speedup" not in r:
                    continue
                ag = r["agreement"]
                print(f"  {b}/torch end to end (decoding included), per round: "
                      + ", ".join(f"{v:.2f}" for v in r["speedup"])
                      + f"; median {statistics.median(r['speedup']):.2f}x "
                      f"({r['b']:.1f} against {results['torch']['b']:.1f} images/s); forward "
                      f"alone (a) {r['a'] / results['torch']['a']:.2f}x")
                print(f"  {b} against torch on these {ag['n']} images: cosine mean "
                      f"{ag['cosine_mean']:.5f}, min {ag['cosine_min']:.5f}; {ag['k']}-NN "
                      f"overlap {ag['knn_overlap']:.3f} (int8 default needs >= 0.99 and >= 0.9"
                      f"{'; random CLIP weights' if spec == 'clip' else ''})", flush=True)


if __name__ == "__main__":
    main()
