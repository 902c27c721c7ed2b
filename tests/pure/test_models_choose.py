"""Model selection: specs, offline behaviour (fast, clear failures), local weights."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.models import REPO_ROOT, SilentServer, clip_random_cpu, smooth_rgb

from workbench.models import (
    EfficientNetLite0,
    ModelUnavailableError,
    OpenClipEmbedder,
    available_embedders,
    hub,
    parse_spec,
    resolve_embedder,
)

DEFAULT_REPO = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"


@pytest.fixture
def empty_hf_cache(tmp_path, monkeypatch):
    """An empty HF cache and a hub endpoint that never answers (no real network)."""
    server = SilentServer()
    cache = tmp_path / "hf" / "hub"
    cache.mkdir(parents=True)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    hub._probe_memo.clear()
    yield cache
    hub._probe_memo.clear()
    server.close()


@pytest.fixture(scope="module")
def vit_b32_checkpoint(tmp_path_factory) -> Path:
    """The seeded random ViT-B-32 state_dict saved as a local checkpoint (~600 MB)."""
    path = tmp_path_factory.mktemp("ckpt") / "vit_b32_random.bin"
    torch.save(clip_random_cpu().model_.state_dict(), path)
    return path


def _fill_hf_cache(cache: Path, repo: str, filename: str, source: Path) -> Path:
    """Lay out one file the way huggingface_hub caches it (refs/main -> snapshot)."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    root = cache / ("models--" + repo.replace("/", "--"))
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(commit)
    snap = root / "snapshots" / commit
    snap.mkdir(parents=True)
    (snap / filename).symlink_to(source)
    return snap / filename


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("auto", ("auto", None)),
        ("CLIP", ("clip", None)),
        ("bundled", ("bundled", None)),
        ("ViT-B-32:laion2b_s34b_b79k", ("ViT-B-32", "laion2b_s34b_b79k")),
        ("ViT-B-32:/path/weights.bin", ("ViT-B-32", "/path/weights.bin")),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("bad", ["", "ViT-B-32", "ViT-B-32:", ":tag", None])
def test_parse_spec_rejects_malformed_specs_listing_forms(bad):
    with pytest.raises(ValueError, match="auto \\| clip \\| bundled"):
        parse_spec(bad)


def test_unknown_model_name_or_tag_is_a_clear_error(empty_hf_cache):
    with pytest.raises(ValueError, match="not a known architecture"):
        resolve_embedder("ViT-Q-99:laion2b_s34b_b79k")
    with pytest.raises(ValueError, match="valid tags: .*laion2b_s34b_b79k"):
        resolve_embedder("ViT-B-32:no_such_tag")
    with pytest.raises(ValueError, match="not a file"):
        resolve_embedder("ViT-B-32:/no/such/weights.bin")


def test_known_hub_table_matches_open_clip():
    import open_clip

    from workbench.models.clip import KNOWN_HF_HUB

    for (model_name, tag), hf_hub in KNOWN_HF_HUB.items():
        assert open_clip.get_pretrained_cfg(model_name, tag)["hf_hub"] == hf_hub


def test_bundled_spec():
    emb, reason = resolve_embedder("bundled", device="cpu")
    assert isinstance(emb, EfficientNetLite0) and emb.model_ is None
    assert reason.startswith("using bundled EfficientNet-Lite0")


def _assert_guidance(message: str) -> None:
    assert "ViT-B-32/laion2b_s34b_b79k" in message
    assert "HF_HOME" in message and "Hugging Face cache" in message
    assert "--model ViT-B-32:/path/to/weights.bin" in message


def test_clip_offline_flag_fails_fast_with_guidance(empty_hf_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    with pytest.raises(ModelUnavailableError) as info:
        resolve_embedder("clip")
    assert time.perf_counter() - t0 < 10
    assert isinstance(info.value, ValueError)
    _assert_guidance(str(info.value))
    assert "HF_HUB_OFFLINE" in str(info.value)


def test_clip_unreachable_hub_fails_within_the_probe_timeout(empty_hf_cache):
    # The endpoint accepts the TCP connection and never answers: the worst case.
    t0 = time.perf_counter()
    with pytest.raises(ModelUnavailableError) as info:
        resolve_embedder("clip", probe_timeout=3.0)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10, elapsed
    assert elapsed >= 2.5  # it really waited for the probe, not a shortcut
    _assert_guidance(str(info.value))
    assert "unreachable" in str(info.value)


def test_loading_a_clip_tag_directly_also_fails_fast(empty_hf_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = OpenClipEmbedder("ViT-B-32", "laion2b_s34b_b79k", device="cpu")
    t0 = time.perf_counter()
    with pytest.raises(ModelUnavailableError):
        emb.encode_pil([smooth_rgb(0, 32, 32)])
    assert time.perf_counter() - t0 < 10


def test_clip_offline_cli_style_process_under_10_seconds(tmp_path):
    """End to end in a fresh process (imports included), as `workbench embed --model clip` sees it."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_CACHE": str(tmp_path),
        "PYTHONPATH": str(REPO_ROOT),
    }
    code = (
        "from workbench.models import resolve_embedder, ModelUnavailableError\n"
        "import sys\n"
        "try:\n    resolve_embedder('clip')\nexcept ModelUnavailableError as e:\n    print('ERR', e)\n"
        "print('torch imported:', 'torch' in sys.modules)\n"
    )
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )
    assert time.perf_counter() - t0 < 10, out.stderr
    assert out.stdout.startswith("ERR CLIP weights for ViT-B-32/laion2b_s34b_b79k")
    assert "torch imported: False" in out.stdout  # the answer needs no heavy imports


def test_auto_falls_back_to_bundled_when_offline(empty_hf_cache):
    emb, reason = resolve_embedder("auto", probe_timeout=1.0)
    assert isinstance(emb, EfficientNetLite0)
    assert reason.startswith("using bundled EfficientNet-Lite0: CLIP weights are not cached and ")
    assert "unreachable" in reason


def test_available_embedders_offline(empty_hf_cache):
    rows = {r["spec"]: r for r in available_embedders()}
    assert rows["bundled"]["available"] is True
    assert rows["clip"]["available"] is False
    assert "ViT-B-32:/path/to/weights.bin" in rows["clip"]["reason"]


@pytest.mark.slow
def test_local_checkpoint_round_trip_by_spec(vit_b32_checkpoint):
    emb, reason = resolve_embedder(f"ViT-B-32:{vit_b32_checkpoint}", device="cpu")
    assert isinstance(emb, OpenClipEmbedder)
    assert "local checkpoint" in reason
    sha12 = hub.sha256_file(vit_b32_checkpoint)[:12]
    assert emb.name == f"open_clip:ViT-B-32:file-{sha12}"
    assert emb.field_name == f"emb_clip_vit_b_32_file_{sha12}"
    imgs = [smooth_rgb(40 + i, 90, 70) for i in range(3)]
    ref = clip_random_cpu()
    np.testing.assert_allclose(emb.encode_pil(imgs), ref.encode_pil(imgs), atol=1e-6)
    np.testing.assert_allclose(
        emb.encode_texts(["a kilim"]), ref.encode_texts(["a kilim"]), atol=1e-6
    )


@pytest.mark.slow
def test_auto_uses_clip_weights_found_in_the_hf_cache(empty_hf_cache, vit_b32_checkpoint):
    cached = _fill_hf_cache(
        empty_hf_cache, DEFAULT_REPO, "open_clip_pytorch_model.bin", vit_b32_checkpoint
    )
    t0 = time.perf_counter()
    emb, reason = resolve_embedder("auto", device="cpu")
    assert time.perf_counter() - t0 < 2  # no network probe when the cache answers
    assert reason == "using CLIP ViT-B-32/laion2b_s34b_b79k: weights found in the local cache"
    assert emb.name == "open_clip:ViT-B-32:laion2b_s34b_b79k"
    assert emb.checkpoint_path() == str(cached)
    rows = {r["spec"]: r for r in available_embedders()}
    assert rows["clip"]["available"] is True
    # it loads from the cache (even though the endpoint would hang) and matches the weights
    img = [smooth_rgb(50, 64, 64)]
    np.testing.assert_allclose(emb.encode_pil(img), clip_random_cpu().encode_pil(img), atol=1e-6)
