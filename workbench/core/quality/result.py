"""The result of quality checks: flags with their thresholds, per item and per check.

Made by :func:`workbench.core.quality.checks.judge_quality`. A :class:`QualityResult` is data:
``to_dict()`` for JSON, ``summary()`` for people, ``frame()`` for pandas, and
``exclusions()`` for selection (reason codes ``quality:<check>``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from ...schema import quality_reason
from ..results import to_jsonable
from .policy import QualityPolicy

__all__ = ["Flag", "QualityResult", "Threshold"]


@dataclass(frozen=True)
class Flag:
    """One check an item failed: its score, the threshold it crossed, and why that one.

    Examples
    --------
    >>> flag = Flag("blurry", score=0.31, threshold=0.40, basis="collection median "
    ...             "sharpness 0.8, 1 octaves below it on log2(sharpness)")
    >>> flag.to_dict()["threshold"]
    0.4
    """

    check: str
    score: float
    threshold: float
    basis: str

    def to_dict(self) -> dict:
        """Plain JSON-ready Python."""
        return to_jsonable(asdict(self))


@dataclass(frozen=True)
class Threshold:
    """The threshold one check used, and what it was made from.

    ``source`` is ``collection``, ``reference`` (collection below ``min_collection``),
    ``small collection`` (below ``min_collection``, where the reference would flag most
    items: its own median less the widest gap) or ``policy`` (size checks). For picture
    checks ``median`` is in the score's own units, ``spread`` (1.4826 MAD) and ``gap`` in
    the check's log2 unit, and ``n`` counts the images the statistics came from. ``also``
    is a second threshold that must be crossed too: ``blank`` needs its content share
    *and* its edges below theirs (``basis`` then states both).
    """

    check: str
    score: str
    value: float
    flags_above: bool
    basis: str
    source: str
    median: float | None = None
    spread: float | None = None
    gap: float | None = None
    n: int | None = None
    also: Threshold | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready Python."""
        return to_jsonable(asdict(self))


@dataclass(frozen=True)
class QualityResult:
    """Every item's quality issues, with the thresholds that decided them.

    Attributes
    ----------
    ids
        Item ids, in input order.
    flags
        Per item, its :class:`Flag` objects, in the order of
        :data:`workbench.core.quality.checks.CHECKS`.
    thresholds
        Check -> :class:`Threshold`, for every check that ran.
    scores
        The input scores and sizes, one row per item (``width``, ``height``, ``side``
        (``sqrt(width * height)``), ``aspect``, then the picture scores).
    policy
        The :class:`QualityPolicy` applied.

    Examples
    --------
    >>> result = judge_quality(scores, widths, heights)  # doctest: +SKIP
    >>> result.counts  # doctest: +SKIP
    {'blank': 3, 'dark': 2, 'washed_out': 4, 'blurry': 2, 'mostly_padding': 6, ...}
    >>> result.exclusions()  # doctest: +SKIP
    {'img_0412': 'quality:blank', ...}
    """

    ids: list
    flags: list[list[Flag]] = field(repr=False)
    thresholds: dict[str, Threshold] = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    policy: QualityPolicy = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        flagged = sum(1 for f in self.flags if f)
        return f"QualityResult({len(self.ids)} checked, {flagged} with issues, {self.counts})"

    @property
    def issues(self) -> list[list[str]]:
        """Per item, the names of the checks it failed."""
        return [[f.check for f in item] for item in self.flags]

    @property
    def counts(self) -> dict[str, int]:
        """Check -> number of items it flagged, for every check that ran."""
        tally = dict.fromkeys(self.thresholds, 0)
        for item in self.flags:
            for f in item:
                tally[f.check] += 1
        return tally

    def exclusions(self) -> dict:
        """Item id -> reason code (``quality:<check>``) for items an excluding check flagged.

        The first flagged check in the policy's ``exclude`` order gives the reason.
        """
        out = {}
        for item_id, item in zip(self.ids, self.flags):
            failed = {f.check for f in item}
            first = next((c for c in self.policy.exclude if c in failed), None)
            if first is not None:
                out[item_id] = quality_reason(first)
        return out

    def frame(self) -> pd.DataFrame:
        """One row per item: ``id``, sizes and scores, ``issues`` (a list) and one boolean
        column per check that ran."""
        table = self.scores.copy()
        table.insert(0, "id", list(self.ids))
        table["issues"] = self.issues
        for check in self.thresholds:
            table[check] = [check in issues for issues in table["issues"]]
        return table

    def summary(self) -> str:
        """A few lines for people: items checked and flagged, each check's threshold."""
        n = len(self.ids)
        flagged = sum(1 for f in self.flags if f)
        judged = {c for c, t in self.thresholds.items() if t.source != "policy"}
        picture = sum(1 for item in self.flags if any(f.check in judged for f in item))
        excluded = len(self.exclusions())
        lines = [(f"checked {n}; {flagged} with issues ({flagged / max(n, 1):.1%}), {picture} "
                  f"with picture issues ({picture / max(n, 1):.1%}); {excluded} excluded by "
                  f"{list(self.policy.exclude)}")]
        for check, t in self.thresholds.items():
            count = self.counts[check]
            op = ">" if t.flags_above else "<"
            lines.append(f"  {check:<16} {count:>5} ({count / max(n, 1):6.1%})  "
                         f"{t.score} {op} {t.value:.4g}: {t.basis}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Everything as plain JSON-ready Python: ``checked``, ``flagged`` (check -> count),
        ``excluded``, ``thresholds``, ``policy`` and ``items`` (``{id, issues, flags,
        scores}`` for every item)."""
        rows = self.scores.to_dict(orient="records")
        items = [{"id": item_id, "issues": [f.check for f in item],
                  "flags": [f.to_dict() for f in item], "scores": row}
                 for item_id, item, row in zip(self.ids, self.flags, rows)]
        return to_jsonable({
            "checked": len(self.ids), "flagged": self.counts, "excluded": self.exclusions(),
            "thresholds": {c: t.to_dict() for c, t in self.thresholds.items()},
            "policy": self.policy.to_dict(), "items": items,
        })
