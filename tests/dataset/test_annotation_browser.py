"""The notebook editor in a real browser: JupyterLab opens a notebook that shows
``wb.annotate``, a caption is typed and saved with Enter, and the dataset holds it, with
the record of who saved it. Screenshots go to out/test-screenshots/."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

import workbench as wb
from helpers.browser import chromium_page, free_port, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CAPTION = "a caption typed in the browser"


def _notebook(name: str) -> dict:
    import nbformat

    cells = ["import workbench as wb\n"
             f"ds = wb.get_dataset({name!r})\n"
             "view = ds.sort_by('filepath').limit(3)",
             "editor = wb.annotate(view, field='caption', order='random', "
             "annotator='browser-1')\neditor"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nbformat.writes(nb)


@pytest.fixture
def lab_with_editor(sample_embedded, dataset_name, tmp_path):
    """A persistent copy of the sample (the kernel is another process) and JupyterLab over
    a notebook that opens the editor on it."""
    ds, _ = sample_embedded
    copy = ds.clone(dataset_name, persistent=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "annotate.ipynb").write_text(_notebook(dataset_name))
    settings = tmp_path / "lab-settings" / "@jupyterlab"
    for ext, name, value in (("notebook-extension", "tracker", {"windowingMode": "none"}),
                             ("apputils-extension", "notification",
                              {"fetchNews": "false", "checkForUpdates": False})):
        (settings / ext).mkdir(parents=True)
        (settings / ext / f"{name}.jupyterlab-settings").write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    log = (tmp_path / "lab.log").open("w")
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_ANNOTATOR"}
    lab = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}", f"--LabApp.user_settings_dir={settings.parent}",
         f"--LabApp.workspaces_dir={tmp_path / 'lab-workspaces'}", "--LabApp.news_url=None"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/status?token={token}")
        yield f"http://127.0.0.1:{port}", token, copy
    finally:
        lab.terminate()
        lab.wait(timeout=60)


def test_a_caption_typed_in_the_editor_is_saved_with_its_record(lab_with_editor, repo):
    base, token, ds = lab_with_editor
    shots = repo / "out" / "test-screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with chromium_page() as page:
        page.goto(f"{base}/lab/tree/annotate.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=180_000)
        page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=180_000)
        page.get_by_role("menuitem", name="Run").first.click()
        page.get_by_text("Run All Cells", exact=True).click()
        box = page.locator(".wb-annotator input[type=text]").first
        box.wait_for(timeout=600_000)
        page.wait_for_selector(".wb-annotator >> text=1 / 3", timeout=60_000)
        page.wait_for_selector(".wb-annotator img", timeout=60_000)
        box.click()
        box.fill(CAPTION)
        box.press("Enter")
        page.wait_for_selector(".wb-annotator >> text=2 / 3", timeout=120_000)
        # The box now holds the next item's caption (the sample's captions are empty).
        page.wait_for_function("() => document.querySelector("
                               "'.wb-annotator input[type=text]').value === ''", timeout=60_000)
        page.screenshot(path=str(shots / "jupyterlab-annotator.png"), full_page=True)
        assert "Traceback" not in page.inner_text(".jp-Notebook")

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ds.reload()  # the kernel, another process, added the record field
        edits = wb.annotation_record(ds, "caption").only(annotators=["browser-1"]).edits
        if edits:
            break
        time.sleep(1)
    assert len(edits) == 1, "one caption saved from the browser"
    saved = edits[0]
    assert (saved.value, saved.tool, saved.annotator) == (CAPTION, "notebook", "browser-1")
    assert ds[saved.sample_id]["caption"] == CAPTION
    assert ds[saved.sample_id]["caption_source"] == "expert"
