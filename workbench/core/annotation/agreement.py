"""Agreement between annotators over the items two or more of them labelled.

Two annotators: Cohen's kappa (scikit-learn's ``cohen_kappa_score``). More: Krippendorff's
alpha, nominal (the ``krippendorff`` package), which takes items that only some
annotators labelled; the kappa of every pair is reported beside it. Both correct the
raw share of agreement for what chance alone would give: 1 is full agreement, 0 what
chance gives, below 0 worse than chance.

The confusion table counts, for every pair of annotators and every item both labelled,
(one's label, the other's); with two annotators its rows are the first annotator's and
its columns the second's, with more it counts each pair both ways (symmetric). The
per-class table gives each label's *specific agreement* ``2 n_cc / (row_c + col_c)``:
how often, when one annotator used the label, the other did too. The disagreement queue
lists the items whose labels differ, least agreed first, with the majority label.

Examples
--------
>>> labels = pd.DataFrame({"a": ["cat", "dog", "cat", "dog"],
...                        "b": ["cat", "dog", "dog", "dog"]}, index=list("wxyz"))
>>> res = agreement(labels)
>>> res.statistic, round(res.value, 3), res.queue.index.tolist()
('cohen_kappa', 0.5, ['y'])
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..results import axes_for, to_jsonable

#: Below this many shared items, a figure is reported with a warning in the summary.
FEW_ITEMS = 10


@dataclass
class Agreement:
    """What :func:`agreement` found.

    Attributes
    ----------
    labels
        Items (rows) by annotators (columns), only the items two or more labelled.
    statistic, value
        ``cohen_kappa`` (two annotators) or ``krippendorff_alpha`` (more), and its value
        (NaN when it is undefined: fewer than 2 items, or a single label used throughout).
    pairwise
        One row per pair: ``a``, ``b``, ``n`` (items both labelled), ``agreed`` (share),
        ``kappa``.
    confusion
        Label by label counts (see the module docstring).
    per_class
        One row per label: ``used`` (times chosen), ``specific_agreement``.
    queue
        The items whose labels differ: one column per annotator, ``majority`` (None on
        a tie), ``agreed`` (share of pairs that agree), least agreed first.
    """

    field: str
    annotators: list[str]
    labels: pd.DataFrame
    statistic: str
    value: float
    pairwise: pd.DataFrame
    confusion: pd.DataFrame
    per_class: pd.DataFrame
    queue: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def n_items(self) -> int:
        return len(self.labels)

    def to_dict(self) -> dict:
        """JSON-ready: the figure (under ``value``, and ``kappa`` or ``alpha``), the pairs,
        the per-class table, the queue."""
        queue = self.queue.reset_index(names="id")
        value = None if math.isnan(self.value) else round(float(self.value), 4)
        short = "kappa" if self.statistic == "cohen_kappa" else "alpha"
        return to_jsonable({
            "field": self.field, "annotators": list(self.annotators), "items": self.n_items,
            "statistic": self.statistic, "value": value, short: value,
            "pairwise": self.pairwise.to_dict(orient="records"),
            "per_class": self.per_class.reset_index(names="label").to_dict(orient="records"),
            "disagreements": len(self.queue),
            "queue": queue.astype(object).where(queue.notna(), None).to_dict(orient="records"),
            "notes": list(self.notes),
        })

    def summary(self) -> str:
        """One line: the statistic over how many items and annotators, and the queue."""
        name = {"cohen_kappa": "Cohen's kappa",
                "krippendorff_alpha": "Krippendorff's alpha"}[self.statistic]
        shown = "undefined" if math.isnan(self.value) else f"{self.value:.3f}"
        line = (f"{self.field!r}: {name} {shown} over {self.n_items} items labelled by "
                f"{len(self.annotators)} annotators ({', '.join(self.annotators)}); "
                f"{len(self.queue)} to adjudicate")
        return "; ".join([line, *self.notes])

    def plot(self, ax=None):
        """The confusion table as a heat map (matplotlib)."""
        ax = axes_for(ax, (1.2 + 0.45 * len(self.confusion.columns),
                           1.0 + 0.45 * len(self.confusion.index)))
        ax.imshow(self.confusion.to_numpy(), cmap="Blues")
        ax.set_xticks(range(len(self.confusion.columns)), self.confusion.columns, rotation=90)
        ax.set_yticks(range(len(self.confusion.index)), self.confusion.index)
        for (i, j), n in np.ndenumerate(self.confusion.to_numpy()):
            if n:
                ax.text(j, i, int(n), ha="center", va="center", fontsize=8)
        ax.set(xlabel=self.confusion.columns.name, ylabel=self.confusion.index.name,
               title=f"{self.field}: {self.statistic} {self.value:.2f}")
        return ax


def agreement(labels: pd.DataFrame, field: str = "label") -> Agreement:
    """Agreement of the annotators (columns) over the items (rows) two or more labelled.

    Parameters
    ----------
    labels : DataFrame
        Items by annotators; NaN or None where an annotator gave no label. Labels are
        compared as they are (text, numbers).
    field : str
        The field's name, for the summary.

    Returns
    -------
    Agreement

    Raises
    ------
    ValueError
        With fewer than two annotators, or no item two of them labelled.
    """
    from sklearn.metrics import cohen_kappa_score

    if not isinstance(labels, pd.DataFrame):
        raise ValueError(f"labels must be a DataFrame of items by annotators; got "
                         f"{type(labels).__name__}")
    annotators = [str(c) for c in labels.columns]
    if len(annotators) < 2:
        raise ValueError(f"agreement needs at least 2 annotators; got {annotators}")
    labels = labels.copy()
    labels.columns = annotators
    shared = labels[labels.notna().sum(axis=1) >= 2]
    if shared.empty:
        raise ValueError(f"no item of {field!r} was labelled by two or more of {annotators}")
    notes: list[str] = []
    pairs = []
    for a, b in itertools.combinations(annotators, 2):
        both = shared[[a, b]].dropna()
        kappa = _kappa(cohen_kappa_score, both[a], both[b]) if len(both) else math.nan
        pairs.append({"a": a, "b": b, "n": len(both),
                      "agreed": float((both[a] == both[b]).mean()) if len(both) else math.nan,
                      "kappa": kappa})
    pairwise = pd.DataFrame(pairs, columns=["a", "b", "n", "agreed", "kappa"])
    if len(annotators) == 2:
        statistic, value = "cohen_kappa", float(pairwise["kappa"].iloc[0])
    else:
        statistic, value = "krippendorff_alpha", _alpha(shared)
    if math.isnan(value):
        notes.append("the statistic is undefined here: one label only, or too few items")
    elif len(shared) < FEW_ITEMS:
        notes.append(f"only {len(shared)} shared items: read the figure as a rough one")
    confusion = _confusion(shared, annotators)
    return Agreement(field=field, annotators=annotators, labels=shared, statistic=statistic,
                     value=value, pairwise=pairwise, confusion=confusion,
                     per_class=_per_class(confusion), queue=_queue(shared), notes=notes)


def _kappa(score, a: pd.Series, b: pd.Series) -> float:
    """Cohen's kappa, NaN when undefined (one label only), without sklearn's warning."""
    import warnings

    if len(set(a) | set(b)) < 2:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(score(a.astype(str), b.astype(str)))


def _alpha(shared: pd.DataFrame) -> float:
    try:
        import krippendorff
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("agreement among 3 or more annotators needs krippendorff: "
                          "pip install krippendorff") from exc
    values = _values(shared)
    if len(values) < 2:
        return math.nan
    code = {v: i for i, v in enumerate(values)}
    data = np.array([[code[v] if pd.notna(v) else np.nan for v in shared[c]]
                     for c in shared.columns], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def _values(shared: pd.DataFrame) -> list:
    """The labels used, sorted as text."""
    return sorted({v for v in shared.to_numpy().ravel().tolist() if pd.notna(v)}, key=str)


def _confusion(shared: pd.DataFrame, annotators: list[str]) -> pd.DataFrame:
    values = _values(shared)
    table = pd.DataFrame(0, index=pd.Index(values), columns=pd.Index(values))
    for a, b in itertools.combinations(annotators, 2):
        both = shared[[a, b]].dropna()
        for x, y in zip(both[a], both[b]):
            table.loc[x, y] += 1
            if len(annotators) > 2:
                table.loc[y, x] += 1
    if len(annotators) == 2:
        table.index.name, table.columns.name = annotators
    else:
        table.index.name = table.columns.name = "label (every pair, both ways)"
    return table


def _per_class(confusion: pd.DataFrame) -> pd.DataFrame:
    m = confusion.to_numpy(dtype=float)
    rows, cols, diag = m.sum(axis=1), m.sum(axis=0), np.diag(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        specific = np.where(rows + cols > 0, 2 * diag / (rows + cols), np.nan)
    return pd.DataFrame({"used": (rows + cols).astype(int), "specific_agreement": specific},
                        index=confusion.index.rename("label"))


def _queue(shared: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for item, row in shared.iterrows():
        given = row.dropna()
        if given.nunique() < 2:
            continue
        counts = given.value_counts()
        top = counts[counts == counts.max()]
        pairs = list(itertools.combinations(given.tolist(), 2))
        rows.append({"id": item, **row.to_dict(),
                     "majority": top.index[0] if len(top) == 1 else None,
                     "agreed": sum(x == y for x, y in pairs) / len(pairs)})
    queue = pd.DataFrame(rows, columns=["id", *shared.columns, "majority", "agreed"])
    return queue.sort_values("agreed", kind="stable").set_index("id")
