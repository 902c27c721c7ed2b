"""Gap statistics: representation against targets, and creator concentration.

Pure pandas/numpy. The glue reads a metadata field from FiftyOne and passes plain lists
here. Concept probes live in :mod:`workbench.core.maps.probes` (importable from here too).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .probes import PROBE_CHANCE_MATCHES, concept_probes
from ..results import axes_for

__all__ = ["DEFAULT_TOLERANCE", "MISSING", "PROBE_CHANCE_MATCHES", "STATUSES", "Representation",
           "concept_probes", "creator_concentration", "read_targets", "representation"]

MISSING = "(missing)"
STATUSES = ("under", "ok", "over")
#: Default status rule: share/target below 0.67 is "under", above 1.5 is "over".
DEFAULT_TOLERANCE = (0.67, 1.5)


def _label(value: object) -> str:
    """The group a value falls in: its text, or ``"(missing)"`` for None/NaN/blank."""
    if value is None:
        return MISSING
    if isinstance(value, float) and math.isnan(value):
        return MISSING
    if value is pd.NA or value is pd.NaT:
        return MISSING
    text = str(value).strip()
    return text if text else MISSING


@dataclass
class Representation:
    """How often each value occurs, against a target share.

    ``table`` has columns ``value, count, share, target_share, status``: ``status``
    is ``under`` when ``share / target_share < tolerance[0]``, ``over`` when it is
    above ``tolerance[1]``, else ``ok``. ``notes`` explains anything adjusted.

    Examples
    --------
    >>> rep = representation(values, targets)  # doctest: +SKIP
    >>> rep.table, rep.summary(), rep.to_dict()  # doctest: +SKIP
    >>> rep.plot()  # doctest: +SKIP
    """

    table: pd.DataFrame
    total: int
    tolerance: tuple[float, float] = DEFAULT_TOLERANCE
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready: ``{"groups": [...], "total", "tolerance", "notes"}``."""
        groups = [
            {
                "value": r.value,
                "count": int(r.count),
                "share": float(r.share),
                "target_share": float(r.target_share),
                "status": r.status,
            }
            for r in self.table.itertuples(index=False)
        ]
        return {
            "groups": groups,
            "total": self.total,
            "tolerance": list(self.tolerance),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """A few lines for people: which values are under or over target, the table, the notes.

        Examples
        --------
        >>> print(representation(["a"] * 4 + ["b"]).summary().splitlines()[0])
        2 values over 5 items; under target: ['b']; over target: ['a']
        """
        def values(status: str) -> list[str]:
            return self.table.loc[self.table["status"] == status, "value"].tolist()

        head = (f"{len(self.table)} values over {self.total} items; under target: "
                f"{values('under')}; over target: {values('over')}")
        notes = [f"note: {n}" for n in self.notes]
        return "\n".join([head, self.table.to_string(index=False), *notes])

    def plot(self, ax=None, title: str | None = None):
        """Horizontal bars of actual vs target share, coloured by status (matplotlib).

        Draws on ``ax``, or on a new pyplot figure when it is None; returns the Axes.
        """
        t = self.table.iloc[::-1]
        ax = axes_for(ax, (7, 0.35 * len(t) + 1.2))
        colours = {"under": "#d95f02", "ok": "#7f7f7f", "over": "#1b9e77"}
        y = np.arange(len(t))
        ax.barh(y, t["share"], color=[colours[s] for s in t["status"]], label="actual share")
        ax.scatter(t["target_share"], y, marker="|", s=250, color="black", label="target", zorder=3)
        ax.set_yticks(y, t["value"])
        ax.set_xlabel("share of items")
        ax.set_title(title or "representation: actual vs target")
        ax.legend(loc="lower right")
        return ax


def read_targets(path: str | Path) -> dict[str, float]:
    """Read target shares from JSON (``{"value": share, ...}``) or CSV (columns ``value,target``).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("value,target\\nink-wash,0.5\\nbatik,0.5\\n")
    >>> read_targets(p)
    {'ink-wash': 0.5, 'batik': 0.5}
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv", ".tsv"):
        raise ValueError(f"targets file must be .json or .csv; got {path.name!r}")
    if not path.is_file():
        raise FileNotFoundError(f"targets file not found: {path}")
    if suffix == ".json":
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict):
            raise ValueError(
                f"targets JSON {path} must be an object mapping value -> share; "
                f"got a {type(data).__name__}"
            )
        pairs = list(data.items())
    else:
        frame = pd.read_csv(
            path, sep="\t" if suffix == ".tsv" else ",", dtype={"value": str}, keep_default_na=False
        )
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        missing = [c for c in ("value", "target") if c not in frame.columns]
        if missing:
            raise ValueError(
                f"targets CSV {path} needs columns 'value' and 'target'; missing {missing}, "
                f"found {list(frame.columns)}"
            )
        pairs = list(zip(frame["value"], frame["target"]))
    out: dict[str, float] = {}
    for key, value in pairs:
        try:
            out[_label(key)] = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"target for {key!r} in {path} must be a number; got {value!r}"
            ) from None
    return out


def _status(share: float, target: float, tolerance: tuple[float, float]) -> str:
    if target <= 0:
        return "over" if share > 0 else "ok"
    ratio = share / target
    if ratio < tolerance[0]:
        return "under"
    if ratio > tolerance[1]:
        return "over"
    return "ok"


def representation(
    values: Iterable[object],
    targets: Mapping[str, float] | str | Path | None = None,
    *,
    tolerance: tuple[float, float] = DEFAULT_TOLERANCE,
) -> Representation:
    """Count each value and compare its share with a target share.

    Parameters
    ----------
    values : iterable
        One metadata value per item (compared as text; None/NaN/"" become ``"(missing)"``).
    targets : dict, path or None
        Target share per value, or a JSON/CSV file (see :func:`read_targets`).
        ``None``: uniform over the observed values. Targets that do not sum to 1 are
        rescaled (noted); a target for a value never observed becomes a group with
        count 0 (status ``under``; noted, with a likely intended spelling); an
        observed value without a target gets target 0 (noted).
    tolerance : (low, high)
        ``share / target`` below ``low`` is ``under``, above ``high`` is ``over``.
        The default (0.67, 1.5) is symmetric in ratio terms (1.5 ~ 1/0.67).

    Examples
    --------
    >>> rep = representation(["a"] * 151 + ["b"] * 49 + ["c"] * 12)
    >>> rep.table[["value", "status"]].values.tolist()
    [['a', 'over'], ['b', 'ok'], ['c', 'under']]
    """
    low, high = tolerance
    if not (0 <= low <= 1 <= high):
        raise ValueError(
            f"tolerance must be (low, high) with 0 <= low <= 1 <= high; got {tolerance!r}"
        )
    labels = [_label(v) for v in values]
    counts = pd.Series(labels, dtype=object).value_counts()
    total = int(counts.sum())
    notes: list[str] = []
    if MISSING in counts.index:
        notes.append(f"{counts[MISSING]} item(s) have no value; counted as {MISSING!r}")

    if targets is None:
        target = {v: 1.0 / len(counts) for v in counts.index} if len(counts) else {}
    else:
        if isinstance(targets, (str, Path)):
            targets = read_targets(targets)
        target = _check_targets(targets, notes)
        unknown = [k for k in target if k not in counts.index]
        for key in unknown:
            close = difflib.get_close_matches(key, [str(v) for v in counts.index], n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            notes.append(f"target value {key!r} does not occur in the data (count 0){hint}")
        untargeted = [v for v in counts.index if v not in target]
        if untargeted:
            notes.append(f"value(s) without a target (target 0): {untargeted}")

    keys = list(counts.index) + [k for k in target if k not in counts.index]
    table = pd.DataFrame(
        {
            "value": keys,
            "count": [int(counts.get(k, 0)) for k in keys],
            "target_share": [float(target.get(k, 0.0)) for k in keys],
        }
    )
    table["share"] = table["count"] / total if total else 0.0
    table["status"] = [
        _status(s, t, tolerance) for s, t in zip(table["share"], table["target_share"])
    ]
    table = table.sort_values(["count", "value"], ascending=[False, True], ignore_index=True)
    table = table[["value", "count", "share", "target_share", "status"]]
    return Representation(table=table, total=total, tolerance=(low, high), notes=notes)


def _check_targets(targets: Mapping[str, float], notes: list[str]) -> dict[str, float]:
    if not isinstance(targets, Mapping):
        raise TypeError(
            f"targets must be a dict, a file path or None; got {type(targets).__name__}"
        )
    out: dict[str, float] = {}
    for key, value in targets.items():
        try:
            share = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"target for {key!r} must be a number; got {value!r}") from None
        if math.isnan(share) or share < 0:
            raise ValueError(f"targets must be >= 0; got {share!r} for {key!r}")
        out[_label(key)] = out.get(_label(key), 0.0) + share
    total = sum(out.values())
    if total <= 0:
        raise ValueError(f"targets must have a positive sum; got {total!r} for {sorted(out)}")
    if abs(total - 1.0) > 1e-6:
        notes.append(f"targets summed to {total:.4g}; rescaled to sum to 1")
        out = {k: v / total for k, v in out.items()}
    return out


def creator_concentration(
    groups: Sequence[object],
    creators: Sequence[object],
    *,
    threshold: float = 0.5,
    min_group: int = 5,
) -> pd.DataFrame:
    """How much of each group comes from its single most frequent creator.

    Missing creators count towards ``n`` but never as the top creator (unknown
    creators are probably different people).

    Parameters
    ----------
    groups, creators : sequences of equal length
        Group value (e.g. style) and creator of each item.
    threshold : float
        Flag groups whose top creator's share is at least this.
    min_group : int
        Groups smaller than this are never flagged (too few items to judge).

    Returns
    -------
    DataFrame with columns ``group, n, top_creator, top_count, top_share, flagged``,
    most concentrated first.

    Examples
    --------
    >>> t = creator_concentration(["ink"] * 6 + ["batik"] * 6, ["wu"] * 5 + ["li"] + list("abcdef"))
    >>> t[["group", "top_share", "flagged"]].values.tolist()
    [['ink', 0.8333333333333334, True], ['batik', 0.16666666666666666, False]]
    """
    if len(groups) != len(creators):
        raise ValueError(
            f"groups and creators must have the same length; got {len(groups)} and {len(creators)}"
        )
    frame = pd.DataFrame(
        {"group": [_label(g) for g in groups], "creator": [_label(c) for c in creators]}
    )
    rows = []
    for group, part in frame.groupby("group", sort=True):
        known = part.loc[part["creator"] != MISSING, "creator"].value_counts()
        n = len(part)
        if len(known):
            top = min(known.items(), key=lambda kv: (-kv[1], kv[0]))
            top_creator, top_count = top[0], int(top[1])
        else:
            top_creator, top_count = None, 0
        share = top_count / n
        rows.append(
            {
                "group": group,
                "n": n,
                "top_creator": top_creator,
                "top_count": top_count,
                "top_share": share,
                "flagged": bool(n >= min_group and share >= threshold),
            }
        )
    table = pd.DataFrame(
        rows, columns=["group", "n", "top_creator", "top_count", "top_share", "flagged"]
    )
    return table.sort_values(["top_share", "n"], ascending=[False, False], ignore_index=True)
