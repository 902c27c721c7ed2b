"""The SQLite embedding cache: round trip, validation, scale, crash safety."""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers.models import REPO_ROOT

from workbench.models import EmbeddingCache, default_cache_dir


def _sha(i: int) -> str:
    return hashlib.sha256(f"image-{i}".encode()).hexdigest()


def _unit(rng, n, d):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_round_trip_len_contains_and_persistence(tmp_path):
    rng = np.random.default_rng(0)
    vecs = _unit(rng, 5, 16)
    cache = EmbeddingCache("model-a", dim=16, cache_dir=tmp_path)
    assert len(cache) == 0 and _sha(0) not in cache
    n = cache.put_many({_sha(i): vecs[i] for i in range(5)}, norms={_sha(0): 3.5})
    assert n == 5 and len(cache) == 5 and _sha(4) in cache and _sha(9) not in cache
    assert 123 not in cache
    got = cache.get_many([_sha(1), _sha(9), _sha(1)])
    assert set(got) == {_sha(1)}
    np.testing.assert_array_equal(got[_sha(1)], vecs[1])
    assert got[_sha(1)].dtype == np.float32
    with_norms = cache.get_many_with_norms([_sha(0), _sha(2)])
    assert with_norms[_sha(0)][1] == 3.5 and np.isnan(with_norms[_sha(2)][1])
    cache.close()
    again = EmbeddingCache("model-a", cache_dir=tmp_path)  # dim read back from the file
    assert len(again) == 5 and again.dim == 16
    np.testing.assert_array_equal(again.get_many([_sha(3)])[_sha(3)], vecs[3])
    # the object pickles (connection dropped) and works on the other side
    clone = pickle.loads(pickle.dumps(again))
    assert len(clone) == 5


def test_models_never_share_a_file(tmp_path):
    a = EmbeddingCache("open_clip:ViT-B-32:file-aaaaaaaaaaaa", dim=4, cache_dir=tmp_path)
    b = EmbeddingCache("open_clip:ViT-B-32:file-bbbbbbbbbbbb", dim=4, cache_dir=tmp_path)
    a.put_many({_sha(0): np.ones(4, np.float32)})
    assert a.path != b.path and len(b) == 0


def test_validation_errors_name_the_problem(tmp_path):
    cache = EmbeddingCache("m", dim=8, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="expected dim=8"):
        cache.put_many({_sha(0): np.zeros(7, np.float32)})
    with pytest.raises(ValueError, match="sha256"):
        cache.put_many({"not-a-hash": np.zeros(8, np.float32)})
    with pytest.raises(ValueError, match="NaN"):
        cache.put_many({_sha(0): np.full(8, np.nan, np.float32)})
    assert len(cache) == 0  # nothing partial was written
    cache.put_many({_sha(1): np.zeros(8, np.float32)})
    cache.close()
    with pytest.raises(ValueError, match="holds 8-d vectors"):
        len(EmbeddingCache("m", dim=16, cache_dir=tmp_path))
    with pytest.raises(ValueError, match="dim must be a positive integer"):
        EmbeddingCache("m", dim=0, cache_dir=tmp_path)


def test_default_cache_dir_honours_env(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("WORKBENCH_CACHE_DIR")
    assert default_cache_dir().parts[-3:] == (".cache", "palette-workbench", "embeddings")


def test_100k_lookups_are_cheap(tmp_path):
    rng = np.random.default_rng(1)
    n, d = 20_000, 64
    vecs = _unit(rng, n, d)
    shas = [_sha(i) for i in range(n)]
    cache = EmbeddingCache("big", dim=d, cache_dir=tmp_path)
    t0 = time.perf_counter()
    cache.put_many(dict(zip(shas, vecs)))
    put_s = time.perf_counter() - t0
    queries = shas + [_sha(n + i) for i in range(80_000)]  # 100k lookups, 20k hits
    t0 = time.perf_counter()
    got = cache.get_many(queries)
    get_s = time.perf_counter() - t0
    assert len(got) == n
    np.testing.assert_array_equal(got[shas[123]], vecs[123])
    assert put_s < 10 and get_s < 5, (put_s, get_s)


_WRITER = """
import sys, hashlib, numpy as np
from workbench.models import EmbeddingCache
cache = EmbeddingCache("crashy", dim=256, cache_dir=sys.argv[1])
rng = np.random.default_rng(0)
i = 0
while True:
    chunk = {}
    for _ in range(50):
        chunk[hashlib.sha256(str(i).encode()).hexdigest()] = rng.normal(size=256).astype(np.float32)
        i += 1
    cache.put_many(chunk)
"""


@pytest.mark.parametrize("delay", [0.3, 0.9])
def test_sigkill_during_writes_never_corrupts(tmp_path, delay):
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "c")],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        cache = EmbeddingCache("crashy", dim=256, cache_dir=tmp_path / "c")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the writer to be mid-stream
            if cache.path.exists() and len(cache) >= 100:
                break
            time.sleep(0.02)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    cache.close()
    after = EmbeddingCache("crashy", dim=256, cache_dir=tmp_path / "c")
    assert after.integrity_ok()
    n = len(after)
    assert n >= 100 and n % 50 == 0, n  # only whole transactions, never a partial chunk
    first = hashlib.sha256(b"0").hexdigest()
    assert after.get_many([first])[first].shape == (256,)
