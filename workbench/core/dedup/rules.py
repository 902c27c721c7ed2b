"""The near-duplicate rule: its settings, and the verdict on each candidate pair.

:class:`DedupConfig` holds every threshold; :func:`judge_pairs` turns a pair's three
signals (embedding cosine, pHash distance, colour distance) into ``duplicate``,
``review`` or ``different``, with the figures that decided it. The search for candidate
pairs and the choice of which copy to keep live in :mod:`workbench.core.dedup.candidates`.

Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

METHODS = ("semdedup", "brute")

# imagehash.phash keeps the 8 x 8 lowest DCT frequencies, row (vertical frequency) by
# row, and writes them most significant bit first. Mirroring an image left-right negates
# every coefficient of odd horizontal frequency, so its hash is about the original's
# with those bits inverted; upside down, odd vertical frequencies; rotated 180°, both.
_BIT = [1 << (63 - k) for k in range(64)]
_MIRRORS = tuple(np.uint64(sum(b for k, b in enumerate(_BIT) if keep(k // 8, k % 8)))
                 for keep in (lambda v, u: u % 2, lambda v, u: v % 2,
                              lambda v, u: (u + v) % 2))
#: A pair is a mirror image when its mirrored hashes are this many bits closer than its
#: hashes as they are (mirrored pairs: 30 against 2 to 8 bits on real stamps).
MIRROR_MARGIN = 12
_POPCOUNT = np.array([v.bit_count() for v in range(256)], dtype=np.int64)


@dataclass(frozen=True)
class DedupConfig:
    """How near duplicates are found and judged.

    Two images are near duplicates when their structure and their colours agree.
    With colour signatures on both (records column ``color_signature``, from
    :func:`workbench.core.pixels.color.color_signature`), the structure agrees when the
    pHashes are within ``color_phash_max`` bits (and the cosine reaches
    ``min_cosine``), or when the cosine reaches ``color_cosine`` and the pHashes are
    within ``crop_phash_max`` bits without being mirror images of each other (a crop
    moves the pHash more than the embedding). The colours agree when
    :func:`~workbench.core.pixels.color.color_distance` is at most ``color_max``. A pair whose
    structure agrees and whose colour distance lies in the grey zone (``color_max``,
    ``color_review``], or a mirror image with agreeing colours, is listed for review and
    kept. Above ``color_review`` the two are different images (a recolour, another skin
    tone). The defaults come from transformed copies and recolours of real clip art
    (``tests/pure/test_dedup_real.py``).

    A pair where either record has no colour signature (or ``color_max=None``) is
    judged on structure alone, as before colour signatures existed: cosine at least
    ``threshold`` and, where both have a pHash, at most ``phash_max`` bits apart.

    Attributes
    ----------
    threshold
        Cosine similarity at or above which two items without colour signatures are
        near duplicates (with ``phash_max``). 0.95 is a conservative starting point for
        CLIP-like embeddings; tune it on your data.
    method
        ``"semdedup"`` (k-means, then pairs within clusters; scales to millions) or
        ``"brute"`` (all pairs; exact, quadratic).
    n_clusters
        Number of k-means clusters for ``semdedup``; ``"auto"`` uses ``round(sqrt(N))``,
        or all pairs when ``N <= 5000``.
    n_assign
        Each point joins this many nearest clusters, so pairs straddling a cluster
        border are still compared.
    seed
        Seed for k-means.
    phash_max
        Without colour signatures, a pair found by the embeddings must also be within
        this many bits (Hamming distance of the 64-bit pHash) when both records carry a
        ``phash``. ``None`` ignores pHashes everywhere.
    color_max
        Colour distance at or below which two images' colours agree. ``None`` ignores
        colour signatures: every pair is judged as without them. 0.015 let about 1% of
        real recolours through while finding 97% of re-encoded, resized, cropped and
        palette copies.
    color_review
        Colour distance up to which a pair whose structure agrees is listed for review
        rather than called different (0.08 held every such copy on real clip art).
    color_phash_max
        With colour signatures: pHashes within this many bits make the structure agree.
    color_cosine
        With colour signatures: a cosine at or above this makes the structure agree
        when the pHashes are within ``crop_phash_max`` bits and are not mirror images
        of each other (one flipped or turned 180°).
    crop_phash_max
        See ``color_cosine``: a crop of up to 8% moved the pHash by up to 24 bits in
        95% of real cases; other glyphs of one alphabet sit from 12 bits on.
    min_cosine
        Pairs below this cosine (or below ``threshold`` or ``color_cosine``, if lower)
        are never compared. A small image shrunk to half size can embed far from its
        original (cosine 0.65 with the bundled model) while its pHash stays close.
    mirrors_are_copies
        ``False`` (default): a mirror image with agreeing colours is listed for review
        and kept (a left arrow is not a right arrow). ``True``: it is a copy, for
        training with flip augmentation (its files are compared flipped).
    local_check
        Whether a pair the signals call duplicates is also compared on its files (records
        column ``filepath``), to tell a copy from a *variant* that keeps the frame and
        changes a local part (:mod:`workbench.core.dedup.variants`).
    local_size
        Largest side, in pixels, at which the local check compares the aligned pair.
    variant_ssim, variant_review
        Worst-tile local SSIM below which the pair is a variant (kept, verdict
        ``"variant"``), and below which, down to ``variant_ssim``, it is listed for
        review. Chosen on copies and planted variants (another symbol, glyph or half)
        of real clip art (``tests/pure/test_dedup_real.py``).

    Examples
    --------
    >>> DedupConfig(threshold=0.97).threshold
    0.97
    >>> DedupConfig(color_max=0.03, color_review=0.2).radius
    0.6
    """

    threshold: float = 0.95
    method: str = "semdedup"
    n_clusters: int | str = "auto"
    n_assign: int = 2
    seed: int = 0
    phash_max: int | None = 12
    color_max: float | None = 0.015
    color_review: float = 0.08
    color_phash_max: int = 8
    color_cosine: float = 0.90
    crop_phash_max: int = 24
    min_cosine: float = 0.60
    mirrors_are_copies: bool = False
    local_check: bool = True
    local_size: int = 128
    variant_ssim: float = 0.50
    variant_review: float = 0.68

    def __post_init__(self) -> None:
        for name in ("threshold", "color_cosine", "min_cosine"):
            if not -1.0 <= float(getattr(self, name)) <= 1.0:
                raise ValueError(f"DedupConfig.{name} is a cosine similarity, so it must lie "
                                 f"in [-1, 1]; got {getattr(self, name)}")
        if self.method not in METHODS:
            raise ValueError(f"DedupConfig.method must be one of {list(METHODS)}; "
                             f"got {self.method!r}")
        if self.n_clusters != "auto" and not (isinstance(self.n_clusters, (int, np.integer))
                                              and self.n_clusters >= 1):
            raise ValueError("DedupConfig.n_clusters must be 'auto' or a positive int; "
                             f"got {self.n_clusters!r}")
        if not (isinstance(self.n_assign, (int, np.integer)) and self.n_assign >= 1):
            raise ValueError(f"DedupConfig.n_assign must be an int >= 1; got {self.n_assign!r}")
        for name, optional in (("phash_max", True), ("color_phash_max", False),
                               ("crop_phash_max", False)):
            value = getattr(self, name)
            if (value is not None or not optional) and (
                    isinstance(value, bool) or not isinstance(value, (int, np.integer))
                    or not 0 <= value <= 64):
                raise ValueError(f"DedupConfig.{name} is a Hamming distance between 64-bit "
                                 f"pHashes, an int in [0, 64]; got {value!r}")
        if self.color_max is not None and not (
                0.0 <= float(self.color_max) <= float(self.color_review) <= 1.0):
            raise ValueError("DedupConfig needs 0 <= color_max <= color_review <= 1 (colour "
                             f"distances); got color_max={self.color_max}, "
                             f"color_review={self.color_review}")

        for name in ("mirrors_are_copies", "local_check"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"DedupConfig.{name} must be True or False; "
                                 f"got {getattr(self, name)!r}")
        if isinstance(self.local_size, bool) or not isinstance(
                self.local_size, (int, np.integer)) or not 32 <= self.local_size <= 1024:
            raise ValueError("DedupConfig.local_size is a side in pixels, an int in "
                             f"[32, 1024]; got {self.local_size!r}")
        if not -1.0 <= float(self.variant_ssim) <= float(self.variant_review) <= 1.0:
            raise ValueError("DedupConfig needs -1 <= variant_ssim <= variant_review <= 1 "
                             f"(local SSIM); got variant_ssim={self.variant_ssim}, "
                             f"variant_review={self.variant_review}")

    @property
    def radius(self) -> float:
        """The lowest cosine at which a pair is compared at all."""
        if self.color_max is None:
            return float(self.threshold)
        return float(min(self.threshold, self.color_cosine, self.min_cosine))


def phash_codes(phash: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """64-bit pHashes as ``uint64`` plus a mask of the rows that have a valid one.

    Examples
    --------
    >>> codes, ok = phash_codes(pd.Series(["ff00ff00ff00ff00", None, "xyz"]))
    >>> hex(int(codes[0])), ok.tolist()
    ('0xff00ff00ff00ff00', [True, False, False])
    """
    codes = np.zeros(len(phash), dtype=np.uint64)
    ok = np.zeros(len(phash), dtype=bool)
    for row, h in enumerate(phash.tolist()):
        try:
            value = int(str(h).strip(), 16)
        except ValueError:
            continue
        if 0 <= value < 1 << 64:
            codes[row], ok[row] = value, True
    return codes, ok


def _popcount(x: np.ndarray) -> np.ndarray:
    return _POPCOUNT[np.ascontiguousarray(x, dtype=np.uint64).view(np.uint8).reshape(-1, 8)
                     ].sum(axis=1)


def hamming_distance(codes: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Bits that differ between ``codes[i]`` and ``codes[j]`` (``uint64`` pHashes).

    Examples
    --------
    >>> codes, _ = phash_codes(pd.Series(["00ff", "00fe", "ff00"]))
    >>> hamming_distance(codes, np.array([0, 0]), np.array([1, 2])).tolist()
    [1, 16]
    """
    return _popcount(codes[i] ^ codes[j])


def mirrored_distance(codes: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Hamming distance of rows ``i`` and ``j`` once one of them is mirrored or turned 180°.

    The smallest over left-right, upside-down and both (see :data:`MIRROR_MARGIN`).

    Examples
    --------
    >>> h = 0x0123456789ABCDEF
    >>> flipped = h ^ 0x5555555555555555  # every odd horizontal frequency inverted
    >>> codes, _ = phash_codes(pd.Series([hex(h), hex(flipped)]))
    >>> int(hamming_distance(codes, [0], [1])[0]), int(mirrored_distance(codes, [0], [1])[0])
    (32, 0)
    """
    x = codes[i] ^ codes[j]
    return np.min([_popcount(x ^ m) for m in _MIRRORS], axis=0)


def judge_pairs(cosine: np.ndarray, phash: np.ndarray, mirrored: np.ndarray,
                color: np.ndarray, config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """The verdict on each candidate pair, and why.

    Parameters
    ----------
    cosine
        Embedding cosine of each pair.
    phash, mirrored
        pHash Hamming distance of each pair as it is and once mirrored
        (:func:`mirrored_distance`); -1 where either record has no pHash.
    color
        Colour distance of each pair; NaN where either record has no signature.
    config
        The thresholds.

    Returns
    -------
    (verdict, why)
        ``verdict`` holds ``"duplicate"``, ``"review"`` or ``"different"``; ``why`` the
        figures and thresholds that decided it (None for ``"different"``).

    Examples
    --------
    >>> verdict, why = judge_pairs(np.array([0.97, 0.97, 0.97]), np.array([3, 3, 3]),
    ...                            np.array([30, 30, 30]), np.array([0.01, 0.05, 0.3]),
    ...                            DedupConfig())
    >>> verdict.tolist()
    ['duplicate', 'review', 'different']
    >>> why[0]
    'pHash 3 <= 8 and colour 0.010 <= 0.015'
    """
    cfg = config
    cosine = np.asarray(cosine, dtype=np.float64)
    phash, mirrored = np.asarray(phash), np.asarray(mirrored)
    color = np.asarray(color, dtype=np.float64)
    has_ph = (phash >= 0) & (cfg.phash_max is not None)
    has_col = ~np.isnan(color) & (cfg.color_max is not None)
    verdict = np.full(cosine.size, "different", dtype=object)
    why = np.full(cosine.size, None, dtype=object)

    legacy = ~has_col & (cosine >= cfg.threshold)
    if cfg.phash_max is not None:
        legacy &= ~has_ph | (phash <= cfg.phash_max)
    verdict[legacy] = "duplicate"
    why[legacy] = [f"no colour signature: cosine {c:.3f} >= {cfg.threshold}"
                   + (f" and pHash {p} <= {cfg.phash_max}" if p >= 0 else "")
                   for c, p in zip(cosine[legacy], np.where(has_ph, phash, -1)[legacy])]
    if cfg.color_max is None:
        return verdict, why

    mirror = has_ph & (mirrored <= cfg.color_phash_max) & (phash - mirrored >= MIRROR_MARGIN)
    pixels = has_ph & (phash <= cfg.color_phash_max) & (cosine >= cfg.min_cosine)
    content = (cosine >= cfg.color_cosine) & ~mirror & (~has_ph | (phash <= cfg.crop_phash_max))
    near = np.where(has_col, color, np.inf)
    agree = has_col & (pixels | content)
    dup = agree & (near <= cfg.color_max)
    grey = agree & (near > cfg.color_max) & (near <= cfg.color_review)
    flipped = has_col & mirror & (cosine >= cfg.color_cosine) & (near <= cfg.color_review) \
        & ~pixels
    verdict[dup] = "duplicate"
    why[dup] = [(f"pHash {p} <= {cfg.color_phash_max}" if px else
                 f"cosine {c:.3f} >= {cfg.color_cosine}"
                 + (f" (pHash {p} <= {cfg.crop_phash_max})" if p >= 0 else ""))
                + f" and colour {d:.3f} <= {cfg.color_max}"
                for c, p, d, px in zip(cosine[dup], np.where(has_ph, phash, -1)[dup], near[dup],
                                       pixels[dup])]
    verdict[grey | flipped] = "review"
    why[grey] = [f"structure agrees, colour {d:.3f} between {cfg.color_max} and "
                 f"{cfg.color_review}" for d in near[grey]]
    why[flipped] = [f"mirror image: pHash {p} as is, {m} mirrored; colour {d:.3f}"
                    for p, m, d in zip(phash[flipped], mirrored[flipped], near[flipped])]
    if cfg.mirrors_are_copies:  # flip augmentation: a mirror image is a copy
        copy = flipped & (near <= cfg.color_max)
        verdict[copy] = "duplicate"
        why[copy] = [w + f" <= {cfg.color_max} (mirrors are copies)" for w in why[copy]]
    return verdict, why
