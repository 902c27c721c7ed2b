"""Deterministic generator for Palette Workbench's bundled sample collection.

Every image is drawn by code (numpy + Pillow only); the creators are placeholder ids.
Run from the repository root:

    python sample_data/generate.py

It deletes and rewrites sample_data/images/, sample_data/manifest.csv and
sample_data/facts.json. Fixed seeds: two runs give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from signals import PLANTED, encode

SEED = 20240917
SIZE = 256  # output side, pixels
SS = 2  # supersampling factor for drawing
W = SIZE * SS  # drawing canvas side
D = int(W * 1.5)  # oversized canvas, rotated then cropped to W
JPEG_QUALITY = 88
ROOT = Path(__file__).resolve().parent
NON_ASCII_NAME = unicodedata.normalize("NFC", "broderie-\u00e9-001.jpg")
COLUMNS = ["filepath", "creator", "source", "license", "attribution", "consent",
           "ai_generated", "region", "style", "technique", "caption", "year"]
LICENSES = {"CC-BY-4.0": 0.4, "CC0-1.0": 0.25, "CC-BY-SA-4.0": 0.2, "CC-PDDC": 0.15}
UNKNOWN_LICENSES = ["unknown", "", "CC-BY-4", "all rights reserved?"]
NC_LICENSE = "CC-BY-NC-4.0"

RGB = tuple[int, int, int]
Rng = np.random.Generator


# --------------------------------------------------------------------------- helpers

def jitter(rgb: RGB, rng: Rng, amount: float) -> RGB:
    return tuple(int(np.clip(c + rng.normal(0, amount), 0, 255)) for c in rgb)  # type: ignore


def smooth_noise(rng: Rng, size: int, cells: int) -> np.ndarray:
    """Low-frequency noise in about [-1, 1], shape (size, size)."""
    small = rng.integers(0, 256, (cells, cells), dtype=np.uint8)
    big = Image.fromarray(small, "L").resize((size, size), Image.BICUBIC)
    return np.asarray(big, dtype=np.float32) / 127.5 - 1.0


def rotate_crop(img: Image.Image, angle: float) -> Image.Image:
    """Rotate an oversized canvas about its centre and keep the central W x W square."""
    r = img.rotate(angle, resample=Image.BICUBIC)
    left = (r.width - W) // 2
    return r.crop((left, left, left + W, left + W))


def finish(img: Image.Image, rng: Rng, blur: tuple[float, float] = (0.3, 0.7),
           noise: float = 2.5, mottle: float = 0.0, cells: int = 6) -> Image.Image:
    """Downsample to SIZE, soften, add dye/glaze mottling and a little sensor noise."""
    img = img.resize((SIZE, SIZE), Image.LANCZOS)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(*blur)))
    a = np.asarray(img, dtype=np.float32)
    if mottle:
        a = a * (1.0 + mottle * smooth_noise(rng, SIZE, cells))[..., None]
    a = a + rng.normal(0.0, noise, a.shape)
    return Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8), "RGB")


def disc(d: ImageDraw.ImageDraw, x: float, y: float, r: float, **style: object) -> None:
    d.ellipse((x - r, y - r, x + r, y + r), **style)  # type: ignore[arg-type]


def star(cx: float, cy: float, r_out: float, r_in: float, rot: float = 0.0) -> list[tuple]:
    """Polygon of an 8-point star (r_in = 0.765 r_out gives two overlapping squares)."""
    pts = []
    for k in range(16):
        rad, a = (r_out if k % 2 == 0 else r_in), rot + k * math.pi / 8
        pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    return pts


def brush(mask: Image.Image, pts: np.ndarray, width: float, tone: int,
          profile: Callable[[np.ndarray], np.ndarray]) -> None:
    """Stamp discs along a quadratic Bezier (3 control points) with a width profile."""
    d = ImageDraw.Draw(mask)
    t = np.linspace(0.0, 1.0, 120)
    path = ((1 - t) ** 2)[:, None] * pts[0] + (2 * (1 - t) * t)[:, None] * pts[1] \
        + (t ** 2)[:, None] * pts[2]
    for (x, y), w in zip(path, width * profile(t), strict=True):
        disc(d, x, y, max(0.6, float(w) / 2), fill=tone)


# --------------------------------------------------------------------------- families

def draw_indigo(rng: Rng) -> Image.Image:
    """White dots, rings and rosettes on indigo, on a hexagonal lattice."""
    ground, pale = jitter((22, 38, 96), rng, 7), jitter((228, 234, 245), rng, 6)
    img = Image.new("RGB", (D, D), ground)
    d = ImageDraw.Draw(img)
    cell = rng.uniform(30, 58) * SS
    r = cell * rng.uniform(0.14, 0.21)
    kind = str(rng.choice(["dots", "rings", "rosettes", "mixed"]))
    petals, fillers = int(rng.choice([6, 8])), rng.random() < 0.6
    for row in range(int(D / (cell * 0.866)) + 2):
        y = row * cell * 0.866
        for col in range(-1, int(D / cell) + 2):
            x = col * cell + (cell / 2) * (row % 2)
            k = kind if kind != "mixed" else ("rosettes" if row % 2 else "rings")
            if k == "dots":
                disc(d, x, y, r, fill=pale)
            elif k == "rings":
                disc(d, x, y, r, outline=pale, width=max(2, int(r * 0.32)))
                disc(d, x, y, r * 0.28, fill=pale)
            else:  # rosette: a centre dot ringed by petal dots
                disc(d, x, y, r * 0.42, fill=pale)
                for a in np.arange(petals) * 2 * math.pi / petals:
                    disc(d, x + 1.05 * r * math.cos(a), y + 1.05 * r * math.sin(a), 0.36 * r,
                         fill=pale)
            if fillers:
                disc(d, x + cell / 2, y, r * 0.22, fill=pale)
    img = rotate_crop(img, rng.uniform(-25, 25))
    return finish(img, rng, blur=(0.5, 1.0), noise=3.0, mottle=0.12, cells=8)


def draw_strip_weave(rng: Rng) -> Image.Image:
    """Narrow vertical strips of blocks, checks and stripes in gold/green/red/black."""
    gold, green, red, black = (214, 164, 30), (24, 112, 58), (180, 32, 34), (26, 22, 20)
    pal = [jitter(c, rng, 8) for c in (gold, green, red, black)]
    img = Image.new("RGB", (D, D), pal[3])
    d = ImageDraw.Draw(img)
    w = rng.uniform(24, 42) * SS
    x = -rng.uniform(0, w)
    while x < D:
        main, y = int(rng.integers(4)), -rng.uniform(0, w)
        while y < D:
            h = w * rng.uniform(0.5, 2.0)
            c1 = main if rng.random() < 0.5 else int(rng.integers(4))
            c2 = (c1 + 1 + int(rng.integers(3))) % 4
            a, b = pal[c1], pal[c2]
            d.rectangle((x, y, x + w, y + h), fill=a)
            kind = str(rng.choice(["solid", "hstripes", "checks", "vbands"]))
            if kind == "hstripes":
                t = rng.uniform(2.5, 6) * SS
                for yy in np.arange(y, y + h, 2 * t):
                    d.rectangle((x, yy, x + w, min(yy + t, y + h)), fill=b)
            elif kind == "checks":
                s = w / int(rng.choice([3, 4, 5]))
                for i, yy in enumerate(np.arange(y, y + h - 1, s)):
                    for j, xx in enumerate(np.arange(x, x + w - 1, s)):
                        if (i + j) % 2:
                            d.rectangle((xx, yy, xx + s, min(yy + s, y + h)), fill=b)
            elif kind == "vbands":
                s = w / int(rng.choice([5, 7]))
                for j, xx in enumerate(np.arange(x, x + w - 1, s)):
                    if j % 2:
                        d.rectangle((xx, y, xx + s, y + h), fill=b)
            else:
                t = rng.uniform(2, 4) * SS
                d.rectangle((x, y, x + w, y + t), fill=b)
                d.rectangle((x, y + h - t, x + w, y + h), fill=b)
            y += h
        d.rectangle((x, 0, x + 1.5 * SS, D), fill=pal[3])  # seam between strips
        x += w
    img = finish(rotate_crop(img, rng.uniform(-4, 4)), rng, noise=3.0, mottle=0.05)
    a = np.asarray(img, dtype=np.float32)
    threads = 1.0 + 0.04 * ((np.arange(SIZE) % 2) - 0.5) + rng.normal(0, 0.02, SIZE)
    return Image.fromarray(np.clip(a * threads[:, None, None] + 0.5, 0, 255).astype(np.uint8))


def draw_star_tiling(rng: Rng) -> Image.Image:
    """8-point stars with octagon rosettes, diamonds and diagonal strapwork."""
    cream, terra = jitter((238, 224, 190), rng, 6), jitter((186, 84, 52), rng, 8)
    turq, line = jitter((36, 148, 146), rng, 8), jitter((58, 40, 34), rng, 5)
    bg = cream if rng.random() < 0.75 else terra
    star_c, accent = (terra, turq) if rng.random() < 0.5 else (turq, terra)
    if bg == terra:
        star_c, accent = turq, cream
    img = Image.new("RGB", (D, D), bg)
    d = ImageDraw.Draw(img)
    c = rng.uniform(46, 88) * SS
    R, lw = c * rng.uniform(0.40, 0.47), max(2, int(c * rng.uniform(0.03, 0.045)))
    n = int(D / c) + 2
    band = max(3, int(c * rng.uniform(0.05, 0.09)))
    for k in range(-2 * n, 2 * n):
        off = (k + 0.5) * c
        d.line([(-D, off + D), (2 * D, off - 2 * D)], fill=accent, width=band)
        d.line([(-D, -D - off), (2 * D, 2 * D - off)], fill=accent, width=band)
    for i in range(-1, n):
        for j in range(-1, n):
            cx, cy = i * c, j * c
            d.polygon(star(cx, cy, R, 0.765 * R), fill=star_c, outline=line, width=lw)
            octo = [(cx + 0.42 * R * math.cos(a), cy + 0.42 * R * math.sin(a))
                    for a in np.arange(8) * math.pi / 4 + math.pi / 8]
            d.polygon(octo, fill=bg, outline=line, width=max(1, lw // 2))
            disc(d, cx, cy, 0.13 * R, fill=accent)
            mx, my, m = cx + c / 2, cy + c / 2, c * 0.13
            d.polygon([(mx - m, my), (mx, my - m), (mx + m, my), (mx, my + m)],
                      fill=accent, outline=line, width=max(1, lw // 2))
    img = rotate_crop(img, float(rng.choice([0, 45])) + rng.uniform(-8, 8))
    return finish(img, rng, noise=2.5, mottle=0.06, cells=10)


def draw_ink_wash(rng: Rng) -> Image.Image:
    """Grey washes, mountain ridges, bamboo or calligraphic strokes on off-white paper."""
    paper = np.array(jitter((241, 237, 226), rng, 1.5), dtype=np.float32) + rng.normal(0, 3)
    ink = np.zeros((W, W), dtype=np.float32)
    for _ in range(int(rng.integers(1, 4))):  # soft washes
        m = Image.new("L", (W, W), 0)
        cx, cy = rng.uniform(0, W, 2)
        rx, ry = rng.uniform(0.1, 0.3) * W, rng.uniform(0.05, 0.15) * W
        ImageDraw.Draw(m).ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
        m = m.filter(ImageFilter.GaussianBlur(rng.uniform(14, 30) * SS))
        ink = np.maximum(ink, np.asarray(m, dtype=np.float32) / 255 * rng.uniform(0.12, 0.3))
    mode = str(rng.choice(["mountains", "strokes", "bamboo"]))
    ys = np.mgrid[0:W, 0:W][0].astype(np.float32)
    if mode == "mountains":
        x = np.arange(W, dtype=np.float32)
        for layer in range(int(rng.integers(2, 4))):  # far ridges high and pale, near ones dark
            ridge = W * (0.42 + 0.14 * layer + rng.uniform(0, 0.08)) + np.cumsum(
                rng.normal(0, 1.2 * SS, W)).astype(np.float32)
            for _ in range(int(rng.integers(1, 4))):  # peaks
                px, pw = rng.uniform(0, W), rng.uniform(0.08, 0.22) * W
                ridge -= rng.uniform(0.08, 0.25) * W * np.exp(-(((x - px) / pw) ** 2))
            depth = ys - ridge[None, :]
            fade = np.exp(-np.clip(depth, 0, None) / (W * rng.uniform(0.06, 0.14)))
            ink = np.maximum(ink, (depth > 0) * fade * (0.3 + 0.25 * layer))
    else:
        mask = Image.new("L", (W, W), 0)
        side = rng.uniform(0.15, 0.85) * W
        if mode == "bamboo":
            for _ in range(int(rng.integers(1, 3))):
                x0, lean = side + rng.normal(0, 0.08 * W), rng.normal(0, 0.06 * W)
                y, seg = rng.uniform(-0.1, 0.2) * W, rng.uniform(0.1, 0.16) * W
                while y < W:
                    p = np.array([[x0 + lean * yy / W, yy] for yy in (y, y + seg / 2, y + seg)])
                    brush(mask, p, rng.uniform(8, 13) * SS, 190, lambda t: 0.85 + 0.15 * t)
                    y += seg + 3 * SS
                    if rng.random() < 0.35:  # a spray of leaves at a node
                        for _ in range(int(rng.integers(2, 5))):
                            a, ln = rng.uniform(0.2, 2.9), rng.uniform(28, 60) * SS
                            s = np.array([x0 + lean * y / W, y])
                            e = s + ln * np.array([math.cos(a), math.sin(a)])
                            mid = (s + e) / 2 + rng.normal(0, 6 * SS, 2)
                            brush(mask, np.array([s, mid, e]), rng.uniform(11, 17) * SS, 220,
                                  lambda t: np.minimum(1, t * 6) * (1 - t) ** 0.8)
        else:
            for _ in range(int(rng.integers(2, 5))):
                s = np.array([side + rng.normal(0, 0.12 * W), rng.uniform(0.15, 0.85) * W])
                a, ln = rng.uniform(0, 2 * math.pi), rng.uniform(0.25, 0.55) * W
                e = s + ln * np.array([math.cos(a), math.sin(a)])
                mid = (s + e) / 2 + rng.normal(0, 0.1 * W, 2)
                brush(mask, np.array([s, mid, e]), rng.uniform(12, 30) * SS,
                      int(rng.integers(140, 240)), lambda t: np.sin(np.pi * t) ** 0.4 + 0.05)
        m = np.asarray(mask.filter(ImageFilter.GaussianBlur(1.2 * SS)), dtype=np.float32) / 255
        ink = np.maximum(ink, m)
    dry = 0.82 + 0.09 * (smooth_noise(rng, W, 48) + 1.0)  # uneven, dry-brush ink load
    ink = np.clip(ink * dry, 0, 1)[..., None]
    out = paper * (1 - ink) + np.array([24, 24, 28], dtype=np.float32) * ink
    img = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")
    return finish(img, rng, blur=(0.4, 0.9), noise=2.0)


def draw_mosaic(rng: Rng) -> Image.Image:
    """Irregular square tesserae with grout, forming rings, diamonds, waves or a rosette."""
    grout = jitter((150, 140, 122), rng, 6)
    pal = [(34, 64, 160), (206, 146, 52), (236, 231, 218)]  # cobalt, ochre, white
    pal = [pal[i] for i in rng.permutation(3)] if rng.random() < 0.4 else pal
    img = Image.new("RGB", (W, W), grout)
    d = ImageDraw.Draw(img)
    t = rng.uniform(9, 14) * SS
    motif = str(rng.choice(["rings", "diamond", "wave", "rosette"]))
    petals = int(rng.integers(4, 9))
    cx, cy = W / 2 + rng.normal(0, W * 0.08, 2)
    band, big_r = rng.uniform(1.6, 3.0) * t, rng.uniform(0.3, 0.42) * W
    amp, lam = rng.uniform(0.03, 0.08) * W, rng.uniform(0.08, 0.15) * W
    for gy in np.arange(-t, W + t, t):
        shift = rng.uniform(0, t)
        for gx in np.arange(-t, W + t, t):
            x, y = gx + shift + rng.normal(0, t * 0.06), gy + rng.normal(0, t * 0.06)
            dx, dy = x - cx, y - cy
            if motif == "rings":
                k = int(math.hypot(dx, dy) / band) % 3
            elif motif == "diamond":
                k = int((abs(dx) + abs(dy)) / band) % 3
            elif motif == "wave":
                k = int((dy + amp * math.sin(dx / lam) + W) / band) % 3
            else:
                rr, th = math.hypot(dx, dy), math.atan2(dy, dx)
                edge = big_r * (0.55 + 0.45 * math.cos(petals * th))
                k = 0 if rr < edge else (2 if rr < edge + band * 0.6 else 1)
            s, a = t * rng.uniform(0.74, 0.88) / 2, rng.normal(0, 0.08)
            corners = [(x + 1.414 * s * math.cos(a + q), y + 1.414 * s * math.sin(a + q))
                       for q in np.arange(4) * math.pi / 2 + math.pi / 4]
            d.polygon(corners, fill=jitter(pal[k], rng, 10))
    return finish(img, rng, noise=3.0, mottle=0.05, cells=12)


def draw_stitch(rng: Rng) -> Image.Image:
    """Cross-stitch motifs and running-stitch lines in red/black thread on linen."""
    linen = jitter((216, 200, 168), rng, 5)
    red, black = jitter((170, 30, 38), rng, 8), jitter((34, 28, 28), rng, 4)
    img = Image.new("RGB", (D, D), linen)
    d = ImageDraw.Draw(img)
    s = rng.uniform(5, 8) * SS
    h = int(rng.integers(3, 6))
    q = rng.random((h, h)) < 0.5
    q[-1, -1] = q[0, -1] = True
    half = np.concatenate([q, q[:, -2::-1]], axis=1)
    motif = np.concatenate([half, half[-2::-1]], axis=0)  # (2h-1) square, mirror symmetric
    m = motif.shape[0]
    gap, layout = int(rng.integers(1, 4)), str(rng.choice(["bands", "lattice"]))
    period = m + gap
    lw = max(2, int(s * 0.22))

    def cross(i: int, j: int, colour: RGB) -> None:
        x0, y0, e = i * s, j * s, s * 0.12
        d.line((x0 + e, y0 + e, x0 + s - e, y0 + s - e), fill=colour, width=lw)
        d.line((x0 + e, y0 + s - e, x0 + s - e, y0 + e), fill=colour, width=lw)

    def running(j: float, colour: RGB) -> None:
        for x in np.arange(rng.uniform(0, 3 * s), D, 3 * s):
            d.line((x, j * s, x + 2 * s, j * s), fill=colour, width=lw)

    cells = int(D / s) + 1
    rows = range(0, cells, period) if layout == "lattice" else range(0, cells, period + 4)
    for r_i, j0 in enumerate(rows):
        for c_i, i0 in enumerate(range(0, cells, period)):
            colour = red if (r_i + c_i) % 3 else black
            for a, b in zip(*np.nonzero(motif), strict=True):
                cross(i0 + int(a), j0 + int(b), colour)
        if layout == "bands":
            running(j0 + m + 1.5, black)
            running(j0 + m + 2.5, red)
    img = rotate_crop(img, rng.uniform(-3, 3))
    img = finish(img, rng, blur=(0.3, 0.6), noise=2.0, mottle=0.04)
    a = np.asarray(img, dtype=np.float32)
    a = a + rng.normal(0, 3, SIZE)[:, None, None] + rng.normal(0, 3, SIZE)[None, :, None]
    return Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8), "RGB")


@dataclass(frozen=True)
class Family:
    style: str
    region: str
    technique: str
    n: int
    draw: Callable[[Rng], Image.Image]
    captions: tuple[str, ...]


FAMILIES = [
    Family("indigo-resist-dots", "East Asia", "resist dyeing", 150, draw_indigo,
           ("indigo resist-dyed cloth with a white dot pattern",
            "blue-printed cloth with pale dots on deep indigo")),
    Family("strip-weave", "West Africa", "strip weaving", 48, draw_strip_weave,
           ("strip-woven cloth in gold, green and red", "narrow woven strips with bold blocks")),
    Family("star-tiling", "North Africa", "geometric tiling", 44, draw_star_tiling,
           ("eight-point star tiling in terracotta and turquoise",
            "geometric star and cross tiles")),
    Family("ink-wash", "East Asia", "ink painting", 30, draw_ink_wash,
           ("ink wash on paper with soft grey strokes", "grey ink on off-white paper")),
    Family("mosaic", "Mediterranean", "tessellated mosaic", 11, draw_mosaic,
           ("ochre and cobalt mosaic tesserae", "small stone tesserae forming a simple motif")),
    Family("stitch-embroidery", "South Asia", "embroidery", 11, draw_stitch,
           ("red and black cross-stitch on linen", "counted cross-stitch motifs on beige linen")),
]


# --------------------------------------------------------------------------- writing

def jpeg_bytes(img: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def write(rel: str, data: bytes) -> None:
    path = ROOT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def style_of(rel: str) -> str:
    return rel.split("/")[1]


def render_originals() -> dict[str, list[str]]:
    """Draw and save every original; returns {style: [filepath, ...]}."""
    originals: dict[str, list[str]] = {}
    for fi, f in enumerate(FAMILIES):
        originals[f.style] = []
        for i in range(1, f.n + 1):
            name = f"{f.style}-{i:03d}.jpg"
            if f.style == "stitch-embroidery" and i == 1:
                name = NON_ASCII_NAME
            rel = f"images/{f.style}/{name}"
            write(rel, jpeg_bytes(f.draw(np.random.default_rng([SEED, fi, i]))))
            originals[f.style].append(rel)
    return originals


def main() -> None:
    shutil.rmtree(ROOT / "images", ignore_errors=True)
    for name in ("manifest.csv", "facts.json"):
        (ROOT / name).unlink(missing_ok=True)
    fam = {f.style: f for f in FAMILIES}
    styles = [f.style for f in FAMILIES]
    originals = render_originals()
    non_ascii = f"images/stitch-embroidery/{NON_ASCII_NAME}"

    # ---- choose the planted items (victims never repeat; the non-ASCII file is never one)
    rng = np.random.default_rng([SEED, 999])
    next_num = {s: fam[s].n + 1 for s in styles}
    indigo = originals["indigo-resist-dots"]
    dominated = {indigo[i] for i in rng.choice(len(indigo), 100, replace=False)}
    used = {non_ascii}

    def pick(style: str, avoid_dominated: bool) -> str:
        pool = [p for p in originals[style]
                if p not in used and not (avoid_dominated and p in dominated)]
        used.add(chosen := pool[int(rng.integers(len(pool)))])
        return chosen

    def spread(k: int, among: list[str], avoid_dominated: bool = False) -> list[str]:
        """k originals from k different families (cycling if k > len(among))."""
        order = [among[i] for i in rng.permutation(len(among))]
        return [pick(order[i % len(order)], avoid_dominated) for i in range(k)]

    def new_name(style: str, ext: str = "jpg") -> str:
        next_num[style] += 1
        return f"images/{style}/{style}-{next_num[style] - 1:03d}.{ext}"

    # Duplicated originals avoid creator-01, so that creator keeps exactly 100 rows.
    dup_src = spread(3, styles, avoid_dominated=True)
    near_src = spread(3, styles, avoid_dominated=True)
    broken_styles = [styles[i] for i in rng.choice(len(styles), 3, replace=False)]
    broken = [{"filepath": new_name(s, "png" if kind == "zero_bytes" else "jpg"), "kind": kind}
              for s, kind in zip(broken_styles, ["truncated", "zero_bytes", "not_an_image"],
                                 strict=True)]
    broken_paths = {b["filepath"] for b in broken}
    opted_out = spread(2, styles[:1]) + spread(3, styles[1:])
    ai_true, unknown_lic, non_comm = spread(5, styles), spread(4, styles), spread(6, styles)
    clean = [p for s in styles for p in originals[s] if p not in used]
    consent_unknown = [clean[i] for i in sorted(rng.choice(len(clean), 14, replace=False))]
    rest = [p for p in clean if p not in consent_unknown]
    ai_unknown = [rest[i] for i in sorted(rng.choice(len(rest), 4, replace=False))]

    # ---- manifest rows. Other creators get at most 14 slots each (+ up to 6 copies <= 20).
    others = [f"creator-{k:02d}" for k in range(2, 21)]
    undominated = [p for s in styles for p in originals[s] if p not in dominated]
    undominated += [b["filepath"] for b in broken]
    slots = rng.choice(np.repeat(others, 14), size=len(undominated), replace=False)
    creator = {p: "creator-01" for p in dominated} | dict(zip(undominated, slots, strict=True))
    lic_names, lic_p = list(LICENSES), list(LICENSES.values())
    rows: dict[str, dict[str, str]] = {}
    for rel in sorted(creator):
        s, who, is_broken = style_of(rel), str(creator[rel]), rel in broken_paths
        rows[rel] = {
            "filepath": rel, "creator": who, "source": "palette-workbench sample generator",
            "license": lic_names[int(rng.choice(len(lic_names), p=lic_p))],
            "attribution": "" if rng.random() < 0.1 else f"{s} sample by {who}",
            "consent": "granted", "ai_generated": "false", "region": fam[s].region,
            "style": s, "technique": fam[s].technique,
            "caption": "" if is_broken or rng.random() > 1 / 3
                       else str(rng.choice(fam[s].captions)),
            "year": str(int(rng.integers(2019, 2026)))}
    for paths, key, value in [(opted_out, "consent", "opted_out"),
                              (consent_unknown, "consent", "unknown"),
                              (ai_true, "ai_generated", "true"),
                              (ai_unknown, "ai_generated", "unknown"),
                              (non_comm, "license", NC_LICENSE)]:
        for rel in paths:
            rows[rel][key] = value
    for rel, value in zip(unknown_lic, UNKNOWN_LICENSES, strict=True):
        rows[rel]["license"] = value

    # ---- write the planted files; copies inherit their original's metadata
    exact: list[dict[str, str]] = []
    for src in dup_src:
        rel = new_name(style_of(src))
        write(rel, (ROOT / src).read_bytes())
        rows[rel] = {**rows[src], "filepath": rel}
        exact.append({"filepath": rel, "duplicate_of": src})
    near: list[dict[str, str]] = []
    m = round(SIZE * 0.06)
    for src, kind in zip(near_src, ["reencoded", "resized", "cropped"], strict=True):
        rel = new_name(style_of(src))
        img = Image.open(ROOT / src).convert("RGB")
        if kind == "resized":
            img = img.resize((200, 200), Image.LANCZOS)
        elif kind == "cropped":
            img = img.crop((m, m, SIZE - m, SIZE - m)).resize((SIZE, SIZE), Image.LANCZOS)
        write(rel, jpeg_bytes(img, quality=60 if kind == "reencoded" else JPEG_QUALITY))
        rows[rel] = {**rows[src], "filepath": rel}
        near.append({"filepath": rel, "near_duplicate_of": src, "kind": kind})
    # Files that carry their own rights signals; the manifest says granted, not AI.
    signals: list[dict] = []
    for k, (style, ext, embed, expect) in enumerate(PLANTED):
        rel = new_name(style, ext)
        img = fam[style].draw(np.random.default_rng([SEED, 2000, k]))
        write(rel, encode(img, ext, embed))
        who = "" if "artist" in embed else f"creator-{22 + k}"
        rows[rel] = {"filepath": rel, "creator": who,
                     "source": "palette-workbench sample generator", "license": "CC-BY-4.0",
                     "attribution": f"{style} sample", "consent": "granted",
                     "ai_generated": "false", "region": fam[style].region, "style": style,
                     "technique": fam[style].technique, "caption": "", "year": "2025"}
        signals.append({"filepath": rel, "embedded": sorted(embed), **expect})
        if expect.get("consent") == "opted_out":
            opted_out.append(rel)
        if expect.get("ai_generated") == "true":
            ai_true.append(rel)
    for b in broken:
        s = style_of(b["filepath"])
        if b["kind"] == "truncated":  # the first 40% of a valid JPEG
            full = jpeg_bytes(fam[s].draw(np.random.default_rng([SEED, 1000, styles.index(s)])))
            write(b["filepath"], full[: int(len(full) * 0.4)])
        else:
            write(b["filepath"], b"" if b["kind"] == "zero_bytes"
                  else b"This is a short text note, not a picture.\n")

    with open(ROOT / "manifest.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[rel] for rel in sorted(rows))

    counts = Counter(r["creator"] for r in rows.values())
    assert counts["creator-01"] == 100 and max(counts[o] for o in others) <= 20, counts
    valid = Counter(style_of(p) for p in rows if p not in broken_paths)
    by_path = lambda items: sorted(items, key=lambda e: e["filepath"])  # noqa: E731
    facts = {
        "n_files": len(rows),
        "n_valid_images": sum(valid.values()),
        "family_counts": {s: valid[s] for s in styles},
        "family_originals": {s: fam[s].n for s in styles},
        "broken": by_path(broken),
        "exact_duplicates": by_path(exact),
        "near_duplicates": by_path(near),
        "opted_out": sorted(opted_out),
        "ai_generated": sorted(ai_true),
        "unknown_license": sorted(unknown_lic),
        "non_commercial_license": sorted(non_comm),
        "dominating_creator": {"creator": "creator-01", "style": "indigo-resist-dots",
                               "count": 100},
        "embedded_signals": by_path(signals),
        "non_ascii": [non_ascii],
        # Extra truth (not planted imperfections, but random, so recorded for tests):
        "consent_unknown": sorted(consent_unknown),
        "ai_generated_unknown": sorted(ai_unknown),
        "empty_attribution": sorted(p for p, r in rows.items() if not r["attribution"]),
    }
    text = json.dumps(facts, indent=2, ensure_ascii=False) + "\n"
    (ROOT / "facts.json").write_text(text, encoding="utf-8")
    print(f"wrote {facts['n_files']} files ({facts['n_valid_images']} valid images) to {ROOT}")


if __name__ == "__main__":
    main()
