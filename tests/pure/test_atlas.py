"""The atlas layout: one cell per thumbnail, neighbours kept together, a stratified sample,
and the drawing and the dataset card's atlas on plain data."""

from __future__ import annotations

import time

import numpy as np
import pytest
from helpers.export_records import fast_config, make_records
from PIL import Image
from sklearn.datasets import make_blobs

from workbench.core.maps.atlas import AtlasConfig, grid_shape, layout_grid, stratified_sample
from workbench.exporters import ExportContext, export_records, verify_manifest
from workbench.exporters.atlas import AtlasPoints, render_atlas


def _cells_are_unique_and_inside(layout) -> None:
    rows, cols = layout.grid
    cells = [tuple(c) for c in layout.cells]
    assert len(set(cells)) == len(cells) == len(layout.ids), "two items share a cell"
    assert all(0 <= r < rows and 0 <= c < cols for r, c in cells)
    boxes = layout.boxes()
    assert len({tuple(b) for b in boxes}) == len(boxes)
    assert (boxes[:, 2] <= layout.size_px[0]).all() and (boxes[:, 3] <= layout.size_px[1]).all()


@pytest.mark.parametrize("n", [1, 2, 7, 300, 2500])
def test_every_item_gets_a_cell_of_its_own(n):
    coords, _ = make_blobs(n, centers=5, cluster_std=0.3, random_state=n)
    layout = layout_grid(coords, [f"s{i}" for i in range(n)])
    _cells_are_unique_and_inside(layout)
    rows, cols = layout.grid
    assert n <= rows * cols <= max(2 * n, 4)
    assert layout.ids == tuple(f"s{i}" for i in range(n))
    if n == 2500:
        assert layout.blocks > 1, "a large map is solved in strips"


def test_identical_points_still_get_their_own_cells():
    layout = layout_grid(np.zeros((50, 2)))
    _cells_are_unique_and_inside(layout)


def test_neighbours_on_the_map_stay_neighbours_on_the_grid():
    coords, _ = make_blobs(800, centers=8, cluster_std=1.0, random_state=0)
    layout = layout_grid(coords)
    # Each point's nearest neighbour on the map: how far apart are their cells?
    d = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nearest = d.argmin(axis=1)
    apart = np.abs(layout.cells - layout.cells[nearest]).max(axis=1)
    shuffled = np.abs(layout.cells - layout.cells[np.random.default_rng(0).permutation(800)]
                      ).max(axis=1)
    assert np.median(apart) <= 2, np.median(apart)
    assert np.median(apart) * 5 <= np.median(shuffled)
    # The grid keeps the map's overall arrangement.
    centres = layout.cells[:, ::-1].astype(float)
    for axis in (0, 1):
        sign = 1 if axis == 0 else -1  # rows grow downwards, the map's y upwards
        assert np.corrcoef(coords[:, axis], sign * centres[:, axis])[0, 1] > 0.85


def test_the_layout_of_a_thousand_points_is_fast():
    coords, _ = make_blobs(1024, centers=12, cluster_std=0.6, random_state=1)
    start = time.perf_counter()
    layout = layout_grid(coords)
    seconds = time.perf_counter() - start
    _cells_are_unique_and_inside(layout)
    assert seconds < 3.0, f"layout of 1,024 points took {seconds:.2f} s"


def test_the_grid_follows_the_map_aspect_and_the_width():
    assert grid_shape(100, aspect=3.0)[1] > 2 * grid_shape(100, aspect=3.0)[0]
    coords = np.random.default_rng(0).random((400, 2)) * [4.0, 1.0]
    layout = layout_grid(coords)
    rows, cols = layout.grid
    assert cols > 2 * rows
    assert layout.size_px[0] >= 2048
    assert layout_grid(coords, config=AtlasConfig(cell_px=32)).cell_px == 32


def test_stratified_sample_covers_every_cluster_in_proportion():
    sizes = [500, 200, 100, 50, 20, 10, 5, 3, 1, 1]
    labels = np.repeat(np.arange(10), sizes)
    picked = stratified_sample(labels, 100, seed=3)
    assert len(picked) == 100 and len(set(picked)) == 100
    counts = np.bincount(labels[picked], minlength=10)
    assert (counts >= 1).all(), counts
    share = 100 * np.asarray(sizes) / sum(sizes)  # 56.2, 22.5, 11.2, ...
    assert np.abs(counts[:4] - share[:4]).max() <= 2, (counts, share)
    assert (np.diff(counts) <= 0).all(), "larger clusters never get fewer"
    assert np.array_equal(picked, stratified_sample(labels, 100, seed=3))
    assert not np.array_equal(picked, stratified_sample(labels, 100, seed=4))


def test_stratified_sample_edge_cases():
    labels = ["a"] * 5 + ["b"] * 3
    assert stratified_sample(labels, 8).tolist() == list(range(8))
    assert stratified_sample(labels, 50).tolist() == list(range(8))
    assert np.asarray(labels)[stratified_sample(labels, 1)].tolist() == ["a"]
    assert sorted(np.asarray(labels)[stratified_sample(labels, 2)]) == ["a", "b"]
    noisy = [-1] * 30 + [0] * 30 + [1] * 2
    assert set(np.asarray(noisy)[stratified_sample(noisy, 6)]) == {-1, 0, 1}


@pytest.mark.parametrize("call,message", [
    (lambda: layout_grid(np.zeros((3, 3))), "coords must be an (n, 2) array"),
    (lambda: layout_grid([[0, 0], [np.nan, 1]]), "coords must be finite; 1 of 2 rows"),
    (lambda: layout_grid(np.zeros((3, 2)), ["a"]), "ids must have one entry per row of coords (3)"),
    (lambda: layout_grid(np.zeros((0, 2))), "coords holds no points"),
    (lambda: AtlasConfig(n=0), "n must be a positive integer; got 0"),
    (lambda: AtlasConfig(cell_px=2), "cell_px must be an integer >= 4 or None"),
    (lambda: AtlasConfig(spare=0.5), "spare must be between 1.0 and 4.0"),
    (lambda: stratified_sample([1, 2], 0), "n must be a positive integer; got 0"),
    (lambda: stratified_sample(np.zeros((2, 2)), 1), "labels must be one-dimensional"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


def test_render_puts_each_image_in_its_own_cell(tmp_path):
    colours = [(200, 30, 30), (30, 160, 30), (30, 30, 200), (220, 180, 20), (120, 20, 160)]
    paths = []
    for i, colour in enumerate(colours):
        paths.append(tmp_path / f"c{i}.png")
        Image.new("RGB", (300 + 40 * i, 200), colour).save(paths[-1])
    paths.append(tmp_path / "broken.png")
    paths[-1].write_bytes(b"not an image")
    coords = np.array([[0, 0], [0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]])
    layout = layout_grid(coords, config=AtlasConfig(cell_px=40))
    image, unreadable = render_atlas(layout, [str(p) for p in paths], ["a"] * 3 + ["b"] * 3,
                                     margin=0)
    assert image.size == layout.size_px
    assert unreadable == [5]
    for i, colour in enumerate(colours):
        x0, y0, x1, y1 = (int(v) for v in layout.boxes()[i])
        # The image fills a good part of its cell (a group name may cross it).
        cell = {c: k for k, c in image.crop((x0, y0, x1, y1)).getcolors(40 * 40)}
        assert cell.get(colour, 0) >= 400, (i, cell)
    x0, y0, x1, y1 = (int(v) for v in layout.boxes()[5])
    assert (225, 225, 225) in {c for _, c in image.crop((x0, y0, x1, y1)).getcolors(1600)}
    with pytest.raises(ValueError, match="paths must have one entry per placed item"):
        render_atlas(layout, [str(paths[0])])


def test_the_dataset_card_shows_the_exported_images_atlas(tmp_path, monkeypatch):
    import workbench.exporters.atlas as atlas_module

    drawn = []
    real_atlas_of = atlas_module.atlas_of

    def recording(ids, paths, points, **kw):
        result = real_atlas_of(ids, paths, points, **kw)
        drawn.append(set(result[0].ids))
        return result

    monkeypatch.setattr(atlas_module, "atlas_of", recording)
    records = make_records(tmp_path)
    rng = np.random.default_rng(0)
    coords = {r["id"]: tuple(rng.normal(size=2)) for r in records}
    coords["not-exported"] = (9.0, 9.0)
    points = AtlasPoints(coords=coords, groups={r["id"]: r["group"] for r in records},
                         config=AtlasConfig(min_width=600))
    records[1]["consent"] = "opted_out"  # dropped at export: never in the atlas
    report = export_records(records, format="imagefolder", out=tmp_path / "out",
                            config=fast_config(), context=ExportContext(atlas=points))
    assert drawn == [{r["id"] for r in records} - {records[1]["id"]}]
    card = (report.out / "README.md").read_text(encoding="utf-8")
    assert "(card/atlas.png)" in card
    with Image.open(report.out / "card" / "atlas.png") as img:
        assert img.width >= 600
    assert "card/atlas.png" in (report.out / "MANIFEST.sha256").read_text()
    assert verify_manifest(report.out) == []
    # Without map positions the card has no atlas, as before.
    plain = export_records(records, format="csv", out=tmp_path / "plain", config=fast_config())
    assert not (plain.out / "card" / "atlas.png").exists()
    assert "atlas" not in (plain.out / "README.md").read_text(encoding="utf-8").split(
        "## Files")[0]
