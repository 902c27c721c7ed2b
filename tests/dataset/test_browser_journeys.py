"""A person's journey in a real browser: JupyterLab runs the quickstart notebook through
its UI, and `workbench app` shows the map. Screenshots go to out/test-screenshots/."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import workbench as wb
from helpers.browser import chromium_page, drawn_pixels, free_port, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def shots(repo):
    path = repo / "out" / "test-screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def jupyterlab(repo, tmp_path):
    """JupyterLab on 127.0.0.1 with a token, over a copy of the notebooks (the run must not
    write into the repository's own) beside a link to sample_data."""
    work = tmp_path / "work"
    (work / "notebooks").mkdir(parents=True)
    shutil.copy(repo / "notebooks" / "00_quickstart.ipynb", work / "notebooks")
    (work / "sample_data").symlink_to(repo / "sample_data")
    settings = tmp_path / "lab-settings" / "@jupyterlab"
    # Every cell in the page (no windowing), and no news pop-up.
    for ext, name, value in (("notebook-extension", "tracker", {"windowingMode": "none"}),
                             ("apputils-extension", "notification",
                              {"fetchNews": "false", "checkForUpdates": False})):
        (settings / ext).mkdir(parents=True)
        (settings / ext / f"{name}.jupyterlab-settings").write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    log = (tmp_path / "lab.log").open("w")
    lab = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}", f"--LabApp.user_settings_dir={settings.parent}",
         f"--LabApp.workspaces_dir={tmp_path / 'lab-workspaces'}", "--LabApp.news_url=None"],
        stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    try:
        wait_for(f"http://127.0.0.1:{port}/api/status?token={token}")
        yield f"http://127.0.0.1:{port}", token, work
    finally:
        lab.terminate()
        lab.wait(timeout=60)


def test_jupyterlab_runs_the_quickstart_through_its_ui(jupyterlab, shots):
    base, token, work = jupyterlab
    with chromium_page() as page:
        page.goto(f"{base}/lab/tree/notebooks/00_quickstart.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=180_000)
        page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=180_000)
        page.get_by_role("menuitem", name="Run").first.click()
        page.get_by_text("Run All Cells", exact=True).click()
        prompts: list[str] = []
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            prompts = page.evaluate("() => [...document.querySelectorAll("
                                    "'.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent)")
            if prompts and all(any(c.isdigit() for c in p) for p in prompts):
                break
            time.sleep(2)
        page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=120_000)
        page.screenshot(path=str(shots / "jupyterlab-quickstart.png"), full_page=True)
        assert prompts and all(any(c.isdigit() for c in p) for p in prompts), prompts
        text = page.inner_text(".jp-Notebook")
        assert "Traceback" not in text, text[-3000:]

        # The map widget (jupyter-scatter, WebGL) drew its points.
        canvases = page.locator(".jp-OutputArea-output canvas")
        sizes = [canvases.nth(k).bounding_box() for k in range(canvases.count())]
        biggest = max(range(len(sizes)), key=lambda k: sizes[k]["width"] * sizes[k]["height"])
        canvas = canvases.nth(biggest)
        canvas.scroll_into_view_if_needed()
        page.wait_for_timeout(2000)
        png = canvas.screenshot(path=str(shots / "jupyterlab-map-widget.png"))
        assert sizes[biggest]["width"] > 300 and drawn_pixels(png) > 0.002

        # The choices are ipywidgets controls, and the export path is in an output.
        assert page.locator(".jp-OutputArea-output .widget-toggle-buttons, "
                            ".jp-OutputArea-output .widget-dropdown").count() >= 1
        assert page.locator(".jp-OutputArea-output .widget-inline-hbox").count() >= 1
        assert "export-imagefolder" in text
    assert (work / "out" / "quickstart" / "export-imagefolder" / "README.md").exists()


def test_workbench_app_shows_the_umap_plot_with_its_points(sample_workspace, shots):
    ds, _ = sample_workspace
    wb.compute_map(ds)
    port = free_port()
    app = subprocess.Popen([sys.executable, "-m", "workbench.cli", "app", ds.name, "--port",
                            str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, env=os.environ.copy())
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        with chromium_page() as page:
            # The App's "Explore Enterprise" pop-up has no setting; it skips automated runs.
            page.add_init_script("window.IS_PLAYWRIGHT = true")
            page.goto(f"http://127.0.0.1:{port}/")
            # The App opens on the Palette panel; the Embeddings panel is the tab behind it.
            page.get_by_text("Embeddings", exact=True).first.click(timeout=180_000)
            run = "wb_umap_emb_efficientnet_lite0_imagenet"
            page.get_by_text(run).first.click(timeout=180_000)
            page.wait_for_selector("text=306 points", timeout=120_000)
            page.get_by_text("Color by").first.click()
            page.get_by_role("option", name="style").first.click()
            page.wait_for_timeout(3000)
            page.screenshot(path=str(shots / "fiftyone-app-map.png"))
            plots = page.locator("canvas")
            biggest = max(range(plots.count()), key=lambda k: (
                plots.nth(k).bounding_box() or {"width": 0, "height": 0})["width"])
            png = plots.nth(biggest).screenshot(path=str(shots / "fiftyone-app-umap.png"))
            assert drawn_pixels(png) > 0.002, "the UMAP plot drew no points"
            assert "indigo-resist-dots" in page.inner_text("body"), "coloured by style"
    finally:
        app.terminate()
        out, _ = app.communicate(timeout=60)
    assert "Embeddings panel" in out
