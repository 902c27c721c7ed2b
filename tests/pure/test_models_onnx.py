"""The ONNX Runtime backend: agreement with torch, the cached graph, and every fallback to torch."""

from __future__ import annotations

import pickle
import shutil
import sys

import numpy as np
import pytest
from helpers.models import bundled_cpu, items_for, make_jpegs, smooth_rgb

from workbench.models import EmbeddingCache, backends, embed_items
from workbench.models import onnx_backend as ob
from workbench.models import onnx_graph as og

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def graph_cache(tmp_path_factory):
    """A cache folder holding the bundled model's fp32 graph, exported and checked once."""
    folder = tmp_path_factory.mktemp("onnx-cache")
    emb, why = backends.with_backend(bundled_cpu(), "onnx", cache_dir=str(folder))
    assert isinstance(emb, ob.OnnxEmbedder), why
    return folder


def _onnx(graph_cache) -> ob.OnnxEmbedder:
    emb, why = backends.with_backend(bundled_cpu(), "onnx", cache_dir=str(graph_cache))
    assert isinstance(emb, ob.OnnxEmbedder), why
    return emb


@pytest.mark.slow
def test_fp32_onnx_agrees_with_torch_on_a_small_set(graph_cache):
    torch_emb, onnx_emb = bundled_cpu(), _onnx(graph_cache)
    images = [smooth_rgb(seed, 160 + 7 * seed, 120 + 5 * seed) for seed in range(12)]
    ref, got = torch_emb.encode_pil(images), onnx_emb.encode_pil(images)
    assert got.shape == ref.shape == (12, 1280)
    cos = og.cosines(ref, got)
    assert cos.min() >= 0.999, cos
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # the check that let the graph in was recorded, with the same threshold
    assert onnx_emb.record["passed"] and onnx_emb.record["cosine_min"] >= ob.FP32_MIN_COSINE
    assert onnx_emb.record["key"]["opset"] == og.OPSET
    assert onnx_emb.record["key"]["model"] == torch_emb.name


@pytest.mark.slow
def test_the_embedding_loop_runs_onnx_and_shares_the_torch_cache(tmp_path, graph_cache):
    onnx_emb = _onnx(graph_cache)
    # fp32 ONNX vectors share torch's cache entries and field: same name
    assert onnx_emb.name == bundled_cpu().name and onnx_emb.field_name == bundled_cpu().field_name
    items = items_for(make_jpegs(tmp_path / "imgs", 10, size=(120, 90)))
    got = embed_items(onnx_emb, items, EmbeddingCache.for_embedder(onnx_emb, tmp_path / "c"),
                      batch_size=4, progress=False, torch_threads=1)
    assert (got.computed, got.failed) == (10, [])
    assert onnx_emb.threads == 1  # the loop's thread policy reached the session
    ref = embed_items(bundled_cpu(), items, None, batch_size=4, progress=False)
    keys = [k for k, _, _ in items]
    assert og.cosines(ref.matrix(keys), got.matrix(keys)).min() >= 0.999
    np.testing.assert_allclose(got.norm_array(keys), ref.norm_array(keys), rtol=1e-3)


@pytest.mark.slow
def test_a_cached_graph_is_reused_without_exporting_again(graph_cache, monkeypatch):
    def no_export(*_a, **_k):
        raise AssertionError("exported again")

    monkeypatch.setattr(og, "export_graph", no_export)
    monkeypatch.setattr(og, "torch_features", no_export)
    emb, why = backends.with_backend(bundled_cpu(), "onnx", cache_dir=str(graph_cache))
    assert isinstance(emb, ob.OnnxEmbedder)
    assert why.startswith("backend onnx: ONNX Runtime fp32 on the CPU (cosine to torch ")


@pytest.mark.slow
def test_a_failed_check_falls_back_to_torch_with_the_figures(tmp_path, graph_cache, monkeypatch):
    graph = next(graph_cache.glob("onnx/*-fp32-*.onnx"))
    monkeypatch.setattr(og, "export_graph", lambda _emb, path: shutil.copy(graph, path))
    real = og.torch_features
    # A reference that is not what the graph computes: each image's features are another's.
    monkeypatch.setattr(og, "torch_features", lambda emb, x: np.roll(real(emb, x), 1, axis=0))
    emb, why = backends.with_backend(bundled_cpu(), "onnx", cache_dir=str(tmp_path))
    assert emb is bundled_cpu()
    assert why.startswith("backend torch (fallback from onnx): the fp32 ONNX graph disagrees "
                          "with torch: cosine ")
    assert "< 0.999 on 8 probe images" in why and "\n" not in why
    # The failure is recorded: a later run falls back at once, without exporting again.
    monkeypatch.setattr(og, "export_graph", lambda *_a: pytest.fail("exported again"))
    emb2, why2 = backends.with_backend(bundled_cpu(), "auto", cache_dir=str(tmp_path))
    assert emb2 is bundled_cpu() and "disagrees with torch" in why2


def test_a_failed_export_falls_back_to_torch(tmp_path, monkeypatch):
    def broken(_emb, _path):
        raise RuntimeError("Exporting the operator 'aten::odd' is not supported\nmore detail")

    monkeypatch.setattr(og, "export_graph", broken)
    emb, why = backends.with_backend(bundled_cpu(), "onnx", cache_dir=str(tmp_path))
    assert emb is bundled_cpu()
    assert why == ("backend torch (fallback from onnx): the ONNX export failed (RuntimeError: "
                   "Exporting the operator 'aten::odd' is not supported)")


_MISSING = "onnxruntime is not installed (pip install onnx onnxruntime)"


@pytest.mark.parametrize("backend,expected", [
    ("onnx", f"backend torch (fallback from onnx): {_MISSING}"),
    ("onnx-int8", f"backend torch (fallback from onnx-int8): {_MISSING}"),
    ("auto", f"backend torch: {_MISSING}"),
])
def test_without_onnxruntime_torch_runs_and_says_why(tmp_path, monkeypatch, backend, expected):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now fails
    monkeypatch.setattr(og, "export_graph", lambda *_a: pytest.fail("tried to export"))
    emb, why = backends.with_backend(bundled_cpu(), backend, cache_dir=str(tmp_path))
    assert emb is bundled_cpu()
    assert why.startswith(expected)


def test_auto_keeps_torch_on_a_gpu_and_torch_means_torch(tmp_path, monkeypatch):
    monkeypatch.setattr(backends, "resolve_device", lambda device: "cuda")
    monkeypatch.setattr(og, "export_graph", lambda *_a: pytest.fail("tried to export"))
    emb, why = backends.with_backend(bundled_cpu(), "auto", cache_dir=str(tmp_path))
    assert emb is bundled_cpu() and why == "backend torch: auto keeps torch on a CUDA GPU"
    emb, why = backends.with_backend(bundled_cpu(), "torch", cache_dir=str(tmp_path))
    assert emb is bundled_cpu() and why == "backend torch: requested"


def test_a_bad_backend_is_refused_with_the_choices():
    import workbench as wb

    with pytest.raises(ValueError, match=r"backend must be one of \['auto', 'torch', 'onnx', "
                                         r"'onnx-int8'\]; got 'tensorrt'"):
        wb.EmbedConfig(backend="tensorrt")
    with pytest.raises(ValueError, match="backend must be one of"):
        backends.with_backend(bundled_cpu(), "ONNX")
    assert wb.EmbedConfig().backend == "auto"


@pytest.mark.slow
def test_int8_gets_its_own_name_cache_and_field_and_pickles(graph_cache):
    fp32 = _onnx(graph_cache)
    int8 = ob.OnnxEmbedder(bundled_cpu(), fp32.graph, quantized=True, record=fp32.record)
    assert int8.name == bundled_cpu().name + ":onnx-int8"
    assert int8.field_name == "emb_efficientnet_lite0_imagenet_onnx_int8"
    assert EmbeddingCache.for_embedder(int8).path != EmbeddingCache.for_embedder(fp32).path
    assert (backends.backend_of(int8), backends.backend_of(fp32)) == ("onnx-int8", "onnx")
    assert backends.backend_of(bundled_cpu()) == "torch"
    fp32.load()
    twin = pickle.loads(pickle.dumps(fp32))  # Ray actors and workers receive it pickled
    assert twin.model_ is None and twin.graph == fp32.graph
    img = [smooth_rgb(3, 100, 80)]
    np.testing.assert_allclose(twin.encode_pil(img), fp32.encode_pil(img), atol=1e-6)


def test_agreement_measures_cosine_and_neighbour_overlap():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 16)).astype(np.float32)
    same = backends.agreement(x, 3 * x, k=10)  # scale does not matter
    assert same["cosine_min"] == pytest.approx(1.0, abs=1e-6)
    assert same["knn_overlap"] == pytest.approx(1.0)
    shuffled = backends.agreement(x, x[rng.permutation(60)], k=10)
    assert shuffled["cosine_mean"] < 0.5 and shuffled["knn_overlap"] < 0.5
    with pytest.raises(ValueError, match="k must be between 1 and N - 1 = 59; got 60"):
        backends.agreement(x, x, k=60)
    with pytest.raises(ValueError, match=r"one shape; got \(60, 16\) and \(60, 15\)"):
        backends.agreement(x, x[:, :15])
