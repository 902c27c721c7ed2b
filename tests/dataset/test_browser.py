"""Headless Chromium renders the HTML coverage report and the FiftyOne App with the map run.

Screenshots are saved under out/test-screenshots/ for people to look at.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

import workbench as wb

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1500,1000"]


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is not installed; `make setup` installs Debian's chromium")
    profile = tmp_path_factory.mktemp("chromium-profile")

    def run(url: str, screenshot, budget_ms: int = 20000) -> str:
        base = [exe, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}"]
        dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True,
                             timeout=240).stdout
        subprocess.run(base + [f"--screenshot={screenshot}", url], capture_output=True,
                       timeout=240)
        return dom

    return run


@pytest.fixture(scope="module")
def shots(repo):
    path = repo / "out" / "test-screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def mapped(sample_workspace):
    ds, _ = sample_workspace
    if "maps" not in ds.info:
        wb.compute_map(ds)
    return ds


def test_html_report_renders(mapped, chromium, shots, tmp_path):
    gaps = wb.find_gaps(mapped, by="style")
    report = gaps.to_html(tmp_path / "coverage.html")
    dom = chromium(report.as_uri(), shots / "coverage-report.png", budget_ms=3000)
    assert "Coverage report: sample-session" in dom
    assert "Representation by style" in dom and "stitch-embroidery" in dom
    assert (shots / "coverage-report.png").stat().st_size > 10_000


def test_fiftyone_app_renders_the_dataset_and_its_map_run(mapped, shots):
    from helpers.browser import chromium_page, free_port, wait_for

    port = free_port()
    session = wb.open_in_app(mapped, port=port, color_by="style")
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url)
        with chromium_page() as page:
            # The App's "Explore Enterprise" pop-up has no setting; it skips automated runs.
            page.add_init_script("window.IS_PLAYWRIGHT = true")
            page.goto(url)
            # The App opens on the Palette panel; the Embeddings panel is the tab behind it.
            page.wait_for_selector("text=Representation by", timeout=180_000)
            page.get_by_text("Embeddings", exact=True).first.click()
            page.wait_for_selector("text=wb_umap_emb_efficientnet_lite0_imagenet",
                                   timeout=180_000)
            page.screenshot(path=str(shots / "fiftyone-app.png"))
            dom = page.content()
    finally:
        session.close()
    assert "sample-session" in dom, "the App should show the dataset name"
    assert "wb_umap_emb_efficientnet_lite0_imagenet" in dom, "the Embeddings panel lists the map"
    for field in ("creator", "license", "consent"):
        assert f">{field}<" in dom
