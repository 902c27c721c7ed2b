"""Neighbour label suggestions on the real stamps: 20% of the folder labels hidden, then
suggested from the annotated neighbours (bundled model). Prints the hit rates (``-s``)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.annotation.suggest import suggest_labels

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_the_top_3_suggestions_hold_the_hidden_folder_label(real_items, real_embeddings):
    labels = np.array([it.category for it in real_items], dtype=object)
    rng = np.random.default_rng(0)
    hidden = np.zeros(len(labels), bool)
    hidden[rng.choice(len(labels), round(0.2 * len(labels)), replace=False)] = True
    given = np.where(hidden, None, labels)
    suggestions = suggest_labels(real_embeddings, given)
    rows = np.flatnonzero(hidden)
    top1 = np.mean([suggestions[i][0][0] == labels[i] for i in rows])
    top3 = np.mean([labels[i] in [lab for lab, _ in suggestions[i]] for i in rows])
    confident = np.mean([suggestions[i][0][1] for i in rows])
    print(f"\n{hidden.sum()} of {len(labels)} folder labels hidden (seed 0), "
          f"{len(set(labels))} folders: top-1 {top1:.1%}, top-3 {top3:.1%}, "
          f"mean confidence of the first suggestion {confident:.2f}")
    assert top3 >= 0.6
    assert all(suggestions[i] for i in rows), "every hidden item got a suggestion"
