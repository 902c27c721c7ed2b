"""Line art and pastels are styles, not defects: the scores and checks that tell them apart
from blank and washed-out pictures, on small synthetic images."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from workbench.core.quality.checks import judge_quality
from workbench.core.quality.scores import quality_scores
from helpers.images import drawing


def scores_table(n: int, seed: int = 0) -> list[dict]:
    """Plausible clean scores for ``n`` items."""
    rng = np.random.default_rng(seed)
    return [{"content": c, "padding": 0.1, "brightest": 255.0, "darkest": d, "sharpness": s,
             "edges": e} for c, d, s, e in zip(rng.uniform(0.3, 0.7, n), rng.uniform(0, 40, n),
                                             np.exp2(rng.normal(-0.3, 0.25, n)),
                                             np.exp2(rng.normal(4.5, 0.8, n)))]


def on_transparency(shape: str, size: int = 128, grey: int = 128,
                    antialiased: bool = False) -> Image.Image:
    """Line art: a 1 px ``shape`` (circle, star, thermometer) in ``grey`` on full
    transparency (RGBA); anti-aliased by drawing 4 px wide at 4x and box-reducing."""
    aa = 4 if antialiased else 1
    big = size * aa
    img = Image.new("RGBA", (big, big), (grey, grey, grey, 0))
    draw, ink = ImageDraw.Draw(img), (grey, grey, grey, 255)
    if shape == "circle":
        draw.ellipse([big * 0.2, big * 0.2, big * 0.8, big * 0.8], outline=ink, width=aa)
    elif shape == "star":
        angles = np.linspace(-np.pi / 2, 3 * np.pi / 2, 11)[:-1]
        radii = np.where(np.arange(10) % 2, 0.16, 0.4) * big
        draw.polygon([(big / 2 + r * np.cos(a), big / 2 + r * np.sin(a))
                      for r, a in zip(radii, angles)], outline=ink, width=aa)
    elif shape == "thermometer":
        draw.rounded_rectangle([big * 0.46, big * 0.08, big * 0.54, big * 0.8],
                               radius=big * 0.04, outline=ink, width=aa)
        draw.ellipse([big * 0.42, big * 0.76, big * 0.58, big * 0.92], fill=ink)
        for y in np.linspace(0.15, 0.7, 8):
            draw.line([big * 0.54, big * y, big * 0.58, big * y], fill=ink, width=aa)
    else:
        raise ValueError(f"shape must be circle, star or thermometer; got {shape!r}")
    return img.reduce(aa) if aa > 1 else img


def pale(img: Image.Image, keep_outlines: bool) -> Image.Image:
    """``img`` blended three quarters of the way to white; its black outlines kept or not."""
    arr = np.asarray(img, dtype=np.float32)
    out = 255 - (255 - arr) * 0.25
    if keep_outlines:
        outline = arr.max(axis=2) <= 64
        out[outline] = arr[outline]
    return Image.fromarray(out.round().astype(np.uint8))


def test_darkest_is_the_deepest_tone_a_stroke_reaches():
    """A 1 px outline sets it however few pixels it covers; one stray pixel does not."""
    img = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(img).ellipse([40, 40, 216, 216], fill=(200, 225, 250))  # pale blue
    assert quality_scores(img)["darkest"] == 200
    stray = img.copy()
    stray.putpixel((128, 128), (0, 0, 0))
    assert quality_scores(stray)["darkest"] == 200
    outlined = img.copy()
    ImageDraw.Draw(outlined).ellipse([40, 40, 216, 216], outline=(60, 60, 60))
    assert quality_scores(outlined)["darkest"] == 60
    # Grey strokes, anti-aliased on transparency: the tone of the stroke itself.
    for grey in (0, 128, 160):
        s = quality_scores(on_transparency("circle", 256, grey, antialiased=True))
        assert s["darkest"] <= grey + 8, (grey, s)


@pytest.mark.parametrize("size", [64, 128, 256, 512])
def test_edges_measure_drawn_length_at_any_size(size):
    """A 1 px circle of diameter 0.6 draws about 2 x pi x 0.6 image sides of edges (both
    sides of the stroke); a filled disc half as much; nothing drawn, none."""
    s = quality_scores(on_transparency("circle", size, 0))
    assert 2 * math.pi * 0.6 * 0.8 < s["edges"] < 2 * math.pi * 0.6 * 1.4, s
    disc = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(disc).ellipse([size * 0.2, size * 0.2, size * 0.8, size * 0.8], fill="red")
    assert math.pi * 0.6 * 0.8 < quality_scores(disc)["edges"] < math.pi * 0.6 * 1.4
    assert quality_scores(Image.new("RGBA", (size, size)))["edges"] == 0


def test_line_art_and_pastels_are_styles_not_defects():
    """Among clip-art drawings: 1 px outline drawings on transparency (black or grey, crisp
    or anti-aliased; a circle, a star, a thin thermometer) and pastel recolours that keep
    their outlines pass every picture check; a speck, a transparent image, one flat colour
    and a recolour that loses its outlines do not."""
    collection = [quality_scores(drawing(128, seed=s)) for s in range(60)]
    styles = {f"{shape} grey {grey}{' aa' if aa else ''}":
              on_transparency(shape, 128, grey, antialiased=aa)
              for shape in ("circle", "star", "thermometer") for grey in (0, 128, 160)
              for aa in (False, True)}
    styles.update({f"pastel {seed}": pale(drawing(128, seed=seed), keep_outlines=True)
                   for seed in range(100, 103)})
    speck = Image.new("RGB", (128, 128), "white")
    speck.paste(drawing(128).resize((8, 8), Image.Resampling.LANCZOS), (60, 60))
    defects = {"speck": (speck, "blank"), "transparent": (Image.new("RGBA", (128, 128)), "blank"),
               "flat": (Image.new("RGB", (128, 128), (90, 160, 40)), "blank"),
               "washed out": (pale(drawing(128, seed=104), keep_outlines=False), "washed_out")}
    images = list(styles.values()) + [img for img, _ in defects.values()]
    scores = collection + [quality_scores(img) for img in images]
    result = judge_quality(scores, [128] * len(scores), [128] * len(scores))
    picture = [[c for c in issues if c in ("blank", "dark", "washed_out", "blurry")]
               for issues in result.issues]
    assert not any(picture[:60])
    assert {name: p for name, p in zip(styles, picture[60:]) if p} == {}
    found = dict(zip(defects, picture[60 + len(styles):]))
    assert {name: check in found[name] for name, (_, check) in defects.items()} == \
        dict.fromkeys(defects, True), found
    # The line art is small in area: edges, not content, keep it from being blank.
    circle = list(styles).index("circle grey 0")
    assert scores[60 + circle]["content"] < result.thresholds["blank"].value


def test_blank_needs_little_content_and_few_edges():
    scores = scores_table(200)
    scores[0].update(content=0.004, edges=0.5)    # a speck
    scores[1].update(content=0.004, edges=0.0)    # nothing drawn above the step: blank
    scores[2].update(content=0.004, edges=12.0)   # a 1 px outline drawing
    scores[3].update(content=0.3, edges=0.5)      # flat shapes, few edges
    result = judge_quality(scores, [800] * 200, [800] * 200)
    assert [("blank" in issues) for issues in result.issues[:4]] == [True, True, False, False]
    t = result.thresholds["blank"]
    assert t.also is not None and t.also.score == "edges" and t.also.value < 12
    assert 2.0 <= t.also.gap <= 3.0 and "edges <" in t.basis
    assert "edges" in result.flags[0][0].basis
    assert json.loads(json.dumps(result.to_dict()))["thresholds"]["blank"]["also"]["score"] \
        == "edges"
