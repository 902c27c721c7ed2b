"""Embedders: CLIP (random weights) and the bundled EfficientNet-Lite0."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from helpers.models import REPO_ROOT, bundled_cpu, clip_random_cpu, smooth_rgb

from workbench.models import (
    EfficientNetLite0,
    ImagePreprocess,
    OpenClipEmbedder,
    field_name_for,
    imagenet_class_names,
)


def _images(n: int, seed: int = 0):
    return [smooth_rgb(seed + i, 80 + 7 * i, 60 + 3 * i) for i in range(n)]


def test_field_names_are_fiftyone_safe():
    assert field_name_for("efficientnet-lite0-imagenet") == "emb_efficientnet_lite0_imagenet"
    assert (
        field_name_for("open_clip:ViT-B-32:laion2b_s34b_b79k")
        == "emb_clip_vit_b_32_laion2b_s34b_b79k"
    )
    name = field_name_for("open_clip:ViT-L-14/336:file-0123456789ab")
    assert name.replace("_", "").isalnum() and not name.startswith("_")


def test_embedders_are_picklable_before_load_and_cheap_to_build():
    emb = EfficientNetLite0(device="cpu")
    clip = OpenClipEmbedder("ViT-B-32", pretrained=None, device="cpu")
    for e in (emb, clip):
        assert e.model_ is None
        clone = pickle.loads(pickle.dumps(e))
        assert clone.name == e.name and clone.model_ is None
        # preprocess must be picklable for DataLoader workers
        pp = pickle.loads(pickle.dumps(e.preprocess))
        x = pp(smooth_rgb(1, 50, 40))
        assert tuple(x.shape) == (3, 224, 224) and x.dtype == torch.float32


def test_invalid_device_is_rejected_with_the_options():
    with pytest.raises(ValueError, match="device must be one of"):
        EfficientNetLite0(device="tpu")


def test_clip_random_weights_encode_images_and_texts():
    clip = clip_random_cpu()
    assert clip.name == "open_clip:ViT-B-32:random-seed0"
    assert clip.field_name == "emb_clip_vit_b_32_random_seed0"
    assert clip.dim == 512 and clip.has_text
    imgs = _images(3)
    v = clip.encode_pil(imgs)
    assert v.shape == (3, 512) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(v[0], v[1])  # different images, different vectors
    t = clip.encode_texts(["an Andean textile", "a watercolour of a harbour"])
    assert t.shape == (2, 512) and t.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(t, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(t[0], t[1])
    assert clip.encode_texts([]).shape == (0, 512)
    with pytest.raises(TypeError, match="list of strings"):
        clip.encode_texts("a single string")


@pytest.mark.slow
def test_clip_random_weights_are_reproducible_from_the_seed():
    a = clip_random_cpu()
    b = OpenClipEmbedder("ViT-B-32", pretrained=None, device="cpu")
    imgs = _images(2, seed=5)
    np.testing.assert_allclose(a.encode_pil(imgs), b.encode_pil(imgs), atol=1e-6)
    # pickling a loaded embedder drops the network; the clone reloads the same weights
    c = pickle.loads(pickle.dumps(b))
    assert c.model_ is None
    np.testing.assert_allclose(c.encode_pil(imgs), b.encode_pil(imgs), atol=1e-6)


def test_bundled_embeddings_unit_norm_1280_and_stable_across_runs():
    emb = bundled_cpu()
    assert (emb.name, emb.field_name, emb.dim, emb.has_text) == (
        "efficientnet-lite0-imagenet",
        "emb_efficientnet_lite0_imagenet",
        1280,
        False,
    )
    imgs = _images(4)
    x = torch.stack([emb.preprocess(im) for im in imgs])
    u1, n1 = emb.embed_batch(x)
    u2 = emb.encode_images(x)
    assert u1.shape == (4, 1280) and u1.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(u1, axis=1), 1.0, atol=1e-5)
    assert np.all(n1 > 0)
    np.testing.assert_array_equal(u1, u2)
    # a fresh instance (second load) gives the same vectors
    fresh = EfficientNetLite0(device="cpu")
    np.testing.assert_allclose(fresh.encode_images(x), u1, atol=1e-6)
    # batch composition does not change an image's vector
    np.testing.assert_allclose(emb.encode_images(x[2:3]), u1[2:3], atol=1e-5)


@pytest.mark.slow
def test_bundled_same_vector_in_another_process(tmp_path):
    img_path = tmp_path / "img.png"
    smooth_rgb(3, 120, 90).save(img_path)
    here = bundled_cpu().encode_pil([smooth_rgb(3, 120, 90)])[0]
    out = tmp_path / "vec.npy"
    code = (
        "import numpy as np; from PIL import Image; from workbench.models import EfficientNetLite0;"
        f"e = EfficientNetLite0(device='cpu'); v = e.encode_pil([Image.open({str(img_path)!r})])[0];"
        f"np.save({str(out)!r}, v)"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=REPO_ROOT,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    there = np.load(out)
    np.testing.assert_allclose(there, here, atol=1e-5)
    assert float(there @ here) > 0.99999


def test_bundled_is_image_only_with_a_clear_error():
    emb = EfficientNetLite0(device="cpu")
    with pytest.raises(NotImplementedError, match="efficientnet-lite0-imagenet.*image-only"):
        emb.encode_texts(["a cat"])
    assert emb.model_ is None  # the error comes before any loading


def test_imagenet_head_recomputed_from_stored_embeddings():
    emb = bundled_cpu()
    imgs = _images(3, seed=20)
    x = torch.stack([emb.preprocess(im) for im in imgs])
    unit, norms = emb.embed_batch(x)
    with torch.inference_mode():
        direct = emb.model_(x.contiguous(memory_format=torch.channels_last)).numpy()
    np.testing.assert_allclose(emb.imagenet_logits(unit, norms), direct, atol=1e-3, rtol=1e-4)
    # also without a loaded network (head read from the checkpoint)
    np.testing.assert_allclose(
        EfficientNetLite0("cpu").imagenet_logits(unit, norms), direct, atol=1e-3
    )
    top = emb.imagenet_top_classes(unit, norms, k=3)
    names = imagenet_class_names()
    assert len(names) == 1000 and len(set(names)) == 1000
    for row, logits in zip(top, direct):
        assert [n for n, _ in row] == [names[j] for j in np.argsort(-logits)[:3]]
        probs = [p for _, p in row]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    with pytest.raises(ValueError, match="norms must have one value"):
        emb.imagenet_logits(unit, norms[:2])


def test_bundled_network_is_simplified_without_changing_the_features():
    """No BatchNorm and no symmetric pad is left, and the features match the checkpoint."""
    from workbench.models.bundled import fold_batch_norms, published_network

    emb = bundled_cpu()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in emb.model_.modules())
    pads = [m.padding for m in emb.model_.modules() if isinstance(m, torch.nn.ZeroPad2d)]
    assert pads and all(p[0] != p[1] for p in pads)  # only the one-sided stride-2 pads remain
    reference = published_network()
    n_bn = sum(isinstance(m, torch.nn.BatchNorm2d) for m in reference.modules())
    assert n_bn == 49  # stem, head, and 1 to 3 per block: all of them are folded
    x = torch.stack([emb.preprocess(im) for im in _images(3, seed=21)])
    with torch.inference_mode():
        expected = reference.extract_features(x).mean(dim=(2, 3)).numpy()
    unit, norms = emb.embed_batch(x)
    np.testing.assert_allclose(unit * norms[:, None], expected, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="eval mode"):
        fold_batch_norms(reference.train())


def test_bundled_recognises_a_real_photo():
    """Guards the preprocessing (normalisation, class order) with a real cat photo."""
    skdata = pytest.importorskip("skimage.data")
    try:
        cat = skdata.chelsea()
    except (OSError, ValueError) as exc:  # pragma: no cover - data file absent
        pytest.skip(f"skimage sample image unavailable: {exc}")
    from PIL import Image

    emb = bundled_cpu()
    unit, norms = emb.embed_batch(torch.stack([emb.preprocess(Image.fromarray(cat))]))
    top5 = [n for n, _ in emb.imagenet_top_classes(unit, norms, k=5)[0]]
    cats = {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat", "lynx"}
    assert cats & set(top5[:2]), top5


def test_image_preprocess_handles_extreme_aspect_and_modes():
    pp = ImagePreprocess(size=224, resize=256)
    for img in (smooth_rgb(1, 2000, 20), smooth_rgb(2, 20, 2000), smooth_rgb(3, 1, 1).convert("L")):
        x = pp(img)
        assert tuple(x.shape) == (3, 224, 224) and torch.isfinite(x).all()
    assert json.dumps(pp.draft_size) == "[256, 256]"


def test_two_step_preprocess_matches_the_reference_transforms():
    """pixels + batched normalize give what torchvision's and open_clip's transforms give."""
    import torchvision.transforms.functional as TF
    from open_clip.transform import PreprocessCfg, image_transform_v2
    from torchvision.transforms import InterpolationMode

    from workbench.models.clip import OpenClipPreprocess

    imgs = [smooth_rgb(5, 300, 200), smooth_rgb(6, 97, 640), smooth_rgb(7, 256, 256).convert("L")]
    lite = ImagePreprocess(size=224, resize=256, mean=(0.5,) * 3, std=(0.5,) * 3)
    for interp in ("bicubic", "bilinear"):
        pp = ImagePreprocess(size=224, resize=256, mean=(0.5,) * 3, std=(0.5,) * 3,
                             interpolation=interp)
        for img in imgs:
            ref = TF.center_crop(TF.resize(img.convert("RGB"), 256, InterpolationMode(interp),
                                           antialias=True), [224, 224])
            ref = TF.normalize(TF.to_tensor(ref), [0.5] * 3, [0.5] * 3)
            torch.testing.assert_close(pp(img), ref, atol=1e-5, rtol=0)
    for mode in ("shortest", "longest", "squash"):
        ours = OpenClipPreprocess(size=224, resize_mode=mode)
        theirs = image_transform_v2(PreprocessCfg(size=224, resize_mode=mode), is_train=False)
        for img in imgs:
            torch.testing.assert_close(ours(img), theirs(img), atol=1e-5, rtol=0)
    # A batch is normalised at once, on the pixels' device, in channels-last order.
    px = torch.stack([lite.pixels(img) for img in imgs])
    assert px.dtype == torch.uint8 and tuple(px.shape) == (3, 224, 224, 3)
    x = lite.normalize(px)
    assert tuple(x.shape) == (3, 3, 224, 224) and x.is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(ValueError, match=r"uint8 \(N, H, W, 3\)"):
        lite.normalize(x)
