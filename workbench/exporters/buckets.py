"""kohya sd-scripts' aspect-ratio buckets, previewed: which bucket each image falls into,
how much it is scaled and how much of it is cut.

The rules are sd-scripts' own (``library/model_util.py::make_bucket_resolutions`` and
``library/train_util.py::BucketManager``), computed here on image sizes only:

* **Buckets.** For the area ``A = resolution²`` and the step ``d``: the square
  ``⌊√A / d⌋·d``, and for every width ``w`` from ``min_reso`` to ``max_reso`` in steps of
  ``d`` the height ``h = min(max_reso, ⌊⌊A / w⌋ / d⌋·d)`` (kept when ``h >= min_reso``), in
  both orientations. ``min_reso`` is rounded down and ``max_reso`` up to a multiple of
  ``d``, as sd-scripts does.
* **Assignment.** An image whose size is a bucket stays there; any other goes to the
  bucket of nearest aspect ratio (the first of the sorted buckets on a tie) and is scaled
  to cover it (``scale = h_b / h`` when the image is wider than the bucket, else
  ``w_b / w``; the resized size is rounded half up), so small images are upscaled
  silently. The overhang is cut, centred: the cut fraction is ``1 - r_b / r`` when
  ``r > r_b``, else ``1 - r / r_b`` (``r``, ``r_b``: the image's and the bucket's aspect
  ratios), up to the rounding of the resized size.
* **No upscale** (``bucket_no_upscale``, which the workbench's kohya export writes): no
  predefined buckets. An image larger than ``A`` is shrunk to area ``A`` (its side rounded
  to the step the way that keeps the aspect ratio best); the bucket is the (shrunk) size
  rounded down to multiples of ``d``, and the rest is cut. A 300 x 300 image goes to
  256 x 256 and loses 27% of its pixels.

The cut reported is the share of the resized image's pixels that training never sees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BucketConfig:
    """sd-scripts' bucket settings, and the limits the preview warns at.

    Attributes
    ----------
    resolution
        Training resolution (``--resolution``); the bucket area is its square.
    min_reso, max_reso
        ``--min_bucket_reso`` and ``--max_bucket_reso`` (sd-scripts' defaults: 256, 1024).
    step
        ``--bucket_reso_steps`` (64).
    no_upscale
        ``--bucket_no_upscale``: buckets follow the image sizes, never enlarging them.
    batch_size
        A bucket holding fewer images than this is reported (its batches come up short).
    max_upscale
        An image scaled up more than this is reported (2.0: more than 2x).
    max_cut
        An image losing more than this share of its pixels to the crop is reported.
    worst
        How many of the most-cut images the preview lists (and draws in its strip).

    Examples
    --------
    >>> BucketConfig(resolution=1024, max_reso=2048).step
    64
    """

    resolution: int = 1024
    min_reso: int = 256
    max_reso: int = 1024
    step: int = 64
    no_upscale: bool = False
    batch_size: int = 1
    max_upscale: float = 2.0
    max_cut: float = 0.15
    worst: int = 12

    def __post_init__(self) -> None:
        for name in ("resolution", "min_reso", "max_reso", "step", "batch_size", "worst"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1; got {value!r}")
        if self.max_reso < self.min_reso:
            raise ValueError(f"max_reso must be >= min_reso; got max_reso={self.max_reso} and "
                             f"min_reso={self.min_reso}")
        lo, hi = self.bounds()
        if not lo <= self.resolution <= hi:
            raise ValueError(
                f"resolution must lie between min_reso and max_reso (rounded to the step "
                f"{self.step}: {lo}..{hi}), as sd-scripts requires; got resolution="
                f"{self.resolution}. Raise max_reso or lower min_reso")
        if not self.max_upscale >= 1:
            raise ValueError(f"max_upscale must be >= 1; got {self.max_upscale!r}")
        if not 0 <= self.max_cut < 1:
            raise ValueError(f"max_cut must be in [0, 1); got {self.max_cut!r}")

    def bounds(self) -> tuple[int, int]:
        """``(min_reso, max_reso)`` as sd-scripts adjusts them: down and up to the step."""
        lo = self.min_reso - self.min_reso % self.step
        hi = self.max_reso + (-self.max_reso) % self.step
        return lo, hi


def bucket_resolutions(config: BucketConfig) -> list[tuple[int, int]]:
    """The predefined buckets ``(width, height)``, sorted (``make_bucket_resolutions``).

    Examples
    --------
    >>> buckets = bucket_resolutions(BucketConfig(resolution=512, min_reso=256, max_reso=768))
    >>> (512, 512) in buckets, (768, 320) in buckets, (320, 768) in buckets
    (True, True, True)
    """
    area = config.resolution * config.resolution
    d = config.step
    lo, hi = config.bounds()
    side = int(math.sqrt(area) // d) * d
    resos = {(side, side)}
    for width in range(lo, hi + 1, d):
        height = min(hi, int((area // width) // d) * d)
        if height >= lo:
            resos.add((width, height))
            resos.add((height, width))
    return sorted(resos)


@dataclass(frozen=True)
class Placement:
    """Where one image goes: its bucket, its resized size, the scale and the cut."""

    bucket: tuple[int, int]
    resized: tuple[int, int]
    scale: float
    cut: float


def _round_to_steps(x: float, step: int) -> int:
    x = int(x + 0.5)
    return x - x % step


def _no_upscale(width: int, height: int, config: BucketConfig) -> tuple[tuple, tuple]:
    area = config.resolution * config.resolution
    d = config.step
    ar = width / height
    if width * height > area:
        rw = math.sqrt(area * ar)
        rh = area / rw
        bw = _round_to_steps(rw, d)
        h_in_w = _round_to_steps(bw / ar, d)
        bh = _round_to_steps(rh, d)
        w_in_h = _round_to_steps(bh * ar, d)
        err_w = abs(bw / h_in_w - ar) if h_in_w else math.inf  # sd-scripts fails on
        err_h = abs(w_in_h / bh - ar) if bh else math.inf  # such extreme aspect ratios
        if err_w < err_h:
            resized = (bw, int(bw / ar + 0.5))
        else:
            resized = (int(bh * ar + 0.5), bh)
    else:
        resized = (width, height)
    return (resized[0] - resized[0] % d, resized[1] - resized[1] % d), resized


def place_images(sizes: Sequence[tuple[int, int]], config: BucketConfig) -> list[Placement]:
    """The bucket, resized size, scale and cut of each ``(width, height)``, in order.

    Examples
    --------
    >>> p = place_images([(4000, 3000)], BucketConfig(resolution=1024, max_reso=2048))[0]
    >>> p.bucket, p.resized, round(100 * p.cut, 1)
    ((1152, 896), (1195, 896), 3.6)
    >>> place_images([(300, 300)], BucketConfig(no_upscale=True))[0].bucket
    (256, 256)
    """
    sizes = [(int(w), int(h)) for w, h in sizes]
    bad = [(w, h) for w, h in sizes if w < 1 or h < 1]
    if bad:
        raise ValueError(f"image sizes must be positive (width, height); got {bad[:3]}")
    out: list[Placement] = []
    if config.no_upscale:
        for w, h in sizes:
            bucket, resized = _no_upscale(w, h, config)
            out.append(_placement(w, bucket, resized))
        return out
    resos = bucket_resolutions(config)
    known = set(resos)
    ratios = np.array([bw / bh for bw, bh in resos])
    for w, h in sizes:
        ar = w / h
        bucket = (w, h) if (w, h) in known else resos[int(np.abs(ratios - ar).argmin())]
        scale = bucket[1] / h if ar > bucket[0] / bucket[1] else bucket[0] / w
        resized = (int(w * scale + 0.5), int(h * scale + 0.5))
        out.append(_placement(w, bucket, resized))
    return out


def _placement(width: int, bucket: tuple[int, int], resized: tuple[int, int]) -> Placement:
    kept = min(bucket[0], resized[0]) * min(bucket[1], resized[1])
    cut = 1.0 - kept / (resized[0] * resized[1]) if resized[0] * resized[1] else 0.0
    return Placement(bucket=bucket, resized=resized, scale=resized[0] / width, cut=max(0.0, cut))


@dataclass
class BucketPlan:
    """The preview: one row per image (``table``), one per bucket (``buckets``), warnings.

    ``to_dict()`` and ``summary()`` describe it; ``plot(ax)`` draws images per bucket;
    ``html()`` is a strip of the most-cut images.
    """

    config: BucketConfig
    table: pd.DataFrame = field(repr=False)
    buckets: pd.DataFrame = field(repr=False)
    warnings: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def worst_cuts(self, n: int | None = None) -> pd.DataFrame:
        """The most-cut images, most first."""
        table = self.table.sort_values(["cut", "id"], ascending=[False, True], kind="stable")
        return table.head(self.config.worst if n is None else n)

    def to_dict(self) -> dict:
        rows = self.table.to_dict(orient="records")
        return {"config": asdict(self.config), "images": len(self.table),
                "buckets": self.buckets.to_dict(orient="records"),
                "warnings": [dict(w) for w in self.warnings],
                "worst_cuts": self.worst_cuts()[["id", "filepath", "bucket", "cut"]].to_dict(
                    orient="records"),
                "skipped": list(self.skipped), "placements": rows}

    def summary(self) -> str:
        c = self.config
        mode = "no upscale" if c.no_upscale else f"buckets {c.bounds()[0]}..{c.bounds()[1]} px"
        lines = [(f"{len(self.table)} images in {len(self.buckets)} buckets at resolution "
                 f"{c.resolution} ({mode}, step {c.step})")]
        for row in self.buckets.itertuples():
            lines.append(f"  {row.bucket:>11}  {row.images:5d} images")
        if len(self.table):
            lines.append(f"cut: median {100 * self.table['cut'].median():.1f}%, worst "
                         f"{100 * self.table['cut'].max():.1f}%; scale "
                         f"{self.table['scale'].min():.2f}..{self.table['scale'].max():.2f}")
        lines += [f"warning: {w['message']}" for w in self.warnings]
        if self.skipped:
            lines.append(f"{len(self.skipped)} images without a known size were left out")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Images per bucket, a bar per bucket (matplotlib Axes)."""
        if ax is None:
            from .html import new_figure

            _, ax = new_figure(max(4.0, 0.35 * len(self.buckets) + 2), 3.2)
        ax.bar(self.buckets["bucket"], self.buckets["images"], color="#4c72b0")
        ax.axhline(self.config.batch_size, color="#c44e52", lw=1, ls="--", label="batch size")
        ax.set_ylabel("images")
        ax.set_title(f"kohya buckets at resolution {self.config.resolution}")
        ax.tick_params(axis="x", labelrotation=60, labelsize=8)
        ax.legend(loc="upper right", fontsize=8)
        return ax

    def html(self, size: int = 112) -> str:
        """A strip of the most-cut images, each captioned with its bucket and cut."""
        from .html import strip_html

        worst = self.worst_cuts()
        worst = worst[worst["filepath"].notna()]
        captions = [f"{b} · {100 * c:.0f}% cut" for b, c in zip(worst["bucket"], worst["cut"])]
        return strip_html(worst["filepath"].tolist(), captions, size=size,
                          title=f"the {len(worst)} most-cut images (kohya crops them centred)")


def _warnings(table: pd.DataFrame, buckets: pd.DataFrame, config: BucketConfig) -> list[dict]:
    out = []
    small = buckets[buckets["images"] < config.batch_size]
    if len(small):
        out.append({"kind": "bucket_below_batch", "buckets": small["bucket"].tolist(),
                    "message": f"{len(small)} bucket(s) hold fewer images than the batch size "
                               f"{config.batch_size}: {', '.join(small['bucket'])}"})
    up = table[table["scale"] > config.max_upscale]
    if len(up):
        out.append({"kind": "upscaled", "ids": up["id"].tolist(),
                    "message": f"{len(up)} image(s) upscaled more than "
                               f"{config.max_upscale:g}x (up to {up['scale'].max():.1f}x)"})
    cut = table[table["cut"] > config.max_cut]
    if len(cut):
        out.append({"kind": "cut", "ids": cut["id"].tolist(),
                    "message": f"{len(cut)} image(s) lose more than {100 * config.max_cut:.0f}% "
                               f"to the crop (up to {100 * cut['cut'].max():.1f}%)"})
    return out


def plan_buckets(ids: Sequence[str], sizes: Sequence[tuple[int | None, int | None]],
                 config: BucketConfig | None = None,
                 paths: Sequence[str | None] | None = None) -> BucketPlan:
    """Preview sd-scripts' buckets for images of the given sizes.

    Images without a known size are left out and listed in ``skipped``.

    Examples
    --------
    >>> plan = plan_buckets(["a", "b"], [(4000, 3000), (300, 900)],
    ...                     BucketConfig(resolution=1024, max_reso=2048))
    >>> plan.table[["id", "bucket", "cut"]].round(3).values.tolist()
    [['a', '1152x896', 0.036], ['b', '576x1728', 0.0]]
    """
    config = config or BucketConfig()
    ids = [str(i) for i in ids]
    if len(sizes) != len(ids) or (paths is not None and len(paths) != len(ids)):
        raise ValueError(f"ids, sizes and paths must have one entry per image; got {len(ids)} "
                         f"ids, {len(sizes)} sizes and {None if paths is None else len(paths)} paths")
    paths = list(paths) if paths is not None else [None] * len(ids)
    known = [k for k, (w, h) in enumerate(sizes) if w and h and w > 0 and h > 0]
    placed = place_images([sizes[k] for k in known], config)
    table = pd.DataFrame({
        "id": [ids[k] for k in known], "filepath": [paths[k] for k in known],
        "width": [int(sizes[k][0]) for k in known], "height": [int(sizes[k][1]) for k in known],
        "bucket": [f"{p.bucket[0]}x{p.bucket[1]}" for p in placed],
        "bucket_width": [p.bucket[0] for p in placed],
        "bucket_height": [p.bucket[1] for p in placed],
        "resized_width": [p.resized[0] for p in placed],
        "resized_height": [p.resized[1] for p in placed],
        "scale": [p.scale for p in placed], "cut": [p.cut for p in placed]})
    grouped = table.groupby(["bucket_width", "bucket_height"], sort=True).size()
    buckets = pd.DataFrame({
        "bucket": [f"{w}x{h}" for w, h in grouped.index],
        "width": [int(w) for w, _ in grouped.index], "height": [int(h) for _, h in grouped.index],
        "aspect": [round(w / h, 4) for w, h in grouped.index],
        "images": [int(v) for v in grouped.values]})
    return BucketPlan(config=config, table=table, buckets=buckets,
                      warnings=_warnings(table, buckets, config),
                      skipped=[ids[k] for k in range(len(ids)) if k not in set(known)])
