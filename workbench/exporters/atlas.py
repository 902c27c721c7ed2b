"""Drawing an image atlas: thumbnails in the cells of an :class:`AtlasLayout`, one PNG.

Pure: file paths, a layout and group labels in, a Pillow image out. Each file is decoded
shrunk to about the cell size by the project's one decoder
(:func:`workbench.core.pixels.images.open_rgb` with ``draft_size``: JPEG DCT scaling, and
libvips streaming above 16 megapixels), so memory stays bounded whatever the files are.
Transparency is flattened on white, the atlas's own background. The glue
(:mod:`workbench.glue.atlas`) reads the map and the files from a dataset; the dataset
card draws the exported set's atlas with :func:`atlas_of` on plain data.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from workbench.core.maps.atlas import AtlasConfig, AtlasLayout, layout_grid, stratified_sample
from workbench.core.pixels.images import ImageDecodeError, open_rgb

#: The page behind the thumbnails: white, as transparency is flattened on white.
BACKGROUND = (255, 255, 255)
#: Group frame colours (matplotlib's tab20, darker shade first), reused in turn.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
           "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5")
_UNREADABLE = (225, 225, 225)
#: Decoding threads: Pillow and libvips release the GIL while they decode and resize.
WORKERS = 2


@dataclass(frozen=True)
class AtlasPoints:
    """Map positions (and groups) of samples, for drawing the atlas of any subset of them.

    The glue passes it to an export (:class:`~workbench.exporters.config.ExportContext`)
    so that the dataset card shows exactly the exported images.
    """

    coords: Mapping[str, Sequence[float]]
    groups: Mapping[str, object] | None = None
    names: Mapping[str, str] | None = None
    config: AtlasConfig = field(default_factory=AtlasConfig)


def thumbnail(path: str, size: int) -> Image.Image | None:
    """``path`` decoded shrunk to fit ``size`` px (RGB), or None when it cannot be read."""
    try:
        img = open_rgb(path, draft_size=(size, size)).image
    except (ImageDecodeError, OSError):
        return None
    img.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return img


def _progress(iterable, total: int, enabled: bool):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc="atlas thumbnails", unit="img")


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def group_colours(groups: Sequence[object]) -> dict[str, str]:
    """A colour per group value, largest group first (ties by name)."""
    keys = [str(g) for g in groups]
    values, counts = np.unique(np.asarray(keys, dtype=object).astype(str), return_counts=True)
    order = sorted(zip(values, counts), key=lambda vc: (-vc[1], vc[0]))
    return {v: PALETTE[i % len(PALETTE)] for i, (v, _) in enumerate(order)}


def render_atlas(layout: AtlasLayout, paths: Sequence[str],
                 groups: Sequence[object] | None = None, *,
                 names: Mapping[str, str] | None = None, margin: int | None = None,
                 progress: bool = False, workers: int = WORKERS) -> tuple[Image.Image, list[int]]:
    """Draw the atlas: each ``paths[i]`` in the cell of ``layout.ids[i]``.

    Parameters
    ----------
    layout
        Where each item goes (:func:`workbench.core.maps.atlas.layout_grid`).
    paths
        One image file per placed item, in ``layout.ids`` order.
    groups
        Optional group of each item: a coloured frame around its cell, and the group's
        name (``names`` maps a value to a display name) written at its centre.
    progress
        A progress bar over the decoding.

    Returns
    -------
    (image, unreadable)
        The RGB atlas, and the indices of the files that could not be decoded (drawn as
        grey cells).
    """
    n = len(layout.ids)
    if len(paths) != n:
        raise ValueError(f"paths must have one entry per placed item ({n}); got {len(paths)}")
    if groups is not None and len(groups) != n:
        raise ValueError(f"groups must have one entry per placed item ({n}); got {len(groups)}")
    p = layout.cell_px
    margin = p // 2 if margin is None else margin
    width, height = layout.size_px
    canvas = Image.new("RGB", (width + 2 * margin, height + 2 * margin), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    boxes = layout.boxes() + margin
    frame = max(1, p // 20) if groups is not None else 0
    inner = max(1, p - 2 * frame - 2)
    colours = group_colours(groups) if groups is not None else {}
    unreadable: list[int] = []
    # Threads decode; this thread pastes each thumbnail as it comes, in order, so only a
    # few decoded images are held at any time.
    with ThreadPoolExecutor(max(1, workers)) as pool:
        thumbs = pool.map(thumbnail, [str(x) for x in paths], [inner] * n)
        for i, img in enumerate(_progress(thumbs, n, progress)):
            x0, y0, x1, y1 = (int(v) for v in boxes[i])
            if groups is not None:
                draw.rectangle([x0, y0, x1 - 1, y1 - 1], outline=colours[str(groups[i])],
                               width=frame)
            if img is None:
                unreadable.append(i)
                draw.rectangle([x0 + frame + 1, y0 + frame + 1, x1 - frame - 2, y1 - frame - 2],
                               fill=_UNREADABLE)
                continue
            canvas.paste(img, (x0 + (p - img.width) // 2, y0 + (p - img.height) // 2))
    if groups is not None:
        _write_names(draw, layout, groups, names or {}, colours, margin)
    return canvas, unreadable


def _write_names(draw: ImageDraw.ImageDraw, layout: AtlasLayout, groups: Sequence[object],
                 names: Mapping[str, str], colours: Mapping[str, str], margin: int) -> None:
    """Each group's name at the member cell nearest the group's centroid."""
    keys = np.asarray([str(g) for g in groups])
    centres = layout.cells[:, ::-1] * layout.cell_px + layout.cell_px / 2 + margin
    size = int(np.clip(layout.size_px[0] / 90, 11, 28))
    font = _font(size)
    for key in colours:
        members = centres[keys == key]
        mean = members.mean(axis=0)
        x, y = members[np.argmin(((members - mean) ** 2).sum(axis=1))]
        text = str(names.get(key, key))[:40]
        draw.text((float(x), float(y)), text, fill=colours[key], font=font, anchor="mm",
                  stroke_width=max(2, size // 6), stroke_fill="white")


def encode(image: Image.Image, format: str = "PNG", quality: int = 85) -> bytes:
    """The image as PNG (lossless, the default) or JPEG bytes (smaller, for HTML)."""
    buf = io.BytesIO()
    if format.upper() == "JPEG":
        image.save(buf, format="JPEG", quality=quality, optimize=True)
    else:
        image.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def preview(image: Image.Image, width: int = 1024) -> bytes:
    """A PNG to look at, not to keep: at most ``width`` pixels wide and 256 colours.

    A full atlas of textured pictures is a PNG of 10 MB or more; shown in a notebook
    (whose saved and rendered pages embed it) or in a dataset card, a picture a screen
    can show whole does the job at a tenth of that.
    """
    small = image.convert("RGB")
    if small.width > width:
        small = small.resize((width, round(small.height * width / small.width)),
                             Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    small.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        buf, format="PNG", optimize=True)
    return buf.getvalue()


def atlas_of(ids: Sequence[str], paths: Sequence[str], points: AtlasPoints, *,
             progress: bool = False) -> tuple[AtlasLayout, Image.Image, list[int]] | None:
    """The atlas of the items ``ids`` (files ``paths``) that ``points`` places on the map.

    Samples up to ``points.config.n`` stratified by group (seeded), lays them out and
    draws them. Returns None when none of ``ids`` is on the map.
    """
    on_map = [(i, str(p)) for i, p in zip(ids, paths) if i in points.coords]
    if not on_map:
        return None
    config = points.config
    groups = [points.groups.get(i) for i, _ in on_map] if points.groups is not None else None
    keep = stratified_sample(groups if groups is not None else [0] * len(on_map), config.n,
                             config.seed)
    on_map = [on_map[k] for k in keep]
    groups = [groups[k] for k in keep] if groups is not None else None
    layout = layout_grid([points.coords[i] for i, _ in on_map], [i for i, _ in on_map],
                         config=config)
    image, unreadable = render_atlas(layout, [p for _, p in on_map], groups,
                                     names=points.names, progress=progress)
    return layout, image, unreadable
