"""`workbench app NAME` in headless Chromium: the Palette panel opens beside the grid with
the map drawn and the representation chart, no click first; a box on the map changes the
grid's sample count. Screenshots go to out/test-screenshots/."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from helpers.browser import chromium_page, drawn_pixels, free_port, wait_for

import workbench as wb

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def shots(repo):
    path = repo / "out" / "test-screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _count(text: str) -> int | None:
    """The grid's sample count as the App writes it ("306 samples", "12 of 306 ...")."""
    found = re.findall(r"([\d,]+)\s+samples?\b", text)
    return int(found[0].replace(",", "")) if found else None


def _small_png(png: bytes, path) -> None:
    """A screenshot small enough for the README: 900 px wide, 128 colours."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((900, round(image.height * 900 / image.width)), Image.LANCZOS)
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def test_workbench_app_opens_on_the_palette_panel(sample_workspace, shots, repo, tmp_path):
    ds, _ = sample_workspace
    if "maps" not in ds.info:
        wb.compute_map(ds)
    wb.select_balanced(ds, n=60, by="style", config=wb.SelectConfig(seed=0))
    port = free_port()
    env = {**os.environ, "FIFTYONE_PLUGINS_DIR": str(tmp_path / "no-user-plugins")}
    app = subprocess.Popen([sys.executable, "-m", "workbench.cli", "app", ds.name, "--port",
                            str(port), "--exports", str(tmp_path / "exports")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=env)
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        with chromium_page(width=1600, height=1500) as page:
            page.add_init_script("window.IS_PLAYWRIGHT = true")
            page.goto(f"http://127.0.0.1:{port}/")
            # No click: the panel is open by default and draws the map and the bars.
            page.wait_for_selector("text=Representation by style", timeout=180_000)
            plots = page.locator(".js-plotly-plot")
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .gl-canvas-context, "
                ".js-plotly-plot canvas').length > 0", timeout=120_000)
            page.wait_for_timeout(3000)
            page.screenshot(path=str(shots / "palette-panel.png"))
            assert plots.count() >= 2, "the map and the representation chart"
            the_map = plots.first
            png = the_map.locator("canvas").last.screenshot(
                path=str(shots / "palette-map-canvas.png"))
            drawn = drawn_pixels(png)
            print(f"map canvas: {drawn:.3%} of its pixels drawn")
            assert drawn > 0.002, "the map's canvas shows no points"
            bars = page.locator(".js-plotly-plot .barlayer .point")
            assert bars.count() >= len(ds.distinct("style")), "a bar per group"
            shown = bars.first.bounding_box()
            assert shown and shown["y"] + shown["height"] < 1500, "the bars show unscrolled"
            page.screenshot(path=str(shots / "palette-representation.png"))

            page.wait_for_function(r"/\d+\s+samples?\b/.test(document.body.innerText)",
                                   timeout=120_000)
            before = _count(page.inner_text("body"))
            assert before == len(ds), f"the grid counts every sample first; found {before}"
            box = the_map.locator(".nsewdrag").first.bounding_box()
            x0, y0 = box["x"] + box["width"] * 0.05, box["y"] + box["height"] * 0.05
            x1, y1 = box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.6
            page.mouse.move(x0, y0)
            page.mouse.down()
            for k in range(1, 11):
                page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
            page.mouse.up()
            page.wait_for_function(
                f"!/\\b{before}\\s+samples/.test(document.body.innerText)", timeout=60_000)
            page.wait_for_timeout(8000)  # the grid's thumbnails
            after = _count(page.inner_text("body"))
            page.screenshot(path=str(shots / "palette-box-selection.png"))
            # The README's picture (docs/images/app-palette-panel.png) is copied from this one
            # by hand: a test run never changes the repository's files.
            _small_png(page.screenshot(type="png", scale="css"),
                       shots / "app-palette-panel-readme.png")
    finally:
        app.terminate()
        out, _ = app.communicate(timeout=60)
    print(f"grid: {before} samples, {after} after the box")
    assert after is not None and 0 < after < before, "the box showed a part of the map"
    assert "Palette panel" in out and f"127.0.0.1:{port}" in out
