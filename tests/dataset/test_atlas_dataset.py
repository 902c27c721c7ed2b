"""The image atlas on FiftyOne datasets: the API, ``workbench atlas``, the coverage report's
before / after atlases, the dataset card's atlas, and the real corpus within 1 GB."""

from __future__ import annotations

import pytest
from helpers.cli import json_out, run_cli, run_cli_measured
from PIL import Image


def _own_cells(layout) -> None:
    cells = [tuple(c) for c in layout.cells]
    assert len(set(cells)) == len(cells) == len(layout.ids), "two thumbnails share a cell"
    rows, cols = layout.grid
    assert all(0 <= r < rows and 0 <= c < cols for r, c in cells)


@pytest.fixture(scope="module")
def mapped(sample_workspace):
    """The module's clone of the sample dataset, first without a map, then with one."""
    import workbench as wb

    ds, _ = sample_workspace
    with pytest.raises(LookupError) as info:
        wb.atlas(ds, progress=False)
    assert "has no map yet" in str(info.value) and "workbench map" in str(info.value)
    wb.compute_map(ds, method="pca")
    wb.find_clusters(ds)
    return ds


def test_atlas_of_the_sample_dataset(mapped, tmp_path):
    import workbench as wb

    result = wb.atlas(mapped, progress=False)
    _own_cells(result.layout)
    assert result.image.width >= 2048
    assert len(result.layout.ids) == result.candidates == len(mapped)
    assert result.by == "cluster" and sum(result.groups.values()) == len(mapped)
    assert not result.unreadable
    path = result.save(tmp_path / "atlas.png")
    with Image.open(path) as img:
        assert img.size == result.image.size
    payload = result.to_dict()
    assert payload["placed"] == len(mapped) and payload["out"] == str(path)
    assert "atlas of" in result.summary()

    small = wb.atlas(mapped, by="style", n=10, seed=1, progress=False)
    _own_cells(small.layout)
    assert len(small.layout.ids) == 10 and small.candidates == len(mapped)
    clusters = dict(zip(*mapped.select(list(small.layout.ids)).values(["id", "cluster"])))
    assert len(set(clusters.values())) >= min(10, len(set(mapped.values("cluster"))))
    with pytest.raises(ValueError, match="field 'nope' does not exist"):
        wb.atlas(mapped, by="nope", progress=False)
    with pytest.raises(LookupError, match="no samples are tagged 'missing-tag'"):
        wb.atlas(mapped, tag="missing-tag", progress=False)


def test_workbench_atlas_command(mapped, tmp_path):
    mapped.take(12, seed=0).tag_samples("atlas-cli")
    out = tmp_path / "atlas.png"
    proc = run_cli("atlas", mapped.name, "--out", str(out), "--tag", "atlas-cli", "--by",
                   "style", "--n", "8", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json_out(proc)
    assert payload["placed"] == 8 and payload["candidates"] == 12 and payload["tag"] == "atlas-cli"
    assert payload["by"] == "style" and sum(payload["groups"].values()) == 8
    with Image.open(out) as img:
        assert img.width == payload["image_width"]
    # Eight thumbnails need few columns: cells stop at 256 px instead of filling 2,048 px.
    assert payload["cell_px"] == 256 and payload["grid"][1] * 256 < 2048
    bad = run_cli("atlas", mapped.name, "--out", str(out), "--by", "nope", "--json")
    assert bad.returncode == 2 and "nope" in json_out(bad)["error"]


def test_the_coverage_report_shows_the_atlas_before_and_after_selection(mapped, tmp_path):
    import workbench as wb

    gaps = wb.find_gaps(mapped, by="style")
    selection = list(mapped.take(15, seed=1).values("id"))
    html = gaps.to_html(tmp_path / "report.html", selection_ids=selection).read_text()
    assert "Atlas: before / after selection" in html
    assert 'alt="atlas of the collection" src="data:image/jpeg;base64,' in html
    assert 'alt="atlas of the selection" src="data:image/jpeg;base64,' in html
    assert f"({len(selection)} images)" in html
    assert html.count("<div class=cluster-atlas>") == len(set(gaps.clusters.labels) - {-1})
    mapped.select(selection).tag_samples("atlas-report")
    tagged = gaps.to_html(tmp_path / "tagged.html", tag="atlas-report").read_text()
    assert "after selection: tag &#x27;atlas-report&#x27; (15 images)" in tagged
    plain = gaps.to_html(tmp_path / "plain.html", atlases=False).read_text()
    assert "<h2>Atlas" not in plain and "<div class=cluster-atlas>" not in plain


def test_the_export_card_holds_the_atlas_of_the_exported_images(mapped, tmp_path):
    import workbench as wb
    from workbench.exporters import verify_manifest

    mapped.take(9, seed=2).tag_samples("atlas-export")
    report = wb.export(mapped, format="csv", out=tmp_path / "out", tag="atlas-export")
    atlas = report.out / "card" / "atlas.png"
    assert atlas.is_file()
    assert "![Atlas of the exported images](card/atlas.png)" in (
        report.out / "README.md").read_text()
    assert verify_manifest(report.out) == []


@pytest.mark.realdata
@pytest.mark.slow
def test_atlas_of_the_real_corpus_in_bounded_memory(real_corpus, dataset_name, tmp_path):
    import workbench as wb

    wb.load(real_corpus, name=dataset_name, labels_from_folders="category",
            config=wb.LoadConfig(progress=False))
    ds = wb.get_dataset(dataset_name)
    wb.embed(ds, config=wb.EmbedConfig(model="bundled", progress=False))
    wb.compute_map(ds, method="pca")
    wb.find_clusters(ds)
    out = tmp_path / "atlas.png"
    proc, peak_mb = run_cli_measured("atlas", dataset_name, "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json_out(proc)
    print(f"real corpus atlas: {payload['placed']} thumbnails, {payload['seconds']} s, "
          f"peak RSS {peak_mb:.0f} MB")
    assert peak_mb < 1024, f"peak RSS {peak_mb:.0f} MB"
    assert payload["placed"] == min(1024, len(wb.usable(ds)))
    with Image.open(out) as img:
        assert img.width >= 2048
    result = wb.atlas(ds, progress=False)
    _own_cells(result.layout)
    assert result.image.width >= 2048 and len(result.unreadable) == 0
    assert len(result.groups) == len(set(ds.values("cluster")))
