"""Copy or variant: a closer look at the pairs the near-duplicate rule calls duplicates.

A *copy* is the same picture after a global change: resized, re-encoded, cropped by a
few percent, reduced to a palette, its colours shifted a little. A *variant* keeps the
frame and changes one local part: another symbol on a playing card, another digit on a
road sign, another expression on a smiley, another outline of a jigsaw piece. The
embedding describes the category, the 64-bit pHash (32 x 32 pixels) cannot see a symbol
change inside an identical frame, and the colours agree, so the rule of
:mod:`workbench.core.dedup.rules` calls both duplicates.

Here each such pair is compared on its pixels at a higher resolution (up to 128 x 128):
both images composited on white (alpha respected, as everywhere the workbench decodes),
aligned on their luminance for crops of up to :data:`MAX_CROP` of a side (each image in
turn is searched for the window that best matches the other, scale and offset per axis),
then compared with scikit-image's local structural similarity
(``structural_similarity(..., full=True)``) on luminance and chroma.
Once aligned, a copy differs a little everywhere and a variant differs a lot in a few
places: the verdict rests on the *worst tile*, the mean local SSIM of the least similar
square of an eighth of the picture's side.

Pure numpy/scipy/scikit-image; pixels come from the files through
:func:`workbench.core.pixels.images.open_rgb` (decoded shrunk). No FiftyOne.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rules import MIRROR_MARGIN, DedupConfig, hamming_distance, mirrored_distance

__all__ = ["MAX_CROP", "LocalChange", "align", "check_pairs", "judge_pairs_here", "judge_variants",
           "local_change", "rgb_image"]

#: The largest share of a side that alignment assumes a copy may have lost to a crop (8%
#: off each edge).
MAX_CROP = 0.16
#: Pictures whose shorter side is below this many pixels are not compared locally.
MIN_SIDE = 16
#: Flips tried on a mirror pair: none, left-right, upside down, both (turned 180°).
_FLIPS = ((), (1,), (0,), (0, 1))
#: The pair is compared at most at this share of the smaller picture's sides: both are
#: then shrunk, so resampling (a copy made smaller) and thin lines weigh less.
COMPARE_SHARE = 0.75
#: SSIM's luminance constant: scikit-image's 0.01 makes a dark flat area differing by a
#: few grey levels look unlike (the ratio of two small means); 0.2 leaves that to the
#: structure term, while black against white still scores near 0.
SSIM_K1 = 0.2
#: Chroma is smoothed by a Gaussian of this sigma (pixels) before it is compared.
CHROMA_SIGMA = 1.0
_YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5],
                   [0.5, -0.418688, -0.081312]])
#: Decoded images kept while a batch of pairs is judged (an image joins several pairs).
_CACHE_SIZE = 32


@dataclass(frozen=True)
class LocalChange:
    """How two aligned pictures differ, locally.

    Attributes
    ----------
    worst
        Mean local SSIM of the least similar tile (a square of an eighth of the side):
        near 1 for copies, low where a part was redrawn.
    low_share
        Share of the picture whose local SSIM is below 0.5.
    mean
        Mean local SSIM over the whole picture.
    size
        ``(height, width)`` at which the two were compared.
    """

    worst: float
    low_share: float
    mean: float
    size: tuple[int, int]


def rgb_image(path: str, max_side: int) -> np.ndarray:
    """The image at ``path`` as RGB on white, float32 in [0, 1], at most ``max_side``.

    Decoded shrunk (:func:`~workbench.core.pixels.images.open_rgb` with a draft size):
    alpha is composited on white, as everywhere the workbench decodes.
    """
    from PIL import Image

    from ..pixels.images import open_rgb

    img = open_rgb(path, draft_size=(max_side, max_side)).image
    if max(img.size) > max_side:
        img = img.copy()
        img.thumbnail((max_side, max_side), Image.Resampling.BOX)
    return np.asarray(img, dtype=np.float32) / 255.0


def _rows(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, m: int) -> np.ndarray:
    """The rows window ``[lo, hi)`` (shares of the height) of ``a`` averaged into ``m``
    rows, for ``k`` windows at once: ``(k, m, width)``.

    Area resampling from the running sum: each output row is the mean of the input over
    its span, fractional pixels included.
    """
    lo, hi = np.atleast_1d(lo).astype(np.float64), np.atleast_1d(hi).astype(np.float64)
    n = a.shape[0]
    edges = np.clip((lo[:, None] + (hi - lo)[:, None] * np.arange(m + 1) / m) * n, 0, n)
    run = np.zeros((n + 1, a.shape[1]), dtype=np.float32)
    np.cumsum(a, axis=0, out=run[1:])
    idx = np.minimum(edges.astype(np.int64), n - 1)
    frac = (edges - idx).astype(np.float32)[..., None]
    below = run[idx]
    at = below + (run[idx + 1] - below) * frac                  # (k, m + 1, width)
    return (at[:, 1:] - at[:, :-1]) / np.diff(edges, axis=1).astype(np.float32)[..., None]


def _cols(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, m: int) -> np.ndarray:
    """As :func:`_rows`, for columns: ``(k, height, m)``."""
    return _rows(a.T, lo, hi, m).transpose(0, 2, 1)


def _windows(max_crop: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Every window ``[lo, hi)`` of an axis that crops at most ``max_crop``, on a grid."""
    grid = np.arange(0.0, max_crop + 1e-9, step)
    lo, hi = np.meshgrid(grid, 1.0 - grid, indexing="ij")
    ok = (lo + (1.0 - hi)) <= max_crop + 1e-9
    return lo[ok], hi[ok]


def _search(a: np.ndarray, target: np.ndarray, candidates, start: list, rounds: int
            ) -> tuple[list, float]:
    """Coordinate search for the window of ``a`` that best matches ``target`` (mean
    squared difference): the rows' window with the columns' fixed, then the columns'.

    ``candidates(window)`` gives the windows ``(lo, hi)`` of one axis to try next."""
    m_h, m_w = target.shape
    best = list(start)
    cost = np.inf
    for _ in range(rounds):
        for axis in (0, 1):
            lo, hi = candidates(best[axis])
            if axis == 0:
                out = _rows(_cols(a, *best[1], m_w)[0], lo, hi, m_h)   # (k, m_h, m_w)
            else:
                out = _cols(_rows(a, *best[0], m_h)[0], lo, hi, m_w)
            costs = ((out - target) ** 2).mean(axis=(1, 2))
            k = int(np.argmin(costs))
            best[axis], cost = (float(lo[k]), float(hi[k])), float(costs[k])
    return best, cost


def _resample(a: np.ndarray, window: list, shape: tuple[int, int]) -> np.ndarray:
    if a.ndim == 3:
        return np.stack([_resample(a[..., c], window, shape) for c in range(a.shape[2])], -1)
    return _cols(_rows(a, *window[0], shape[0])[0], *window[1], shape[1])[0]


def align(a: np.ndarray, b: np.ndarray, size: int = 128, max_crop: float = MAX_CROP
          ) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` resampled onto one grid of at most ``size`` pixels a side, the one
    that lost less to a crop windowed to match the other.

    Each image in turn is searched (on a coarse grid at 48 pixels, then finer at full
    size) for the window, at most ``max_crop`` of each side, whose content best matches
    the whole of the other; the better of the two directions wins.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.random((100, 100)).astype("float32")
    >>> x, y = align(a, a[3:97, 5:100])
    >>> x.shape == y.shape, float(np.abs(x - y).mean()) < 0.05
    (True, True)
    """
    shape = tuple(int(min(size, max(8, round(COMPARE_SHARE * min(a.shape[k], b.shape[k])))))
                  for k in (0, 1))
    a_big, window = _fit(_grey(a), _grey(b), shape, max_crop)
    big, small = (a, b) if a_big else (b, a)
    aligned = _resample(big, window, shape)
    target = _resample(small, [(0.0, 1.0), (0.0, 1.0)], shape)
    return (aligned, target) if a_big else (target, aligned)


def _grey(a: np.ndarray) -> np.ndarray:
    """Luminance (ITU-R 601, as Pillow's ``"L"``) of an RGB array; a grey one as it is."""
    return a if a.ndim == 2 else a @ np.array([0.299, 0.587, 0.114], dtype=a.dtype)


def _fit(a: np.ndarray, b: np.ndarray, shape: tuple[int, int], max_crop: float
         ) -> tuple[bool, list]:
    """Which of ``a``, ``b`` is windowed (True: ``a``), and its window ``[(lo, hi)] * 2``."""
    coarse_shape = (min(48, shape[0]), min(48, shape[1]))
    grid = _windows(max_crop, 0.01)

    def coarse(_):
        return grid

    def fine(step: float):
        def windows(best):
            steps = np.arange(-2, 3) * step
            lo, hi = np.meshgrid(best[0] + steps, best[1] + steps, indexing="ij")
            ok = (lo >= 0) & (hi <= 1) & (lo + 1 - hi <= max_crop + 1e-9)
            return lo[ok], hi[ok]
        return windows

    whole = [(0.0, 1.0), (0.0, 1.0)]
    tries = []
    for a_big, (big, small) in ((True, (a, b)), (False, (b, a))):
        target = _resample(small, whole, coarse_shape)
        window, cost = _search(big, target, coarse, whole, rounds=3)
        tries.append((cost, a_big, window))
    _, a_big, window = min(tries, key=lambda t: t[0])
    big, small = (a, b) if a_big else (b, a)
    target = _resample(small, whole, shape)
    for step in (0.005, 0.0025):
        window, _ = _search(big, target, fine(step), window, rounds=2)
    return a_big, window


def local_change(a: np.ndarray, b: np.ndarray) -> LocalChange:
    """How two aligned pictures (same shape, grey ``(h, w)`` or RGB ``(h, w, 3)``, values
    in [0, 1]) differ, locally.

    The local SSIM map of :func:`skimage.metrics.structural_similarity` (Gaussian
    window, sigma 1.5), averaged over tiles of an eighth of the shorter side. RGB is
    compared as luminance and two chroma channels (YCbCr), the least similar channel
    counting at each place; the chroma is smoothed first (Gaussian, sigma
    :data:`CHROMA_SIGMA`), as JPEG stores it at half resolution.

    Examples
    --------
    >>> a = np.ones((64, 64), "float32"); a[8:56, 8:56] = 0.2
    >>> b = a.copy(); b[24:40, 24:40] = 0.9       # one part redrawn
    >>> local_change(a, a).worst, local_change(a, b).worst < 0.5
    (1.0, True)
    """
    from scipy.ndimage import gaussian_filter, uniform_filter
    from skimage.metrics import structural_similarity

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3):
        raise ValueError(f"local_change needs two pictures of one shape, (h, w) or (h, w, 3); "
                         f"got {a.shape} and {b.shape}")
    if a.ndim == 3:
        a, b = a @ _YCBCR.T, b @ _YCBCR.T
        for img in (a, b):
            for c in (1, 2):
                img[..., c] = gaussian_filter(img[..., c] + 0.5, CHROMA_SIGMA)
    _, smap = structural_similarity(a, b, data_range=1.0, full=True, gaussian_weights=True,
                                    sigma=1.5, use_sample_covariance=False, K1=SSIM_K1,
                                    channel_axis=-1 if a.ndim == 3 else None)
    if smap.ndim == 3:
        smap = smap.min(axis=-1)
    tile = max(6, round(min(a.shape[:2]) / 8))
    tiles = uniform_filter(smap, size=tile, mode="nearest")
    return LocalChange(worst=round(float(tiles.min()), 6), low_share=float((smap < 0.5).mean()),
                       mean=float(smap.mean()), size=(int(a.shape[0]), int(a.shape[1])))


def _compare(a: np.ndarray, b: np.ndarray, mirror: bool, size: int) -> LocalChange:
    """Align (``b`` flipped too, for a mirror pair) and compare; the best-matching flip."""
    best = None
    for flip in (_FLIPS if mirror else _FLIPS[:1]):
        x, y = align(a, np.flip(b, flip) if flip else b, size)
        cost = float(((_grey(x) - _grey(y)) ** 2).mean())
        if best is None or cost < best[0]:
            best = (cost, x, y)
    return local_change(best[1], best[2])


#: Below this many pairs, judging stays in this process (a worker costs a second to start).
_PARALLEL_FROM = 256


def judge_variants(paths_a: Sequence[str], paths_b: Sequence[str], mirror: Sequence[bool],
                   *, size: int = 128, variant_below: float = 0.50,
                   review_below: float = 0.68, workers: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`judge_pairs_here`, spread over ``workers`` processes (``None``: one per
    CPU) when there are many pairs. Each pair is judged on its own, so the verdicts are
    the same whatever the number of workers; contiguous chunks keep the pairs that share
    an image together, for the decode cache."""
    n = len(paths_a)
    workers = (os.cpu_count() or 1) if workers is None else workers
    kwargs = dict(size=size, variant_below=variant_below, review_below=review_below)
    if workers <= 1 or n < _PARALLEL_FROM:
        return judge_pairs_here(paths_a, paths_b, mirror, **kwargs)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    bounds = np.linspace(0, n, 4 * workers + 1).astype(int)
    chunks = [(list(paths_a[lo:hi]), list(paths_b[lo:hi]), list(mirror[lo:hi]))
              for lo, hi in zip(bounds[:-1], bounds[1:]) if hi > lo]
    # spawn: the caller may hold threads (torch, faiss) that a forked child would inherit.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_judge_chunk, chunks, [kwargs] * len(chunks)))
    return tuple(np.concatenate([part[k] for part in parts]) for k in range(3))


def _judge_chunk(chunk: tuple, kwargs: dict):
    return judge_pairs_here(*chunk, **kwargs)


def judge_pairs_here(paths_a: Sequence[str], paths_b: Sequence[str], mirror: Sequence[bool],
                     *, size: int = 128, variant_below: float = 0.50,
                     review_below: float = 0.68) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copy or variant, for pairs of image files the near-duplicate rule calls duplicates.

    Parameters
    ----------
    paths_a, paths_b
        The two files of each pair.
    mirror
        Whether each pair is a mirror image (then ``b`` is also compared flipped).
    size
        Largest side, in pixels, at which the aligned pair is compared.
    variant_below, review_below
        Worst-tile SSIM (:class:`LocalChange`) below which a pair is a variant, and
        below which (down to ``variant_below``) it is listed for review.

    Returns
    -------
    (verdict, why, worst)
        ``verdict`` holds ``"duplicate"`` (a copy), ``"review"``, ``"variant"`` or None
        (not compared: a file could not be read, or a picture is under
        :data:`MIN_SIDE` pixels); ``why`` the figures; ``worst`` the worst-tile SSIM
        (NaN when not compared).
    """
    from ..pixels.images import ImageDecodeError

    n = len(paths_a)
    verdict = np.full(n, None, dtype=object)
    why = np.full(n, None, dtype=object)
    worst = np.full(n, np.nan)
    cache: OrderedDict[str, np.ndarray | str] = OrderedDict()

    def load(path: str) -> np.ndarray | str:
        if path in cache:
            cache.move_to_end(path)
            return cache[path]
        try:
            value: np.ndarray | str = rgb_image(path, 2 * size)
        except (OSError, ValueError, ImageDecodeError) as exc:
            value = f"{path} could not be read ({type(exc).__name__})"
        cache[path] = value
        if len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
        return value

    for k, (pa, pb, flip) in enumerate(zip(paths_a, paths_b, mirror)):
        a, b = load(str(pa)), load(str(pb))
        if isinstance(a, str) or isinstance(b, str):
            why[k] = f"files not compared: {a if isinstance(a, str) else b}"
            continue
        if min(*a.shape[:2], *b.shape[:2]) < MIN_SIDE:
            why[k] = f"files not compared: a side under {MIN_SIDE} pixels"
            continue
        change = _compare(a, b, bool(flip), size)
        worst[k] = change.worst
        figures = (f"worst tile SSIM {change.worst:.2f} at {change.size[1]}x{change.size[0]}, "
                   f"{change.low_share:.0%} of the picture below 0.5")
        if change.worst < variant_below:
            verdict[k] = "variant"
            why[k] = f"a local part differs (variant): {figures} < {variant_below}"
        elif change.worst < review_below:
            verdict[k] = "review"
            why[k] = f"a local part may differ: {figures} < {review_below}"
        else:
            verdict[k] = "duplicate"
            why[k] = f"aligned pixels agree: {figures} >= {review_below}"
    return verdict, why, worst


def check_pairs(pairs: pd.DataFrame, paths: np.ndarray, codes: np.ndarray | None,
                ok_hash: np.ndarray | None, config: DedupConfig) -> None:
    """Compare the pairs judged ``duplicate`` on their files; update them in place.

    ``pairs`` is the frame of :func:`~workbench.core.dedup.candidates.near_duplicate_pairs`
    (its ``local``, ``verdict`` and ``why`` columns change); ``paths`` one file per
    record (missing: not compared); ``codes``/``ok_hash`` the pHashes, which tell the
    mirror pairs (compared flipped).
    """
    rows = np.flatnonzero(pairs["verdict"].to_numpy() == "duplicate")
    i, j = pairs["i"].to_numpy()[rows], pairs["j"].to_numpy()[rows]
    have = pd.notna(paths[i]) & pd.notna(paths[j])
    rows, i, j = rows[have], i[have], j[have]
    if rows.size == 0:
        return
    mirror = np.zeros(rows.size, dtype=bool)
    if codes is not None:
        both = ok_hash[i] & ok_hash[j]
        mirror[both] = (hamming_distance(codes, i[both], j[both])
                        - mirrored_distance(codes, i[both], j[both])) >= MIRROR_MARGIN
    verdict, why, worst = judge_variants(
        paths[i], paths[j], mirror, size=config.local_size,
        variant_below=config.variant_ssim, review_below=config.variant_review)
    pairs.loc[rows, "local"] = worst
    done = np.array([v is not None for v in verdict], dtype=bool)
    pairs.loc[rows[done], "verdict"] = verdict[done]
    pairs.loc[rows, "why"] = [f"{w}; {v}" for w, v in zip(pairs["why"].to_numpy()[rows], why)]
