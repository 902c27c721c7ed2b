"""Embedding a FiftyOne dataset: stored per model, cached by content, resumable, fail-soft."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import workbench as wb
from helpers.images import pattern, save

QUIET_LOAD = wb.LoadConfig(progress=False, workers=0)
BUNDLED = wb.EmbedConfig(model="bundled", progress=False)


def test_sample_data_embeds_with_unit_norm_and_family_neighbours(sample_embedded):
    ds, report = sample_embedded
    assert report.failed == [] and report.computed + report.cached == len(ds) == 306
    ids, X, field = wb.get_embeddings(ds)
    assert field == "emb_efficientnet_lite0_imagenet" and X.shape == (306, 1280)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    style = dict(zip(*ds.values(["id", "style"])))
    S = X @ X.T
    np.fill_diagonal(S, -np.inf)
    nn = S.argmax(axis=1)
    agree = np.mean([style[ids[i]] == style[ids[j]] for i, j in enumerate(nn)])
    print(f"\nnearest neighbour from the same style family: {agree:.1%} of {len(ids)} images")
    assert agree >= 0.80


def test_second_run_is_served_from_the_cache(sample_embedded):
    ds, _ = sample_embedded
    again = wb.embed(ds, config=BUNDLED)
    assert (again.computed, again.cached, again.failed) == (0, 306, [])


def test_changed_content_is_recomputed_and_renamed_file_is_not(tmp_path, dataset_name,
                                                              monkeypatch):
    # An embedding cache of its own: other tests embed the same seeded patterns.
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "src"
    for i in range(4):
        save(pattern(i), root / f"{i}.png")
    wb.load(root, name=dataset_name, config=QUIET_LOAD)
    ds = wb.get_dataset(dataset_name)
    first = wb.embed(ds, config=BUNDLED)
    assert first.computed == 4
    before = ds.match({"filepath": str(root / "1.png")}).first()[first.field]
    save(pattern(50), root / "1.png")             # new content at an old path
    os.rename(root / "2.png", root / "moved.png")  # old content at a new path
    wb.load(root, name=dataset_name, config=QUIET_LOAD)
    second = wb.embed(wb.get_dataset(dataset_name), config=BUNDLED)
    assert (second.computed, second.cached) == (1, 4)  # 0, moved, 3 cached; 1 recomputed
    after = wb.get_dataset(dataset_name).match({"filepath": str(root / "1.png")}).first()
    assert not np.allclose(after[first.field], before), "the stored vector follows the content"


def test_file_broken_after_load_is_reported_and_the_rest_embed(tmp_path, dataset_name):
    root = tmp_path / "src"
    for i in range(3):
        save(pattern(10 + i), root / f"{i}.jpg")
    wb.load(root, name=dataset_name, config=QUIET_LOAD)
    (root / "1.jpg").write_bytes(b"\xff\xd8\xff\xe0 garbage")  # changed since load
    report = wb.embed(wb.get_dataset(dataset_name), config=BUNDLED)
    assert [Path(f["path"]).name for f in report.failed] == ["1.jpg"]
    assert report.failed[0]["reason"] in ("corrupt", "truncated", "not_an_image")
    assert report.computed == 2


def test_without_embeddings_the_message_says_embed_first(tmp_path, dataset_name):
    save(pattern(1), tmp_path / "a.png")
    wb.load(tmp_path, name=dataset_name, config=QUIET_LOAD)
    with pytest.raises(LookupError, match="workbench embed"):
        wb.get_embeddings(wb.get_dataset(dataset_name))


@pytest.mark.slow
def test_killed_cli_run_resumes_with_only_the_remainder(tmp_path, dataset_name):
    root = tmp_path / "many"
    for i in range(96):
        save(pattern(100 + i, (96, 96)), root / f"{i:03d}.jpg", quality=85)
    wb.load(root, name=dataset_name, config=QUIET_LOAD)
    cache_dir = tmp_path / "cache"
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(cache_dir))
    proc = subprocess.Popen([sys.executable, "-c", (
        "import workbench as wb; ds = wb.get_dataset(%r); "
        "wb.embed(ds, config=wb.EmbedConfig(model='bundled', batch_size=8, chunk_size=8, "
        "progress=False, num_workers=0))") % dataset_name], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = 0
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        dbs = list(cache_dir.glob("*.sqlite*")) if cache_dir.exists() else []
        db = next((d for d in dbs if d.suffix == ".sqlite"), None)
        if db is not None:
            try:
                with sqlite3.connect(db) as con:
                    done = con.execute("select count(*) from embeddings").fetchone()[0]
            except sqlite3.Error:
                done = 0
        if 16 <= done < 96:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed; use more images"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Resume with the same cache directory as the killed run.
    rerun = subprocess.run([sys.executable, "-m", "workbench.cli", "embed", dataset_name,
                            "--model", "bundled", "--json", "--no-progress"],
                           env=env, capture_output=True, text=True, check=True)
    payload = json.loads(rerun.stdout)
    assert payload["cached"] >= done and payload["cached"] + payload["computed"] == 96
    assert 0 < payload["computed"] <= 96 - done
    ds = wb.get_dataset(dataset_name)
    ds.reload()  # written by other processes
    assert Counter(len(v) for v in ds.values(payload["field"]) if v is not None) == {1280: 96}
