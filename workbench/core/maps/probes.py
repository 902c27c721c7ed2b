"""Concept probes: is each text concept ("Andean textile") represented among the images?

Compares text embeddings with image embeddings from the same joint model (CLIP), with a
similarity threshold derived per concept from the collection itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..neighbours.embeddings import check_embeddings, check_text_embeddings

#: Expected number of images per concept that the automatic threshold lets through by chance.
PROBE_CHANCE_MATCHES = 0.1


def concept_probes(
    image_emb: np.ndarray,
    concept_emb: np.ndarray,
    concepts: Sequence[str],
    *,
    threshold: float | None = None,
    top_k: int = 8,
    min_close: int = 1,
) -> pd.DataFrame:
    """Is each text concept ("Andean textile") represented among the images?

    Parameters
    ----------
    image_emb : (N, D) array
        Image embeddings from a joint image-text model (CLIP); normalised here (see
        :func:`workbench.core.neighbours.embeddings.check_embeddings`).
    concept_emb : (C, D) array
        Text embeddings of ``concepts``, same model (checked with
        :func:`workbench.core.neighbours.embeddings.check_text_embeddings`).
    concepts : sequence of str
    threshold : float, optional
        Cosine similarity above which an image counts as close to a concept.
        ``None`` derives one per concept from the data: how high unrelated images
        score is estimated from the lower quarter of the concept's similarities
        (CLIP gives some prompts higher similarity to every image, so each concept
        gets its own centre; the spread is pooled over concepts), and an image is
        close when it scores more than z spreads above that, with z chosen so that
        unrelated images would pass by chance about 0.1 times per concept
        (z = 3.8 for 600 images, 4.7 for 50,000). Matching images sit in the upper
        tail, so they do not distort the estimate as long as a concept fits fewer
        than about three quarters of the images; otherwise pass a threshold (for
        CLIP ViT-B/32, matching image-text pairs typically score 0.25-0.33).
    top_k : int
        Nearest images listed per concept, whether close or not.
    min_close : int
        A concept with fewer close images than this is a gap.

    Returns
    -------
    DataFrame with columns ``concept, n_close, best_score, nearest, gap,
    threshold`` (``nearest``: image row indices, most similar first; ``threshold``:
    the similarity cut-off used for that concept), gaps first.

    Examples
    --------
    >>> imgs = np.eye(3)[[0, 0, 1]]
    >>> t = concept_probes(imgs, np.eye(3)[[0, 2]], ["ink", "weaving"], threshold=0.5)
    >>> t[["concept", "n_close", "gap"]].values.tolist()
    [['weaving', 0, True], ['ink', 2, False]]
    """
    images = check_embeddings(image_emb, name="image_emb", unit="normalize")
    texts = check_text_embeddings(concept_emb, concepts, images, name="concept_emb")
    if images.shape[0] == 0:
        raise ValueError("image_emb has no rows; embed some images first")
    sims = images @ texts.T  # (N, C)
    n = images.shape[0]
    if threshold is None:
        from scipy.stats import norm

        # Unrelated pairs are estimated from the lower quarter of each concept's
        # similarities (Gaussian quantiles: q25 = mu - 0.674 sd, q05 = mu - 1.645 sd),
        # so images that do match a concept, its upper tail, cannot inflate the estimate.
        q05, q25 = np.quantile(sims, [0.05, 0.25], axis=0)
        spread = float(np.median((q25 - q05) / (1.645 - 0.674)))
        centres = q25 + 0.674 * spread
        z = float(norm.isf(PROBE_CHANCE_MATCHES / n))
        thresholds = centres + z * spread
    else:
        thresholds = np.full(texts.shape[0], float(threshold))
    k = min(top_k, n)
    rows = []
    for j, name in enumerate(concepts):
        col = sims[:, j]
        nearest = np.argsort(-col, kind="stable")[:k]
        n_close = int((col > thresholds[j]).sum())
        rows.append(
            {
                "concept": name,
                "n_close": n_close,
                "best_score": float(col[nearest[0]]),
                "nearest": nearest.tolist(),
                "gap": n_close < min_close,
                "threshold": float(thresholds[j]),
            }
        )
    table = pd.DataFrame(
        rows, columns=["concept", "n_close", "best_score", "nearest", "gap", "threshold"]
    )
    return table.sort_values(
        ["gap", "n_close", "concept"], ascending=[False, True, True], ignore_index=True
    )
