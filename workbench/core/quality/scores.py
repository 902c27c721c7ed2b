"""Image quality scores from one decoded picture: content, tones, sharpness, padding, edges.

Pure numpy/Pillow. The loader calls :func:`quality_scores` on the RGB image it has
already decoded (:func:`workbench.core.pixels.images.open_rgb` with ``draft_size=INSPECT_SIZE``:
never upscaled, transparency flattened on white). Every score is built to mean the same
thing at any image size: a 32 px icon with crisp edges is as sharp as a 512 px drawing.

The scores say what the picture is like; whether that is a defect depends on the
collection, and is judged by :func:`workbench.core.quality.checks.judge_quality`.

=============  ==========================================================================
score          meaning
=============  ==========================================================================
``content``    share of pixels that differ visibly (by more than :data:`VISIBLE_STEP`
               levels in some channel) from the background colour, the most common
               colour of the outermost pixel ring. 0.0 for one flat colour, which is what
               a fully transparent image becomes.
``padding``    share of the image outside the content box: the box holding all but
               :data:`BOX_TRIM` of the visible pixels along each axis (a stray pixel
               does not stretch it). 1.0 when nothing is visible.
``brightest``  the 99th percentile, inside the content box, of each pixel's brightest
               channel (0-255): how bright the highlights get. Low in a dark picture.
``darkest``    the deepest tone the picture reaches: the darkest channel (0-255) of the
               background colour, or of the :func:`stroke_pixels`-th deepest visible
               pixel if that is deeper. A pixel is deep when it is dark *or* saturated
               (pure yellow has a blue channel of 0), so a bright but colourful picture
               is not washed out; and a short stroke is enough (a 1 px outline drawing
               reaches the tone of its outline), while one stray pixel is not. High only
               when the whole picture is pale: no dark stroke and no strong colour.
``sharpness``  edge steepness, about 0.25 to 1 (higher for noise, fine texture and
               aliased staircase edges): ``k * sum(d1**2) / sum(dk**2)`` over both axes
               of the luminance, with ``d1`` the 1-pixel and ``dk`` the ``k``-pixel
               differences (``k`` = :data:`EDGE_SPAN`). A step edge gives 1.0 and a ramp
               wider than ``k`` pixels ``1/k``, whatever the edge's contrast, the amount
               of content or the image's size; a step blurred with a Gaussian of sigma
               0.5, 1, 1.5, 2 and 3 px gives 0.60, 0.38, 0.31, 0.29 and 0.27. NaN when
               nothing is visible or the picture has no edges.
``edges``      drawn structure: how many pairs of neighbouring pixels (across both axes)
               differ in luminance by more than :data:`VISIBLE_STEP` (in the content box
               widened as for ``sharpness``), per pixel of the image's side
               ``sqrt(width * height)``: roughly the length of the edges, in image sides
               (a filled square half the image's side gives 2, a 1 px line across the
               image 2, a speck 1/16 of the side about 1/4). 0.0 when nothing is visible.
=============  ==========================================================================

Transparency reaches the scores flattened on white, as the loader decodes it: a
transparent pixel is background, never content, and a partly transparent stroke pixel
(anti-aliasing) is a lighter tone of its colour, which is why ``darkest`` looks at the
deepest pixels of the visible ones rather than at a share of the whole picture.

Images larger than :data:`SCORE_SIZE` on their long side are first reduced (box filter)
to fit it, the size a fine-tuning run sees; smaller ones are scored as they are.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

#: Longest side (pixels) the scores are measured at; larger images are reduced to it.
SCORE_SIZE = 512
#: Smallest difference from the background, in 8-bit levels of one channel, that counts
#: as visible content: 16 of 255 (6%) is plainly visible and above JPEG noise.
VISIBLE_STEP = 16
#: Share of the visible pixels left outside the content box, along each axis (split
#: between both ends), so that one stray pixel cannot stretch the box.
BOX_TRIM = 0.005
#: Span ``k`` (pixels) of the wide differences the sharpness compares edges with.
EDGE_SPAN = 4
#: Percentile of the highlights (``brightest``), inside the content box.
BRIGHT_PERCENTILE = 99.0
#: Length of the shortest stroke that sets ``darkest``, as a share of the image's side:
#: the deepest tone at least this many pixels reach (and never fewer than
#: :data:`MIN_STROKE_PIXELS`), so that a thin outline counts and a stray pixel does not.
STROKE_SHARE = 1 / 32
#: Fewest pixels that set ``darkest``, for the smallest icons.
MIN_STROKE_PIXELS = 3

#: The keys of :func:`quality_scores`, in order.
SCORE_NAMES = ("content", "padding", "brightest", "darkest", "sharpness", "edges")


def quality_scores(image: Image.Image) -> dict[str, float]:
    """Measure one decoded image: content, padding, tones, sharpness and edges.

    Parameters
    ----------
    image
        A Pillow image, as :func:`~workbench.core.pixels.images.open_rgb` returns it (RGB;
        other modes are converted, with transparency flattened on white).

    Returns
    -------
    dict
        ``content``, ``padding``, ``brightest``, ``darkest``, ``sharpness``, ``edges`` as
        floats (see the module's table). ``sharpness`` is NaN for a picture without edges.

    Raises
    ------
    TypeError
        When ``image`` is not a Pillow image.
    ValueError
        When ``image`` has no pixels.

    Examples
    --------
    >>> from PIL import Image, ImageDraw
    >>> img = Image.new("RGB", (64, 64), "white")
    >>> ImageDraw.Draw(img).rectangle([16, 16, 47, 47], fill=(200, 30, 30))
    >>> s = quality_scores(img)
    >>> round(s["content"], 2), round(s["padding"], 2), s["brightest"], s["darkest"]
    (0.25, 0.75, 200.0, 30.0)
    >>> round(s["sharpness"], 2), s["edges"]
    (1.0, 2.0)
    >>> quality_scores(Image.new("RGB", (32, 32), "white"))["content"]
    0.0
    """
    image = _analysis_image(image)
    rgb = np.asarray(image)
    background = _border_colour(rgb)
    visible = _visible(rgb, background)
    n_visible = int(np.count_nonzero(visible))
    if n_visible == 0:  # one flat colour, give or take invisible noise
        return {"content": 0.0, "padding": 1.0, "brightest": _brightest(rgb),
                "darkest": float(background.min()), "sharpness": math.nan, "edges": 0.0}
    rows = _box(np.count_nonzero(visible, axis=1))
    cols = _box(np.count_nonzero(visible, axis=0))
    box_area = (rows.stop - rows.start) * (cols.stop - cols.start)
    luminance = np.asarray(image.convert("L"))[_widen(rows), _widen(cols)]
    sharpness, edge_pairs = _edge_statistics(luminance, EDGE_SPAN)
    side = math.sqrt(visible.size)
    return {
        "content": n_visible / visible.size,
        "padding": 1.0 - box_area / visible.size,
        "brightest": _brightest(rgb[rows, cols]),
        "darkest": min(float(background.min()), _deepest(rgb, visible, stroke_pixels(side))),
        "sharpness": sharpness,
        "edges": edge_pairs / side,
    }


def stroke_pixels(side: float) -> int:
    """How many pixels must reach a tone for it to be the picture's ``darkest``: a stroke
    :data:`STROKE_SHARE` of the image's ``side`` long, and at least
    :data:`MIN_STROKE_PIXELS`.

    Examples
    --------
    >>> stroke_pixels(512), stroke_pixels(64)
    (16, 3)
    """
    return max(MIN_STROKE_PIXELS, round(side * STROKE_SHARE))


def edge_sharpness(luminance: np.ndarray, span: int = EDGE_SPAN) -> float:
    """Edge steepness of a 2-D array: ``span * sum(d1**2) / sum(d_span**2)``, both axes.

    1.0 for step edges, ``1/span`` for ramps wider than ``span`` pixels, independent of
    contrast and size. NaN when the array is flat or shorter than ``span + 1`` on both
    axes.

    Examples
    --------
    >>> step = np.zeros((8, 16)); step[:, 8:] = 255
    >>> edge_sharpness(step)
    1.0
    >>> ramp = np.tile(np.linspace(0, 255, 64), (8, 1))
    >>> round(edge_sharpness(ramp), 2)
    0.26
    """
    values = np.asarray(luminance)
    if values.ndim != 2:
        raise ValueError(f"luminance must be a 2-D array; got shape {values.shape}")
    return _edge_statistics(values, span)[0]


def _edge_statistics(values: np.ndarray, span: int) -> tuple[float, int]:
    """Edge sharpness (see :func:`edge_sharpness`) and the number of neighbouring pairs
    differing by more than :data:`VISIBLE_STEP`, of a 2-D luminance array, in one pass."""
    # Differences in int16 (exact for 8-bit input), squared and summed by BLAS dot in
    # float32: about 2.5 times faster than float32 differences and einsum, and the sums'
    # rounding (below 1e-4 relative on 512 x 512) is far inside the octave-wide limits.
    values = values.astype(np.int16 if values.dtype == np.uint8 else np.float32, copy=False)
    near = far = 0.0
    pairs = 0
    for axis in (0, 1):
        if values.shape[axis] < 2:
            continue
        d1 = np.diff(values, axis=axis)
        pairs += int(np.count_nonzero((d1 > VISIBLE_STEP) | (d1 < -VISIBLE_STEP)))
        if values.shape[axis] <= span:
            continue
        d1 = d1.astype(np.float32, copy=False).ravel()
        dk = values[span:] - values[:-span] if axis == 0 else values[:, span:] - values[:, :-span]
        dk = dk.astype(np.float32, copy=False).ravel()
        near += float(np.dot(d1, d1))
        far += float(np.dot(dk, dk))
    return (span * near / far if far > 0 else math.nan), pairs


def _analysis_image(image: Image.Image) -> Image.Image:
    """``image`` as RGB, reduced (box filter) to fit :data:`SCORE_SIZE`."""
    if not isinstance(image, Image.Image):
        raise TypeError(f"image must be a PIL.Image.Image; got {type(image).__name__}")
    if image.width == 0 or image.height == 0:
        raise ValueError(f"image must have pixels; got size {image.size}")
    if image.mode != "RGB":
        from ..pixels.images import to_rgb

        image = to_rgb(image)
    factor = math.ceil(max(image.size) / SCORE_SIZE)
    return image.reduce(factor) if factor > 1 else image


def _visible(rgb: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Pixels differing from ``background`` by more than :data:`VISIBLE_STEP` in a channel.

    Comparisons on the uint8 planes directly: no wider copy of the image is made.
    """
    visible = np.zeros(rgb.shape[:2], dtype=bool)
    for channel, level in enumerate(background.tolist()):
        plane = rgb[..., channel]
        if level - VISIBLE_STEP > 0:
            visible |= plane < level - VISIBLE_STEP
        if level + VISIBLE_STEP < 255:
            visible |= plane > level + VISIBLE_STEP
    return visible


def _brightest(rgb: np.ndarray) -> float:
    """``brightest`` of an (H, W, 3) uint8 array."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return _percentile(np.maximum(np.maximum(r, g), b), BRIGHT_PERCENTILE)


def _deepest(rgb: np.ndarray, visible: np.ndarray, count: int) -> float:
    """The darkest channel of the ``count``-th deepest visible pixel (the last visible
    pixel's, when fewer are visible)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    deep = np.minimum(np.minimum(r, g), b)[visible]
    cumulative = np.cumsum(np.bincount(deep, minlength=256))
    return float(np.searchsorted(cumulative, min(count, int(cumulative[-1])), side="left"))


def _border_colour(rgb: np.ndarray) -> np.ndarray:
    """The most common colour of the outermost pixel ring, as (R, G, B)."""
    ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.int32)
    packed = (ring[:, 0] << 16) | (ring[:, 1] << 8) | ring[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    top = int(values[counts.argmax()])
    return np.array([(top >> 16) & 255, (top >> 8) & 255, top & 255])


def _box(profile: np.ndarray) -> slice:
    """The span of a projection profile holding all but :data:`BOX_TRIM` of its mass."""
    cumulative = np.cumsum(profile)
    total = cumulative[-1]
    start = int(np.searchsorted(cumulative, total * BOX_TRIM / 2, side="right"))
    stop = int(np.searchsorted(cumulative, total * (1 - BOX_TRIM / 2), side="left")) + 1
    return slice(start, max(stop, start + 1))


def _widen(span: slice) -> slice:
    """``span`` with :data:`EDGE_SPAN` pixels more on each side, so that the edges of the
    content box itself count towards its sharpness."""
    return slice(max(span.start - EDGE_SPAN, 0), span.stop + EDGE_SPAN)


def _percentile(values: np.ndarray, q: float) -> float:
    """The ``q``-th percentile (lower value) of uint8 values, by histogram."""
    cumulative = np.cumsum(np.bincount(values.ravel(), minlength=256))
    rank = q / 100.0 * (cumulative[-1] - 1)
    return float(np.searchsorted(cumulative, rank, side="right"))
