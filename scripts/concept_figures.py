"""`make concept-figures`: redraw the pictures in docs/concepts.md from sample_data/.

Every figure is computed by the workbench itself (no hand-drawn verdicts): the balance
scores by :func:`workbench.core.selection.balance.normalized_entropy`, the representation and the
two subsets from the sample dataset, the duplicate verdicts and the quality flags from a
small collection made of sample images and altered copies of them (a resized copy, a
recolour, a blank, a dark and a blurred image, a picture lost in padding).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "docs" / "images"
SEED = 0


def _save(fig, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    fig.savefig(IMAGES / name, dpi=110, bbox_inches="tight")
    print(f"wrote {(IMAGES / name).relative_to(REPO)}")


def balance_figure():
    import matplotlib.pyplot as plt

    from workbench.core.selection.balance import normalized_entropy

    splits = {"even": [20, 20, 20, 20, 20], "skewed": [52, 20, 14, 9, 5],
              "one group dominates": [92, 2, 2, 2, 2]}
    fig, axes = plt.subplots(1, 3, figsize=(10, 2.6), sharey=True)
    for ax, (title, counts) in zip(axes, splits.items()):
        ax.bar(list("ABCDE"), counts, color="#4c72b0")
        ax.set_title(f"{title}\nbalance {normalized_entropy(counts):.2f}", fontsize=10)
    axes[0].set_ylabel("images")
    fig.tight_layout()
    return fig


def sample_figures(wb, tmp: Path) -> None:
    wb.load(REPO / "sample_data", name="palette-concepts",
            config=wb.LoadConfig(progress=False))
    ds = wb.get_dataset("palette-concepts")
    wb.embed(ds, config=wb.EmbedConfig(progress=False))
    wb.compute_map(ds)
    gaps = wb.find_gaps(ds, by="style", clusters=False)
    _save(gaps.representation.plot().figure, "representation.png")
    scraped = wb.uncurated_sample(ds, 60, seed=SEED)
    curated = wb.select_balanced(ds, 60, by="style", tag="concepts-curated",
                                 config=wb.SelectConfig(seed=SEED, allow_fewer=True))
    _save(wb.subsets_map(ds, {"scrape-like": scraped, "curated": curated.ids}, "style"),
          "subsets_map.png")


def _on_canvas(image, size):
    """``image`` centred on a white canvas of ``size``: a picture lost in padding."""
    from PIL import Image

    canvas = Image.new("RGB", size, (255, 255, 255))
    canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return canvas


def _altered_collection(folder: Path) -> dict[str, str]:
    """sample_data's images plus altered copies; returns {copy name: what was done}."""
    from PIL import Image, ImageFilter

    shutil.copytree(REPO / "sample_data" / "images", folder / "images")
    base = Image.open(sorted((REPO / "sample_data" / "images" / "star-tiling").iterdir())[0])
    base = base.convert("RGB")
    out = folder / "images" / "altered"
    out.mkdir()
    w, h = base.size
    hsv = base.convert("HSV")
    hue, sat, val = hsv.split()
    recolour = Image.merge("HSV", (hue.point(lambda v: (v + 110) % 256), sat, val))
    made = {
        "resized-copy.png": (base.resize((w * 3 // 4, h * 3 // 4), Image.LANCZOS),
                             "resized to 75%"),
        "recolour.png": (recolour.convert("RGB"), "hue turned by 155 degrees"),
        "blank.png": (Image.new("RGB", (w, h), (255, 255, 255)), "nothing visible"),
        "dark.png": (base.point(lambda v: v // 10), "brightness / 10"),
        "blurry.png": (base.filter(ImageFilter.GaussianBlur(6)), "Gaussian blur, 6 px"),
        "padded.png": (_on_canvas(base.resize((w // 5, h // 5)), (w, h)),
                       "a fifth of the frame"),
    }
    base.save(out / "original.png")
    for name, (image, _) in made.items():
        image.save(out / name)
    return {name: why for name, (_, why) in made.items()}


def _thumb_grid(cells, title: str):
    """cells: [(path, caption)] -> one row of thumbnails with captions."""
    import matplotlib.pyplot as plt
    from PIL import Image

    fig, axes = plt.subplots(1, len(cells), figsize=(2.2 * len(cells), 2.9))
    for ax, (path, caption) in zip(axes, cells):
        with Image.open(path) as im:
            ax.imshow(im.convert("RGB"))
        ax.set_title(caption, fontsize=8)
        ax.axis("off")
    fig.suptitle(title, fontsize=10, y=1.04)
    fig.tight_layout()
    return fig


def altered_figures(wb, tmp: Path) -> None:
    folder = tmp / "altered"
    _altered_collection(folder)
    wb.load(folder / "images", name="palette-concepts-altered", labels_from_folders="style",
            config=wb.LoadConfig(progress=False, license="CC0-1.0"))
    ds = wb.get_dataset("palette-concepts-altered")
    wb.embed(ds, config=wb.EmbedConfig(progress=False))
    altered = ds.match({"style": "altered"})
    path_of = {Path(p).stem: p for p in altered.values("filepath")}
    id_of = dict(zip([Path(p).stem for p in altered.values("filepath")], altered.values("id")))
    sel = wb.select_balanced(ds, len(ds), by="style", tag="concepts-all",
                             config=wb.SelectConfig(seed=SEED, allow_fewer=True,
                                                    creator_cap=None))
    verdict = {}
    for copy in ("resized-copy", "recolour"):
        reason = sel.excluded.get(id_of[copy]) or sel.excluded.get(id_of["original"])
        review = [p for p in sel.review_pairs if {p["a"], p["b"]} == {id_of["original"],
                                                                      id_of[copy]}]
        verdict[copy] = ("dropped as a duplicate" if reason and reason.startswith("duplicate")
                         else "kept, listed for review" if review else "kept: different")
    _save(_thumb_grid([(path_of["original"], "original"),
                       (path_of["resized-copy"], f"resized copy\n{verdict['resized-copy']}"),
                       (path_of["original"], "original"),
                       (path_of["recolour"], f"recolour\n{verdict['recolour']}")],
                      "near-duplicate verdicts, as select_balanced gave them"),
          "near_duplicates.png")
    quality = wb.check_quality(ds)
    flags = dict(zip(quality.result.ids, quality.result.flags))
    cells = []
    for name in ("blank", "dark", "blurry", "padded"):
        found = flags.get(id_of[name], [])
        caption = "\n".join(f"{f.check}: {f.score:.3g} vs {f.threshold:.3g}"
                            for f in found) or "not flagged"
        cells.append((path_of[name], f"{name}\n{caption}"))
    _save(_thumb_grid(cells, "quality flags: score against the collection's threshold"),
          "quality.png")


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    sys.path.insert(0, str(REPO))
    from workbench.glue.privatedb import start_private_database

    # A throw-away database: drawing the figures leaves no dataset behind in yours.
    start_private_database(tempfile.mkdtemp(prefix="wb-figures-db-"))
    import workbench as wb

    _save(balance_figure(), "balance.png")
    with tempfile.TemporaryDirectory() as tmp:
        sample_figures(wb, Path(tmp))
        altered_figures(wb, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
