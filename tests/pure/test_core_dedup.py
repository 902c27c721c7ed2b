"""Near-duplicate detection (pure core): exactness, recall on planted copies, keepers,
colour signatures and the rule that combines colour with structure."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageOps

from workbench.core.pixels.color import (
    SIGNATURE_SIZE,
    color_distance,
    color_signature,
    signature_matrix,
)
from workbench.core.dedup.candidates import (
    COLOR_COLUMN,
    DedupConfig,
    choose_keepers,
    documentation_score,
    duplicate_groups,
    find_near_duplicates,
    near_duplicate_pairs,
    resolve_duplicates,
)
from workbench.core.dedup.rules import (
    hamming_distance,
    judge_pairs,
    mirrored_distance,
    phash_codes,
)
from workbench.core.neighbours.embeddings import check_embeddings


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def naive_pairs(x: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    sims = x.astype(np.float64) @ x.astype(np.float64).T
    i, j = np.nonzero(np.triu(sims >= threshold, k=1))
    return set(zip(i.tolist(), j.tolist()))


def planted(n: int, n_pairs: int, dim: int, seed: int, noise=(0.05, 0.25), n_centres: int = 20):
    """Clustered unit vectors with ``n_pairs`` noise-perturbed copies planted in them."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_centres, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = centres[rng.integers(0, n_centres, n)] + rng.normal(size=(n, dim)) / np.sqrt(dim)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    src = rng.choice(n, n_pairs, replace=False)
    dst = rng.choice(np.setdiff1d(np.arange(n), src), n_pairs, replace=False)
    eps = rng.normal(size=(n_pairs, dim))
    eps /= np.linalg.norm(eps, axis=1, keepdims=True)
    x[dst] = x[src] + eps * rng.uniform(*noise, size=(n_pairs, 1))
    return unit(x), {(min(a, b), max(a, b)) for a, b in zip(src.tolist(), dst.tolist())}


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 60), dim=st.integers(2, 12), seed=st.integers(0, 10_000),
       threshold=st.floats(0.5, 0.999), copies=st.integers(0, 10))
def test_brute_force_is_exact(n, dim, seed, threshold, copies):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(max(n, 1), dim))[:n]
    for k in range(min(copies, max(n - 1, 0))):
        x[k + 1] = x[k] + rng.normal(size=dim) * 0.05
    x = unit(x) if n else np.zeros((0, dim), np.float32)
    pairs = find_near_duplicates(x, threshold, method="brute")
    assert set(zip(pairs["i"], pairs["j"])) == naive_pairs(x, threshold)
    assert (pairs["i"] < pairs["j"]).all() and (pairs["similarity"] >= threshold).all()
    assert list(pairs.columns) == ["i", "j", "similarity"]


def test_semdedup_recall_on_planted_copies():
    x, truth = planted(5000, 300, 64, seed=0)
    threshold = 0.95
    exact = naive_pairs(x, threshold)
    # The planted copies well inside the threshold are all real duplicates.
    sims = {p: float(x[p[0]].astype(np.float64) @ x[p[1]]) for p in truth}
    assert {p for p, s in sims.items() if s >= threshold} <= exact
    found = find_near_duplicates(x, threshold, n_clusters=50, seed=0)  # forced clustering
    got = set(zip(found["i"].tolist(), found["j"].tolist()))
    assert got <= exact  # no false positives, ever
    assert (found["similarity"] >= threshold).all()
    recall = len(got) / len(exact)
    assert recall >= 0.99, recall
    # Joining the 2 nearest clusters is what buys the recall: 1 cluster per point misses more.
    one = find_near_duplicates(x, threshold, n_clusters=50, n_assign=1, seed=0)
    assert len(one) <= len(found)


def test_threshold_is_inclusive_and_results_sorted():
    x = unit(np.array([[1.0, 0.0], [0.6, 0.8], [1.0, 0.0], [0.0, 1.0]]))
    pairs = find_near_duplicates(x, 0.6, method="brute")
    assert pairs[["i", "j"]].values.tolist() == [[0, 1], [0, 2], [1, 2], [1, 3]]
    assert pairs["similarity"].tolist() == pytest.approx([0.6, 1.0, 0.6, 0.8])


def test_auto_clusters_small_input_is_exact():
    x, _ = planted(1500, 50, 32, seed=3)
    auto = find_near_duplicates(x, 0.9)
    assert set(zip(auto["i"], auto["j"])) == naive_pairs(x, 0.9)


def test_duplicate_groups_chain():
    labels = duplicate_groups(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert labels[0] == labels[1] == labels[2]
    assert labels[4] == labels[5] and len(set(labels.tolist())) == 3


def test_keepers_prefer_resolution_then_documentation_then_id():
    records = pd.DataFrame({
        "id": ["b", "a", "c", "d", "e", "f"],
        "width": [100, 100, 50, 10, 10, 10], "height": 100,
        "creator": ["x", None, "x", None, "y", None],
        "source": [None, None, None, None, "s", None],
        "license_status": ["valid", "unknown", "valid", "valid", "valid", "valid"],
        "consent": "granted",
    })
    labels = np.array([0, 0, 0, 1, 1, 2])
    keeper = choose_keepers(records, labels)
    # group 0: a and b tie on resolution, b is better documented; c is smaller.
    assert keeper.tolist() == [0, 0, 0, 4, 4, 5]
    assert documentation_score(records).tolist() == [3, 1, 3, 2, 4, 2]
    same = records.assign(creator=None, source=None, license_status="valid")
    assert choose_keepers(same, np.array([0, 0, 1, 1, 1, 2]))[:2].tolist() == [1, 1]  # "a" < "b"


def test_resolve_duplicates_combines_exact_and_near():
    x = unit(np.array([[1, 0, 0], [1, 0.01, 0], [0, 1, 0], [0, 0, 1]], dtype=float))
    records = pd.DataFrame({"id": list("pqrs"), "sha256": ["h", None, "k", "k"],
                            "width": [10, 20, 30, 30], "height": 10})
    keeper, n_pairs = resolve_duplicates(records, x, DedupConfig(threshold=0.99))
    assert keeper.tolist() == [1, 1, 2, 2] and n_pairs == 1
    keeper, n_pairs = resolve_duplicates(records, None, None)  # exact only
    assert keeper.tolist() == [0, 1, 2, 2] and n_pairs == 0


def test_config_and_input_validation():
    with pytest.raises(ValueError, match=r"method must be one of \['semdedup', 'brute'\]"):
        DedupConfig(method="fast")
    with pytest.raises(ValueError, match="threshold is a cosine similarity"):
        DedupConfig(threshold=1.5)
    with pytest.raises(ValueError, match="n_clusters"):
        DedupConfig(n_clusters=0)
    with pytest.raises(ValueError, match="2-D"):
        check_embeddings(np.ones(3))
    with pytest.raises(ValueError, match="row 1 has norm"):
        check_embeddings(np.array([[1, 0], [3, 4]], dtype=np.float32))
    with pytest.raises(ValueError, match="row 0 has norm nan"):
        check_embeddings(np.array([[np.nan, 0]], dtype=np.float32))
    x = unit(np.eye(3))
    assert check_embeddings(x) is x  # no copy for float32 C-contiguous input


# --------------------------------------------------------------------------- colour
def icon(skin=(236, 192, 150), shirt=(40, 90, 200), size=128) -> Image.Image:
    """Anti-aliased clip art: a face over a shirt with a yellow badge, black outlines."""
    big = Image.new("RGB", (4 * size, 4 * size), "white")
    draw, s = ImageDraw.Draw(big), 4 * size / 128
    draw.ellipse([40 * s, 10 * s, 88 * s, 58 * s], fill=skin, outline="black", width=int(3 * s))
    draw.rectangle([30 * s, 60 * s, 98 * s, 120 * s], fill=shirt, outline="black",
                   width=int(3 * s))
    draw.rectangle([50 * s, 70 * s, 78 * s, 80 * s], fill=(250, 220, 40))
    return big.resize((size, size), Image.Resampling.LANCZOS)


def jpeg(img: Image.Image, quality: int = 70) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def rotate_hue(img: Image.Image, degrees: float) -> Image.Image:
    hsv = np.asarray(img.convert("HSV")).astype(np.int64)
    hsv[..., 0] = (hsv[..., 0] + round(degrees / 360 * 256)) % 256
    return Image.fromarray(hsv.astype(np.uint8), "HSV").convert("RGB")


def test_color_signature_shape_blank_small_and_mode():
    sig = color_signature(icon())
    assert sig.shape == (SIGNATURE_SIZE,) and sig.dtype == np.float32
    assert float(sig.sum()) == pytest.approx(1.0, abs=1e-5) and (sig >= 0).all()
    assert not color_signature(Image.new("RGB", (50, 30), "white")).any()  # blank: zeros
    tiny = color_signature(Image.new("RGB", (3, 2), (200, 30, 30)))  # used as it is
    assert color_distance(tiny, color_signature(Image.new("RGB", (300, 200), (200, 30, 30)))) \
        == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match=r"mode 'RGB'.*got mode 'RGBA'"):
        color_signature(Image.new("RGBA", (4, 4)))


def test_color_distance_copies_close_recolours_far():
    cfg = DedupConfig()
    base = icon(size=256)
    sig = color_signature(base)
    for copy in (jpeg(base), base.resize((128, 128), Image.Resampling.LANCZOS),
                 base.convert("P", palette=Image.Palette.ADAPTIVE, colors=256).convert("RGB")):
        assert color_distance(sig, color_signature(copy)) <= cfg.color_max
    for recolour in (icon(skin=(120, 72, 40), size=256), icon(shirt=(200, 40, 40), size=256),
                     rotate_hue(base, 40), rotate_hue(base, -120)):
        assert color_distance(sig, color_signature(recolour)) > cfg.color_review
    blank, white = color_signature(Image.new("RGB", (9, 9), "white")), np.zeros(SIGNATURE_SIZE)
    assert color_distance(blank, white) == 0.0
    assert color_distance(blank, sig) == pytest.approx(1.0)
    other = color_signature(rotate_hue(base, 90))
    pairwise = color_distance(np.stack([sig, other]), np.stack([other, sig]))
    assert pairwise.shape == (2,) and pairwise[0] == pairwise[1] == color_distance(sig, other)
    with pytest.raises(ValueError, match=r"length 84.*got shape \(3,\)"):
        color_distance(sig, np.zeros(3))


def test_signature_matrix_missing_and_wrong_length():
    sig = color_signature(icon(size=32))
    matrix, present = signature_matrix([sig, None, float("nan"), sig.tolist()])
    assert present.tolist() == [True, False, False, True]
    assert (matrix[1] == 0).all() and np.allclose(matrix[3], sig)
    with pytest.raises(ValueError, match=r"color_signature\['b'\] must be .* 84 finite floats"
                                         r".*got 12 values"):
        signature_matrix([sig, np.zeros(12)], labels=["a", "b"])


# --------------------------------------------------------------------------- the rule
def test_judge_pairs_each_branch():
    cfg = DedupConfig()
    cases = {  # (cosine, pHash, mirrored pHash, colour) -> verdict
        "pixels and colour agree": ((0.65, 4, 30, 0.010), "duplicate"),
        "a crop: embeddings and colour agree": ((0.93, 20, 30, 0.005), "duplicate"),
        "crop too far for the pHash": ((0.93, 26, 30, 0.005), "different"),
        "a slight colour difference": ((0.99, 2, 30, 0.05), "review"),
        "a recolour": ((0.99, 2, 30, 0.30), "different"),
        "a mirror image": ((0.97, 30, 4, 0.0), "review"),
        "structure differs": ((0.85, 16, 30, 0.0), "different"),
        "no colour: today's rule": ((0.96, 10, 30, np.nan), "duplicate"),
        "no colour, pHash too far": ((0.96, 14, 30, np.nan), "different"),
        "no colour, no pHash": ((0.96, -1, -1, np.nan), "duplicate"),
        "no pHash: embeddings and colour": ((0.92, -1, -1, 0.0), "duplicate"),
    }
    cos, ph, mir, col = (np.array(v) for v in zip(*(c for c, _ in cases.values())))
    verdict, why = judge_pairs(cos, ph.astype(int), mir.astype(int), col, cfg)
    assert dict(zip(cases, verdict)) == {k: v for k, (_, v) in cases.items()}
    assert why[0] == "pHash 4 <= 8 and colour 0.010 <= 0.015"
    assert why[1] == "cosine 0.930 >= 0.9 (pHash 20 <= 24) and colour 0.005 <= 0.015"
    assert why[3].startswith("structure agrees, colour 0.050 between 0.015 and 0.08")
    assert why[5].startswith("mirror image: pHash 30 as is, 4 mirrored")
    assert why[7] == "no colour signature: cosine 0.960 >= 0.95 and pHash 10 <= 12"
    assert why[2] is None
    legacy, _ = judge_pairs(cos, ph.astype(int), mir.astype(int), col,
                            DedupConfig(color_max=None))
    assert [k for k, v in zip(cases, legacy) if v == "duplicate"] == [
        "a slight colour difference", "a recolour", "no colour: today's rule",
        "no colour, no pHash"]


def test_mirrored_pairs_are_recognised_from_the_phash():
    import imagehash

    img = icon(size=96)
    img.paste((20, 160, 60), (70, 5, 92, 40))  # make it clearly asymmetric
    hashes = pd.Series([str(imagehash.phash(im)) for im in
                        (img, ImageOps.mirror(img), ImageOps.flip(img), img.rotate(180))])
    codes, ok = phash_codes(hashes)
    i, j = np.zeros(3, dtype=int), np.arange(1, 4)
    assert ok.all()
    as_is, mirrored = hamming_distance(codes, i, j), mirrored_distance(codes, i, j)
    assert (as_is >= 20).all() and (mirrored <= 6).all(), (as_is, mirrored)


def test_near_duplicate_pairs_recolour_kept_copy_collapsed():
    base = icon(size=128)
    images = [base, jpeg(base), icon(shirt=(200, 40, 40)), icon(skin=(120, 72, 40)),
              rotate_hue(base, 40)]
    import imagehash

    records = pd.DataFrame({"id": list("abcde"),
                            "phash": [str(imagehash.phash(im)) for im in images],
                            COLOR_COLUMN: [color_signature(im) for im in images]})
    x = unit(np.array([[1, 0.01 * k, 0] for k in range(5)]))  # embeddings all agree
    pairs = near_duplicate_pairs(records, x, DedupConfig())
    dup = pairs[pairs["verdict"] == "duplicate"]
    assert dup[["i", "j"]].values.tolist() == [[0, 1]]
    assert list(pairs.columns) == ["i", "j", "cosine", "phash", "color", "local", "verdict",
                                   "why"]
    keeper, n = resolve_duplicates(records, x, DedupConfig(), pairs=pairs)
    assert keeper.tolist() == [0, 0, 2, 3, 4] and n == 1
    # Without signatures the same pairs fall back to cosine and pHash: recolours collapse.
    blind = records.assign(**{COLOR_COLUMN: None})
    keeper, n = resolve_duplicates(blind, x, DedupConfig())
    assert n >= 3 and keeper[2] == keeper[3] == 0
    assert near_duplicate_pairs(blind, x, DedupConfig())["color"].isna().all()


def test_new_config_fields_validated():
    with pytest.raises(ValueError, match=r"color_max <= color_review.*color_max=0.2"):
        DedupConfig(color_max=0.2, color_review=0.1)
    with pytest.raises(ValueError, match=r"crop_phash_max is a Hamming distance.*got 65"):
        DedupConfig(crop_phash_max=65)
    with pytest.raises(ValueError, match=r"min_cosine is a cosine similarity.*got 2"):
        DedupConfig(min_cosine=2)
    assert DedupConfig(color_max=None).radius == 0.95 and DedupConfig().radius == 0.6


# --------------------------------------------------------------------------- the selection
def test_selection_reports_review_pairs_and_saves_them():
    import imagehash

    from workbench.core.selection.select import SelectConfig, Selection, select_balanced

    base = icon()
    base.paste((20, 160, 60), (100, 5, 122, 40))  # asymmetric, so its mirror image differs
    badge = base.copy()
    ImageDraw.Draw(badge).rectangle([50, 70, 78, 80], fill=(40, 200, 40))  # a slight change
    images = {"a": base, "b": jpeg(base), "c": badge, "d": ImageOps.mirror(base),
              "e": icon(shirt=(200, 40, 40)), "f": base.resize((96, 96))}
    records = pd.DataFrame({
        "id": list(images), "style": "ink", "consent": "granted", "license": "CC0-1.0",
        "license_status": "valid", "ai_generated": "false", "width": 128, "height": 128,
        "sha256": [f"{k:064x}" for k in range(6)],
        "phash": [str(imagehash.phash(im)) for im in images.values()],
        COLOR_COLUMN: [color_signature(im) for im in images.values()]})
    records.loc[5, COLOR_COLUMN] = None  # f has no signature (loaded before colour existed)
    t, u = np.radians(14), np.radians(15)  # c and e: cosine 0.97 to a, 0.87 to f
    x = unit(np.array([[1, 0, 0], [1, 0.01, 0], [np.cos(t), np.sin(t), 0], [1, 0.02, 0],
                       [np.cos(t), np.sin(t), 0.01], [np.cos(u), -np.sin(u), 0]]))
    sel = select_balanced(records, x, 4, by="style", config=SelectConfig(seed=0))
    # b is a copy of a; f has no signature and is judged as before (cosine and pHash).
    assert sel.excluded == {"b": "duplicate_of:a", "f": "duplicate_of:a"}
    pairs = {(p["a"], p["b"]): p for p in sel.review_pairs}
    assert set(pairs) == {("a", "c"), ("a", "d"), ("c", "d")}  # e (red shirt): different
    assert pairs[("a", "c")]["why"].startswith("structure agrees, colour 0.0")
    assert pairs[("a", "d")]["why"].startswith("mirror image")
    assert pairs[("a", "d")]["color"] == 0
    assert set(pairs[("a", "c")]) == {"a", "b", "cosine", "phash", "color", "local", "why"}
    stats = sel.params["stats"]
    assert stats["near_duplicate_review"] == 3 and stats["records_without_color"] == 1
    assert stats["near_duplicate_pairs_without_color"] == 2  # a-f and b-f
    assert sel.summary_dict()["review_pairs"] == sel.review_pairs
    assert "pairs to review (both kept): 3" in sel.summary()
    back = Selection.from_dict(json.loads(json.dumps(sel.to_dict())))
    assert back.review_pairs == sel.review_pairs and back.to_dict() == sel.to_dict()
    assert sel.remove(["c"]).review_pairs == sel.review_pairs  # hand edits keep the list
    old = {k: v for k, v in sel.to_dict().items() if k != "review_pairs"}
    assert Selection.from_dict(old).review_pairs == []  # saved before review pairs existed
    with pytest.raises(ValueError, match="review_pairs must be a list of dicts"):
        Selection.from_dict({**old, "review_pairs": [["a", "c"]]})
