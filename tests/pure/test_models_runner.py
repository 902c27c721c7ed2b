"""The embedding loop: cache reuse, invalidation, odd and broken files, kill and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers.models import (
    REPO_ROOT,
    bundled_cpu,
    clip_random_cpu,
    items_for,
    make_bad_files,
    make_jpegs,
    make_odd_images,
    sha256_of,
    smooth_rgb,
)

from workbench.core.pixels.images import open_rgb
from workbench.models import EmbeddingCache, embed_items


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "emb-cache"


def test_cache_is_reused_and_invalidated_by_content(tmp_path, cache_dir):
    emb = bundled_cpu()
    paths = make_jpegs(tmp_path / "imgs", 12)
    items = items_for(paths)
    cache = EmbeddingCache.for_embedder(emb, cache_dir)

    first = embed_items(emb, items, cache, batch_size=16, progress=False)  # in-process decode
    assert (first.computed, first.cached, first.failed) == (12, 0, [])
    assert first.model == emb.name and len(cache) == 12
    m = first.matrix([k for k, _, _ in items])
    assert m.shape == (12, 1280)
    np.testing.assert_allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-5)
    assert np.all(first.norm_array([k for k, _, _ in items]) > 0)

    second = embed_items(emb, items, EmbeddingCache.for_embedder(emb, cache_dir), progress=False)
    assert (second.computed, second.cached, second.unique_computed) == (0, 12, 0)
    for k, _, _ in items:
        np.testing.assert_array_equal(second.vectors[k], first.vectors[k])
        assert second.norms[k] == pytest.approx(first.norms[k], rel=1e-6)

    # change one file's content: new hash, so it is recomputed; the rest stay cached
    smooth_rgb(999, 96, 72).save(paths[3], quality=90)
    items2 = items_for(paths)
    assert items2[3][1] != items[3][1]
    third = embed_items(emb, items2, cache, progress=False)
    assert (third.computed, third.cached) == (1, 11)
    assert not np.allclose(third.vectors[paths[3].name], first.vectors[paths[3].name])
    assert len(cache) == 13


def test_duplicates_are_computed_once_and_match_direct_encoding(tmp_path):
    emb = bundled_cpu()
    paths = make_jpegs(tmp_path / "imgs", 3)
    sha = sha256_of(paths[0])
    items = items_for(paths) + [("copy-of-0", sha, str(paths[0]))]
    res = embed_items(emb, items, None, batch_size=2, num_workers=0, progress=False)
    assert (res.computed, res.cached, res.unique_computed) == (4, 0, 3)
    np.testing.assert_array_equal(res.vectors["copy-of-0"], res.vectors[paths[0].name])
    # same preprocessing path as the runner (open_rgb + preprocess), encoded directly
    direct = emb.encode_pil([open_rgb(p, draft_size=emb.draft_size).image for p in paths])
    for p, v in zip(paths, direct):
        np.testing.assert_allclose(res.vectors[p.name], v, atol=1e-5)


def test_worker_processes_give_the_same_vectors(tmp_path):
    emb = bundled_cpu()
    items = items_for(make_jpegs(tmp_path / "imgs", 10, seed=3))
    a = embed_items(emb, items, None, batch_size=4, num_workers=0, progress=False)
    b = embed_items(emb, items, None, batch_size=4, num_workers=1, progress=False)
    for k, _, _ in items:
        np.testing.assert_allclose(a.vectors[k], b.vectors[k], atol=1e-6)


def test_odd_images_embed_and_broken_files_are_reported(tmp_path, cache_dir):
    emb = bundled_cpu()
    odd = make_odd_images(tmp_path / "odd")
    bad = make_bad_files(tmp_path / "bad")
    items = [(f"odd:{k}", sha256_of(p), str(p)) for k, p in odd.items()]
    fake_sha = {k: f"{i:064x}" for i, k in enumerate(bad)}  # missing/empty files still need a key
    items += [
        (f"bad:{k}", (sha256_of(p) if p.exists() else fake_sha[k]), str(p)) for k, p in bad.items()
    ]
    seen: dict = {}
    res = embed_items(
        emb,
        items,
        EmbeddingCache.for_embedder(emb, cache_dir),
        batch_size=3,
        chunk_size=2,
        progress=False,
        on_chunk=seen.update,
    )
    assert set(res.vectors) == {f"odd:{k}" for k in odd}
    assert res.computed == len(odd) and res.cached == 0
    for v in res.vectors.values():
        assert v.shape == (1280,) and np.isfinite(v).all()
        assert abs(np.linalg.norm(v) - 1) < 1e-5
    reasons = {f["key"]: f["reason"] for f in res.failed}
    assert set(reasons) == {f"bad:{k}" for k in bad}
    assert reasons["bad:missing"] == "missing"
    assert reasons["bad:empty"] == "zero_bytes"
    assert reasons["bad:garbage"] == "not_an_image"
    assert reasons["bad:truncated"] in {"truncated", "corrupt"}
    assert all(f["path"] and "detail" in f for f in res.failed)
    assert set(seen) == set(res.vectors)  # on_chunk saw every vector
    # failures are not cached: a rerun tries them again, the good ones come from the cache
    again = embed_items(emb, items, EmbeddingCache.for_embedder(emb, cache_dir), progress=False)
    assert (again.cached, again.computed, len(again.failed)) == (len(odd), 0, len(bad))
    summary = again.summary()
    assert summary["cached"] == len(odd) and len(summary["failed"]) == len(bad)
    json.dumps(summary)


def test_clip_runs_through_the_runner(tmp_path):
    clip = clip_random_cpu()
    items = items_for(make_jpegs(tmp_path / "imgs", 4, seed=9))
    res = embed_items(
        clip, items, EmbeddingCache.for_embedder(clip, tmp_path / "c"), batch_size=2, progress=False
    )
    assert res.computed == 4 and res.matrix([k for k, _, _ in items]).shape == (4, 512)


def test_bad_arguments_are_clear_errors(tmp_path):
    emb = bundled_cpu()
    good = items_for(make_jpegs(tmp_path / "imgs", 1))
    with pytest.raises(ValueError, match="batch_size must be 'auto' or a positive integer"):
        embed_items(emb, good, batch_size=0)
    with pytest.raises(ValueError, match="sha256 must be a 64-character"):
        embed_items(emb, [("k", "abc", "x.jpg")])
    with pytest.raises(ValueError, match="repeats key"):
        embed_items(emb, good + good)
    with pytest.raises(ValueError, match="cache is for model"):
        embed_items(emb, good, EmbeddingCache("other-model", cache_dir=tmp_path))
    assert embed_items(emb, [], None, progress=False).computed == 0


_RUNNER = """
import json, sys, time
from workbench.models import EfficientNetLite0, EmbeddingCache, embed_items
items = [tuple(x) for x in json.load(open(sys.argv[1]))]
emb = EfficientNetLite0(device="cpu")
cache = EmbeddingCache.for_embedder(emb, sys.argv[2])
# a slow consumer: gives the parent time to kill us between commits
embed_items(emb, items, cache, batch_size=4, chunk_size=8, num_workers=1, progress=False,
            on_chunk=lambda chunk: time.sleep(0.3))
print("finished")
"""


@pytest.mark.slow
def test_killed_run_resumes_from_the_cache(tmp_path, cache_dir):
    emb = bundled_cpu()
    items = items_for(make_jpegs(tmp_path / "imgs", 60, seed=4))
    (tmp_path / "items.json").write_text(json.dumps(items))
    (tmp_path / "runner.py").write_text(_RUNNER)
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "runner.py"), str(tmp_path / "items.json"), str(cache_dir)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        start_new_session=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    watcher = EmbeddingCache.for_embedder(emb, cache_dir)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if watcher.path.exists() and len(watcher) >= 8:  # first chunk committed
                break
            time.sleep(0.02)
        assert proc.poll() is None, "runner ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its decode worker
    finally:
        proc.wait(timeout=30)
    assert "finished" not in proc.stdout.read()
    watcher.close()

    cache = EmbeddingCache.for_embedder(emb, cache_dir)
    assert cache.integrity_ok()
    done = len(cache)
    assert 8 <= done < 60 and done % 8 == 0, done  # whole chunks only
    res = embed_items(emb, items, cache, batch_size=8, chunk_size=8, progress=False)
    assert res.cached == done and res.computed == 60 - done and not res.failed
    assert len(cache) == 60


def test_auto_settings_follow_the_model_and_the_hardware(tmp_path):
    from workbench.models.runner import auto_num_workers, auto_torch_threads

    emb = bundled_cpu()
    assert emb.batch_size_for("cpu") == 4  # measured best for EfficientNet-Lite0 on CPU
    assert emb.batch_size_for("cuda:0") == 64
    assert clip_random_cpu().batch_size_for("cpu") == 16
    # No worker for small jobs or a 2-core CPU (the model uses both cores), few on
    # larger CPUs, all but one core with a GPU; inference gets the cores left over.
    assert auto_num_workers(10, 4, "cpu", cores=16) == 0
    assert auto_num_workers(2000, 4, "cpu", cores=2) == 0
    assert auto_num_workers(2000, 4, "cpu", cores=8) == 1
    assert auto_num_workers(2000, 4, "cpu", cores=16) == 2
    assert auto_num_workers(2000, 64, "cuda", cores=16) == 15
    assert auto_num_workers(2000, 64, "cuda", cores=64) == 16
    assert auto_torch_threads(2, cores=16) == 14
    assert auto_torch_threads(0, cores=2) == 2
    assert auto_torch_threads(8, cores=4) == 1
    # "auto" runs end to end and gives the vectors an explicit batch size gives.
    items = items_for(make_jpegs(tmp_path / "imgs", 6))
    auto = embed_items(emb, items, None, progress=False)
    explicit = embed_items(emb, items, None, batch_size=5, num_workers=0, progress=False)
    for key, _, _ in items:
        np.testing.assert_allclose(auto.vectors[key], explicit.vectors[key], atol=1e-5)


def test_loaded_networks_are_shared_within_a_process():
    from workbench.models import pool
    from workbench.models.bundled import EfficientNetLite0

    pool.clear()
    first = pool.shared(EfficientNetLite0(device="cpu"))
    first.load()
    again = pool.shared(EfficientNetLite0(device="cpu"))
    assert again is first and again.model_ is not None  # no second load
    other_device = pool.shared(EfficientNetLite0(device="auto"))
    assert other_device is not first
    # The pool is bounded (MAX_SHARED = 2): the least recently used entry makes way.
    clip = pool.shared(clip_random_cpu())
    assert pool.shared(clip_random_cpu()) is clip
    assert pool.shared(EfficientNetLite0(device="auto")) is other_device
    assert pool.shared(EfficientNetLite0(device="cpu")) is not first
    pool.clear()
