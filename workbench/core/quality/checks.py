"""Quality judgements relative to the collection: which images are blank, dark, washed out,
blurry, mostly padding, below the training resolution or of an extreme aspect ratio.

Pure numpy/pandas. The scores come from :func:`workbench.core.quality.scores.quality_scores`
(one small decode per image); :func:`judge_quality` turns a whole collection's scores and
header sizes into a :class:`QualityResult`, in which every flag records its score, the
threshold it crossed and why that threshold (:class:`Flag`).

How a picture check sets its threshold
--------------------------------------
Each picture check looks at one score on a log2 scale where lower is worse (table below).
Its threshold sits ``gap`` below the collection's median, where ``gap`` is ``z`` robust
standard deviations (``1.4826 * MAD``), kept within the check's ``(min, max)`` gap:

* the median is where the collection is; it moves by little while fewer than half of the
  images share a defect;
* ``z * MAD`` widens the gap for a collection whose images vary a lot;
* the minimum gap keeps a collection of near-identical images (MAD 0, as the highlights of
  clip art on white are) from flagging trivial differences;
* the maximum gap keeps a very varied collection, or one where many images share a
  defect (which inflates the MAD), from flagging nothing at all.

=================  ===========  ==================================  =================
check              score        judged on (log2; lower is worse)    gap, default
=================  ===========  ==================================  =================
``blank``          content      content share                       4 to 6 octaves
                   *and* edges  edges (drawn length, image sides)   2 to 3 octaves
``dark``           brightest    brightest + 1 (stops)               1.5 to 2 stops
``washed_out``     darkest      256 - darkest (stops below white)   1.5 to 2 stops
``blurry``         sharpness    sharpness                           0.5 to 1 octave
``mostly_padding`` padding      1 - padding (content box share)     2 to 3 octaves
=================  ===========  ==================================  =================

``blank`` flags a tiny content area only when little is drawn in it: a 1 px outline
drawing or a thin thermometer covers few pixels but draws long edges, and is not blank.
Its edges gap is half its content gap (a length shrinks one octave where an area shrinks
two), so ``gaps["blank"]`` sets both. ``washed_out`` needs the whole picture pale: its
score is the deepest tone that a short stroke reaches (dark *or* saturated), so line
art with dark strokes and pastel colours with dark outlines are not washed out however
few pixels the strokes cover. There is no over-exposure check: a bright picture that
keeps its dark strokes or strong colours is a style.

The one absolute floor is physical: an image in which nothing differs visibly from its
background (``content <= blank_floor``; a fully transparent image arrives as one flat
colour) is blank whatever the collection. It gets no other picture flag and takes no part
in the statistics. A collection smaller than ``min_collection`` is judged against
reference statistics instead (:data:`REFERENCE`, measured on 796 real clip-art images),
unless those would flag most of it: a defect is an exception, so a small set of soft
photographs is judged against its own median (the widest gap below it), not flagged
blurry as a whole for being softer than clip art.

The two size checks follow the training set-up, not the collection: ``below_resolution``
(``sqrt(width * height) < resolution``: the trainer would have to upscale it) and
``extreme_aspect`` (long side / short side above ``max_aspect``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ...schema import quality_reason
from .policy import (CHECKS, DEFAULT_GAPS, PICTURE_CHECKS, QUALITY_EXCLUDE, REFERENCE,
                     SIZE_CHECKS, QualityPolicy)
from .result import Flag, QualityResult, Threshold
from .scores import SCORE_NAMES

__all__ = ["CHECKS", "DEFAULT_GAPS", "PICTURE_CHECKS", "QUALITY_EXCLUDE", "REFERENCE",
           "SIZE_CHECKS", "Flag", "QualityPolicy", "QualityResult", "Threshold", "judge_quality",
           "quality_exclusions"]

#: Per picture check: (score, the log2 scale's unit and quantity, to log2, back to the score,
#: whether a defect is a *high* score).
_SCALES = {
    "blank": ("content", "octaves", "content", np.log2, np.exp2, False),
    "dark": ("brightest", "stops", "brightest + 1", lambda v: np.log2(v + 1.0),
             lambda t: np.exp2(t) - 1.0, False),
    "washed_out": ("darkest", "stops", "256 - darkest", lambda v: np.log2(256.0 - v),
                   lambda t: 256.0 - np.exp2(t), True),
    "blurry": ("sharpness", "octaves", "sharpness", np.log2, np.exp2, False),
    "mostly_padding": ("padding", "octaves", "1 - padding", lambda v: np.log2(1.0 - v),
                       lambda t: 1.0 - np.exp2(t), True),
}
#: The second score ``blank`` is judged on (see :func:`_picture_check`).
_EDGES_SCALE = ("edges", "octaves", "edges", np.log2, np.exp2, False)

#: Fewest judged images whose own median can hold back the reference statistics.
_MIN_OWN_MEDIAN = 3


def quality_exclusions(issues: Sequence[object], exclude: Sequence[str]) -> np.ndarray:
    """The quality reason that excludes each item (``quality:<check>``), or ``None``.

    ``issues`` holds, per item, the checks it failed (a list; ``None`` when it was never
    checked). The first failed check in ``exclude`` order gives the reason, as in
    :meth:`QualityResult.exclusions`.

    Examples
    --------
    >>> quality_exclusions([["blurry"], None, ["below_resolution"]], ("blank", "blurry")).tolist()
    ['quality:blurry', None, None]
    """
    out = np.full(len(issues), None, dtype=object)
    for row, failed in enumerate(issues):
        if isinstance(failed, (list, tuple, np.ndarray)) and len(failed):
            first = next((c for c in exclude if c in set(failed)), None)
            if first is not None:
                out[row] = quality_reason(first)
    return out


def judge_quality(
    scores: Sequence[Mapping[str, float] | None] | pd.DataFrame,
    widths: Sequence[int | None],
    heights: Sequence[int | None],
    policy: QualityPolicy | None = None,
    *,
    ids: Sequence | None = None,
) -> QualityResult:
    """Judge a collection's quality scores and header sizes against the collection itself.

    Parameters
    ----------
    scores
        Per item, the dict :func:`~workbench.core.quality.scores.quality_scores` returned
        (or ``None`` for an item that was not decoded: only its size is judged), or a
        DataFrame with those columns.
    widths, heights
        Header sizes in pixels, in the same order (``None`` where unknown).
    policy
        The checks and their limits; default :class:`QualityPolicy()`.
    ids
        Item ids (sample ids or paths); default ``0 .. n-1``.

    Returns
    -------
    QualityResult

    Raises
    ------
    ValueError
        When the lengths differ, or a score is missing from an item's scores.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> scores = [{"content": c, "padding": 0.1, "brightest": 255.0, "darkest": 10.0,
    ...            "sharpness": s, "edges": 20.0} for c, s in zip(rng.uniform(0.3, 0.7, 60),
    ...                                                           rng.uniform(0.6, 1.0, 60))]
    >>> scores[0] = {**scores[0], "content": 0.0}      # fully transparent: one flat colour
    >>> scores[1] = {**scores[1], "sharpness": 0.28}   # blurred
    >>> result = judge_quality(scores, [600] * 60, [600] * 60)
    >>> result.issues[:3]
    [['blank'], ['blurry'], []]
    >>> result.flags[1][0]  # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
    Flag(check='blurry', score=0.28, threshold=0.436...,
         basis='collection median sharpness 0.848, 0.96 octaves below it on log2(sharpness)
                (3.5 MAD = 0.96, kept within [0.5, 1])')
    >>> result.exclusions()
    {0: 'quality:blank', 1: 'quality:blurry'}
    """
    policy = policy if policy is not None else QualityPolicy()
    table = _score_table(scores)
    n = len(table)
    for name, values in (("widths", widths), ("heights", heights), ("ids", ids)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} must have one entry per item ({n} scores); got "
                             f"{len(values)}")
    ids = list(range(n)) if ids is None else list(ids)
    width = pd.to_numeric(pd.Series(list(widths), dtype=object), errors="coerce").to_numpy(float)
    height = pd.to_numeric(pd.Series(list(heights), dtype=object), errors="coerce").to_numpy(float)
    sizes = pd.DataFrame({"width": width, "height": height, "side": np.sqrt(width * height),
                          "aspect": np.maximum(width, height) / np.minimum(width, height)})
    blank = (table["content"] <= policy.blank_floor).to_numpy()
    flags: list[list[Flag]] = [[] for _ in range(n)]
    thresholds: dict[str, Threshold] = {}
    for check in (c for c in CHECKS if c in policy.checks):
        if check in PICTURE_CHECKS:
            threshold, hit = _picture_check(check, table, blank, policy)
        else:
            threshold, hit = _size_check(check, sizes, policy)
        thresholds[check] = threshold
        score = sizes[threshold.score] if check in SIZE_CHECKS else table[threshold.score]
        for i in np.flatnonzero(hit):
            flags[i].append(Flag(check, float(score.iloc[i]), threshold.value, threshold.basis))
        if check == "blank":
            for i in np.flatnonzero(blank):  # never in ``hit``: they are not judged
                flags[i].append(Flag("blank", float(table["content"].iloc[i]),
                                     policy.blank_floor, _FLOOR_BASIS))
    return QualityResult(ids=ids, flags=flags, thresholds=thresholds,
                         scores=pd.concat([sizes, table], axis=1), policy=policy)


_FLOOR_BASIS = "absolute floor: nothing differs visibly from the background"


def _score_table(scores) -> pd.DataFrame:
    """The scores as a float DataFrame with :data:`SCORE_NAMES` columns (NaN if missing)."""
    if isinstance(scores, pd.DataFrame):
        rows = scores
    else:
        rows = pd.DataFrame([dict(s) if s is not None else {} for s in scores],
                            columns=list(SCORE_NAMES))
        present = [s for s in scores if s is not None]
        missing = sorted({k for s in present for k in SCORE_NAMES if k not in s})
        if missing:
            raise ValueError(f"every item's scores must hold {list(SCORE_NAMES)}; missing "
                             f"{missing}")
    absent = [k for k in SCORE_NAMES if k not in rows.columns]
    if absent:
        raise ValueError(f"scores must have columns {list(SCORE_NAMES)}; missing {absent}")
    return rows.loc[:, list(SCORE_NAMES)].astype(float).reset_index(drop=True)


def _picture_check(check: str, table: pd.DataFrame, blank: np.ndarray,
                   policy: QualityPolicy) -> tuple[Threshold, np.ndarray]:
    """The threshold for one picture check and which items fall past it.

    ``blank`` needs two scores below their thresholds: the content share (the check's gap,
    in octaves of area) and the edges (half that gap, in octaves of length, since a
    length shrinks by one octave where an area shrinks by two).
    """
    lo, hi = policy.gaps[check]
    threshold, hit = _threshold(check, _SCALES[check], table, blank, policy, lo, hi)
    if check != "blank":
        return threshold, hit
    edges, edges_hit = _threshold(check, _EDGES_SCALE, table, blank, policy, lo / 2, hi / 2)
    op = ">" if edges.flags_above else "<"
    basis = f"{threshold.basis}; and edges {op} {edges.value:.3g}: {edges.basis}"
    return replace(threshold, basis=basis, also=edges), hit & edges_hit


def _threshold(check: str, scale: tuple, table: pd.DataFrame, blank: np.ndarray,
               policy: QualityPolicy, lo: float, hi: float) -> tuple[Threshold, np.ndarray]:
    """The threshold on one score, ``(lo, hi)`` gap below the median, and its hits."""
    score, unit, quantity, to_log, from_log, high_is_bad = scale
    with np.errstate(divide="ignore", invalid="ignore"):
        logged = to_log(table[score].to_numpy(float))
    judged = np.isfinite(logged) & ~blank
    if judged.sum() >= policy.min_collection:
        source, values = "collection", logged[judged]
        centre = float(np.median(values))
        spread = 1.4826 * float(np.median(np.abs(values - centre)))
    else:
        source = "reference"
        median, spread = REFERENCE[score]
        centre = float(to_log(median))
    gap = float(np.clip(policy.z * spread, lo, hi))
    if source == "reference" and judged.sum() >= _MIN_OWN_MEDIAN:
        with np.errstate(invalid="ignore"):
            share = float((logged[judged] < centre - gap).mean())
        own = float(np.median(logged[judged]))
        if share > 0.5 and own - hi < centre - gap:
            # The reference would flag most of the collection: a defect is an exception,
            # so this collection differs from the reference; judge it against itself.
            source, centre, gap = "small collection", own, hi
            spread = float("nan")
    value = float(from_log(centre - gap))
    why = (f"the widest gap: {int(judged.sum())} images are too few to measure a spread, "
           f"and the reference would flag most of them" if source == "small collection" else
           f"{policy.z:g} MAD = {policy.z * spread:.2g}, kept within [{lo:g}, {hi:g}]")
    basis = (f"{source} median {score} {float(from_log(centre)):.3g}, {gap:.3g} {unit} below "
             f"it on log2({quantity}) ({why})")
    with np.errstate(invalid="ignore"):  # -inf (no edges at all) is past any threshold
        hit = ~blank & ~np.isnan(logged) & (logged < centre - gap)
    return Threshold(check, score, value, high_is_bad, basis, source,
                     median=float(from_log(centre)), spread=spread, gap=gap,
                     n=int(judged.sum())), hit


def _size_check(check: str, sizes: pd.DataFrame,
                policy: QualityPolicy) -> tuple[Threshold, np.ndarray]:
    """The threshold for one size check (from the policy) and which items fail it."""
    if check == "below_resolution":
        value = float(policy.resolution)
        basis = (f"policy: training resolution {policy.resolution}; sqrt(width * height) "
                 "below it means upscaling")
        with np.errstate(invalid="ignore"):
            hit = (sizes["side"] < value).to_numpy()
        return Threshold(check, "side", value, False, basis, "policy"), hit
    value = float(policy.max_aspect)
    basis = f"policy: long side / short side above {policy.max_aspect:g}"
    with np.errstate(invalid="ignore"):
        hit = (sizes["aspect"] > value).to_numpy()
    return Threshold(check, "aspect", value, True, basis, "policy"), hit
