"""Label issues on the real stamps: 5% of the category labels swapped, then looked for.

Prints the precision-recall curve of the ranking (run with ``-s``), the flagged set's
precision and recall, and the same figures when the wrong labels are drawn uniformly
from the other categories instead of swapped.
"""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.labels.label_issues import find_label_issues, swap_labels

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _report(name: str, res, truth: np.ndarray, labels: np.ndarray) -> float:
    curve = res.precision_recall(truth)
    flagged = res.table["flagged"].to_numpy()
    hits = int((flagged & truth).sum())
    right = (res.table["suggested"].to_numpy()[truth] == labels[truth]).mean()
    print(f"\n{name}: {int(truth.sum())} wrong labels of {len(truth)}; {res.summary()}")
    print(f"  flagged {int(flagged.sum())}: precision {hits / max(flagged.sum(), 1):.2f}, "
          f"recall {hits / truth.sum():.2f}; true label suggested for {right:.0%} of the wrong")
    print("  recall  items taken  precision  (ranking by label_score, first cut reaching it)")
    for target in (0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        row = curve[curve["recall"] >= target].iloc[0]
        print(f"  {target:>6.1f}  {int(row['n']):>11}  {row['precision']:>9.2f}")
    return res.precision_at_recall(truth, 0.6)


def test_swapped_category_labels_are_found(real_items, real_embeddings):
    labels = np.array([it.category for it in real_items], dtype=object)
    noisy, truth = swap_labels(labels, 0.05, seed=0)
    res = find_label_issues(real_embeddings, noisy)
    precision = _report("5% of labels swapped in pairs (seed 0)", res, truth, labels)
    assert precision >= 0.6


def test_uniform_wrong_labels_are_found_too(real_items, real_embeddings):
    labels = np.array([it.category for it in real_items], dtype=object)
    classes = sorted(set(labels))
    rng = np.random.default_rng(0)
    truth = np.zeros(len(labels), bool)
    truth[rng.choice(len(labels), round(0.05 * len(labels)), replace=False)] = True
    noisy = labels.copy()
    noisy[truth] = [rng.choice([c for c in classes if c != v]) for v in labels[truth]]
    res = find_label_issues(real_embeddings, noisy)
    precision = _report("5% of labels replaced by another category, uniformly (seed 0)", res,
                        truth, labels)
    assert precision >= 0.5
