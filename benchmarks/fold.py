"""What folding does to the bundled model's forward pass on this machine.

Usage: .venv/bin/python benchmarks/fold.py [--n 400] [--rounds 10]

Three copies of EfficientNet-Lite0 run the same preprocessed images at batch 4: as
published, with its BatchNorms folded into the convolutions, and with the symmetric
pads moved into the convolutions as well (what the workbench loads). The copies run in
rotating order each round, and the script prints each copy's median speed-up against
the published network and the largest difference of its vectors.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import machine, make_images


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    import numpy as np
    import torch

    from workbench.core.pixels.images import open_rgb
    from workbench.models.bundled import (
        LITE0_PREPROCESS,
        fold_batch_norms,
        fold_symmetric_padding,
        published_network,
    )

    folder = Path(tempfile.mkdtemp(prefix="wb-bench-fold-"))
    paths = [str(p) for p in make_images(folder, args.n, size=512, png_every=0)]
    def network(*steps):
        model = published_network()
        for step in steps:
            model = step(model)
        return model.to(memory_format=torch.channels_last)

    nets = {"published": network(), "BatchNorms folded": network(fold_batch_norms),
            "and pads (loaded)": network(fold_batch_norms, fold_symmetric_padding)}
    pp = LITE0_PREPROCESS
    x = pp.normalize(torch.stack([pp.pixels(open_rgb(p, draft_size=pp.draft_size).image)
                                  for p in paths]))

    def features(model, batch):
        with torch.inference_mode():
            return model.extract_features(batch).mean(dim=(2, 3)).numpy()

    def rate(model) -> float:
        t = time.perf_counter()
        for i in range(0, len(x), 4):
            features(model, x[i:i + 4])
        return len(x) / (time.perf_counter() - t)

    ref = features(nets["published"], x[:64])
    diffs = {k: float(np.abs(features(m, x[:64]) - ref).max()) for k, m in nets.items()}
    names = list(nets)
    speedups: dict[str, list[float]] = {k: [] for k in names[1:]}
    print(f"{args.n} generated 512 px JPEGs; {machine()}; {args.rounds} rounds", flush=True)
    for r in range(args.rounds):
        order = names[r % 3:] + names[:r % 3]  # rotate who runs first
        rates = {k: rate(nets[k]) for k in order}
        for k, runs in speedups.items():
            runs.append(rates[k] / rates["published"])
        print(f"  round {r}: " + ", ".join(f"{k} {rates[k]:.1f}/s" for k in names), flush=True)
    for k, v in speedups.items():
        print(f"{k}: median speed-up {statistics.median(v):.3f} (runs "
              + ", ".join(f"{s:.2f}" for s in v) + f"); max |difference| {diffs[k]:.1e}")


if __name__ == "__main__":
    main()
