"""The result of a balanced selection: chosen ids, every exclusion's reason, and stats.

A :class:`Selection` is data: it can be saved (:meth:`Selection.to_dict`), loaded
(:meth:`Selection.from_dict`), edited by hand (:meth:`Selection.add`,
:meth:`Selection.remove`) and shown (:meth:`Selection.plot`, matplotlib, imported on
use). It is made by :func:`workbench.core.selection.select.select_balanced`.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ...schema import parse_reason, reason_key
from .balance import normalized_entropy
from .groups import group_labels
from ..results import axes_for, to_jsonable
from ..rights.policy import RightsPolicy, rights_exclusions

#: Columns of :attr:`Selection.counts`.
COUNT_COLUMNS = ("group", "before", "eligible", "after", "target")
#: Reason recorded for items taken out by :meth:`Selection.remove`.
REMOVED_REASON = "manual:removed"
#: Rights reasons that no override can lift: the creator said no.
NEVER_OVERRIDE = frozenset({"rights:opted_out"})


def balance_of(counts: pd.DataFrame) -> tuple[float, float]:
    """(balance_before, balance_after) for a counts table.

    Both are normalised entropies over ``G`` = the number of groups with at least one
    eligible item (or, after hand edits, at least one selected item). "Before" is the
    eligible pool (what the selection chose from), "after" the selection.
    """
    eligible = counts["eligible"].to_numpy(np.int64)
    after = counts["after"].to_numpy(np.int64)
    g = int(np.count_nonzero((eligible > 0) | (after > 0)))
    return normalized_entropy(eligible, n_groups=g), normalized_entropy(after, n_groups=g)


@dataclass(frozen=True)
class Selection:
    """A balanced subset and the record of how it was made.

    Attributes
    ----------
    ids
        Chosen sample ids, grouped by group label (sorted), in pick order inside a group.
    excluded
        Every input id that was not chosen -> its reason: ``rights:opted_out``,
        ``rights:license``, ``rights:ai_generated``, ``rights:license_unknown``,
        ``rights:consent_unknown``, ``duplicate_of:<kept id>``, ``creator_cap``,
        ``group_cap`` (cap/diverse), ``group_quota`` (quota) or ``manual:removed``.
    counts
        One row per group: ``group``, ``before`` (input records), ``eligible`` (after
        the rights filter, dedup and the creator cap), ``after`` (selected), ``target``.
    balance_before, balance_after
        Normalised entropy of group shares (1.0 = perfectly even) in the eligible pool
        and in the selection; see :func:`balance_of`.
    seed
        The seed that makes this selection reproducible.
    params
        Every parameter (JSON-serialisable), plus ``stats``, ``edits`` and ``overrides``.
    shortfall
        Quota strategy: group -> how many items short of its quota it fell.
    groups
        Every input id -> its group label (used to recompute stats after edits).
    review_pairs
        Near-duplicate pairs left for a person to judge, both items kept: structure
        agrees but the colours differ a little, or one is the other mirrored. Each is
        ``{"a": id, "b": id, "cosine": float, "phash": int or None, "color": float or
        None, "why": str}`` (see :class:`~workbench.core.dedup.rules.DedupConfig`).

    Examples
    --------
    >>> sel = select_balanced(records, emb, 400, by="style")  # doctest: +SKIP
    >>> sel.excluded_counts()  # doctest: +SKIP
    {'group_cap': 512, 'rights:opted_out': 12, 'duplicate_of': 30}
    >>> sel.plot()  # doctest: +SKIP
    """

    ids: list[str]
    excluded: dict[str, str] = field(repr=False)
    counts: pd.DataFrame = field(repr=False)
    balance_before: float
    balance_after: float
    seed: int
    params: dict = field(repr=False)
    shortfall: dict[str, int] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict, repr=False)
    review_pairs: list[dict] = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return (f"Selection({len(self.ids)} selected from {len(self.groups)} in "
                f"{len(self.counts)} groups, {len(self.excluded)} excluded, balance "
                f"{self.balance_before:.3f} -> {self.balance_after:.3f}, seed={self.seed})")

    # ----------------------------------------------------------------- summaries
    def excluded_counts(self) -> dict[str, int]:
        """Exclusions per reason, most common first.

        ``duplicate_of:<id>`` reasons are collapsed into ``duplicate_of``; other
        reasons are kept whole (``rights:opted_out`` and ``rights:license`` stay apart).

        Examples
        --------
        >>> sel.excluded_counts()  # doctest: +SKIP
        {'group_cap': 512, 'duplicate_of': 30, 'rights:opted_out': 12}
        """
        tally = Counter(reason_key(r) for r in self.excluded.values())
        return dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))

    def summary_dict(self) -> dict:
        """The figures people ask about first, JSON-ready (``workbench select --json``)."""
        return to_jsonable({
            "selected": len(self.ids), "excluded": self.excluded_counts(),
            "balance_before": self.balance_before, "balance_after": self.balance_after,
            "seed": self.seed, "by": self.params.get("by"),
            "counts": self.counts.to_dict(orient="records"), "shortfall": dict(self.shortfall),
            "review_pairs": [dict(p) for p in self.review_pairs],
        })

    def summary(self, tag: str | None = None) -> str:
        """A few lines for people: size, balance, counts per group, exclusions by reason."""
        where = f" (tag {tag!r}, seed {self.seed})" if tag else f" (seed {self.seed})"
        head = (f"selected {len(self.ids)}{where}; balance {self.balance_before:.3f} -> "
                f"{self.balance_after:.3f}")
        lines = [*self.params.get("notes", []), head, self.counts.to_string(index=False),
                 f"excluded by reason: {self.excluded_counts()}"]
        if self.shortfall:
            lines.append(f"quota shortfall: {dict(self.shortfall)}")
        if self.review_pairs:
            lines.append(f"near-duplicate pairs to review (both kept): {len(self.review_pairs)}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Everything as plain JSON-serialisable Python (see :meth:`from_dict`)."""
        return to_jsonable({
            "ids": list(self.ids),
            "excluded": dict(self.excluded),
            "counts": self.counts.loc[:, list(COUNT_COLUMNS)].to_dict(orient="records"),
            "balance_before": self.balance_before,
            "balance_after": self.balance_after,
            "seed": self.seed,
            "params": self.params,
            "shortfall": dict(self.shortfall),
            "groups": dict(self.groups),
            "review_pairs": [dict(p) for p in self.review_pairs],
        })

    @classmethod
    def from_dict(cls, d: dict) -> Selection:
        """Rebuild a selection saved with :meth:`to_dict`.

        Selections saved before ``review_pairs`` existed load with an empty list.

        Examples
        --------
        >>> Selection.from_dict(sel.to_dict()).ids == sel.ids  # doctest: +SKIP
        True
        """
        missing = [k for k in ("ids", "excluded", "counts", "seed", "params") if k not in d]
        if missing:
            raise ValueError(f"not a saved Selection: missing keys {missing}; expected the "
                             "output of Selection.to_dict()")
        counts = pd.DataFrame(d["counts"], columns=list(COUNT_COLUMNS))
        counts["group"] = counts["group"].astype(str)
        for col in COUNT_COLUMNS[1:]:
            counts[col] = counts[col].astype(np.int64)
        before, after = balance_of(counts) if len(counts) else (float("nan"),) * 2
        return cls(ids=[str(i) for i in d["ids"]],
                   excluded={str(k): str(v) for k, v in d["excluded"].items()},
                   counts=counts,
                   balance_before=_float_or(d.get("balance_before"), before),
                   balance_after=_float_or(d.get("balance_after"), after),
                   seed=int(d["seed"]),
                   params=copy.deepcopy(d["params"]),
                   shortfall={str(k): int(v) for k, v in (d.get("shortfall") or {}).items()},
                   groups={str(k): str(v) for k, v in (d.get("groups") or {}).items()},
                   review_pairs=_review_list(d.get("review_pairs")))

    # ----------------------------------------------------------------- hand edits
    def remove(self, ids: str | Iterable[str], *, note: str = "") -> Selection:
        """A new selection without ``ids`` (reason ``manual:removed``); stats recomputed.

        Examples
        --------
        >>> sel2 = sel.remove(["img_0042"], note="watermark")  # doctest: +SKIP
        """
        ids = _as_id_list(ids)
        chosen = set(self.ids)
        unknown = [i for i in ids if i not in chosen]
        if unknown:
            raise ValueError(f"remove: ids must be in the selection; these are not: "
                             f"{unknown[:10]}{' ...' if len(unknown) > 10 else ''}")
        gone = set(ids)
        excluded = dict(self.excluded)
        excluded.update({i: REMOVED_REASON for i in ids})
        params = copy.deepcopy(self.params)
        params.setdefault("edits", []).append({"action": "remove", "ids": ids, "note": note})
        return self._with([i for i in self.ids if i not in gone], excluded, params, self.groups)

    def add(self, ids: str | Iterable[str], records: pd.DataFrame | None = None, *,
            override: bool = False, note: str = "") -> Selection:
        """A new selection with ``ids`` added at the end; stats recomputed.

        Items excluded for a ``rights:*`` reason raise unless ``override=True``; each
        override is recorded in ``params["overrides"]`` with ``note``. Opted-out items
        (``rights:opted_out``) can never be added: fix the consent record instead.
        Ids that were not part of the input need their rows in ``records``; they are
        checked against the same rights policy (they skip dedup and caps).

        Examples
        --------
        >>> sel2 = sel.add(["img_0007"])  # doctest: +SKIP
        >>> sel3 = sel.add(["img_0100"], override=True, note="licence confirmed by email")  # doctest: +SKIP
        """
        ids = _as_id_list(ids)
        chosen = set(self.ids)
        again = [i for i in ids if i in chosen]
        if again:
            raise ValueError(f"add: these ids are already selected: {again[:10]}")
        groups = dict(self.groups)
        reasons = {i: self.excluded[i] for i in ids if i in self.excluded}
        new = [i for i in ids if i not in self.groups]
        if new:
            if records is None or "id" not in records:
                raise ValueError(f"add: ids {new[:10]} were not part of this selection's "
                                 "input; pass `records` (a DataFrame with an 'id' column) "
                                 "holding their rows")
            rows = records[records["id"].astype(str).isin(new)]
            absent = sorted(set(new) - set(rows["id"].astype(str)))
            if absent:
                raise ValueError(f"add: ids {absent[:10]} are neither in this selection's "
                                 "input nor in `records`")
            rows = rows.drop_duplicates("id")
            policy = RightsPolicy(**self.params["rights"])
            row_ids = rows["id"].astype(str).tolist()
            for i, r in zip(row_ids, rights_exclusions(rows, policy)):
                if r is not None:
                    reasons[i] = r
            if "group" in rows:
                labels = rows["group"].astype(str).tolist()
            elif self.params.get("by"):
                labels = group_labels(rows, self.params["by"])[0].tolist()
            else:
                raise ValueError("add: this selection was grouped by an array, so `records` "
                                 "needs a 'group' column for ids it has not seen")
            groups.update(zip(row_ids, labels))
        blocked = {i: r for i, r in reasons.items() if parse_reason(r).kind == "rights"}
        never = {i: r for i, r in blocked.items() if r in NEVER_OVERRIDE}
        if never:
            raise ValueError(f"add: {sorted(never)[:10]} opted out (rights:opted_out); an "
                             "opt-out cannot be overridden. If the record is wrong, fix its "
                             "consent and reload")
        if blocked and not override:
            listing = ", ".join(f"{i} ({r})" for i, r in list(blocked.items())[:10])
            raise ValueError(f"add: excluded by the rights filter: {listing}. Pass "
                             "override=True with a note explaining why, if you have "
                             "checked the rights yourself")
        params = copy.deepcopy(self.params)
        params.setdefault("edits", []).append(
            {"action": "add", "ids": ids, "note": note, "override": bool(override)})
        params.setdefault("overrides", []).extend(
            {"id": i, "reason": r, "note": note} for i, r in blocked.items())
        excluded = {k: v for k, v in self.excluded.items() if k not in set(ids)}
        return self._with(self.ids + ids, excluded, params, groups)

    def _with(self, ids: list[str], excluded: dict[str, str], params: dict,
              groups: dict[str, str]) -> Selection:
        counts = self.counts.loc[:, list(COUNT_COLUMNS)].copy()
        tally = Counter(groups[i] for i in ids)
        known = set(counts["group"])
        extra = [g for g in sorted(tally) if g not in known]
        if extra:
            counts = pd.concat([counts, pd.DataFrame(
                {"group": extra, "before": 0, "eligible": 0, "after": 0, "target": 0})],
                ignore_index=True)
        counts["after"] = counts["group"].map(tally).fillna(0).astype(np.int64)
        before, after = balance_of(counts)
        return replace(self, ids=list(ids), excluded=excluded, counts=counts,
                       balance_before=before, balance_after=after, params=params,
                       groups=groups)

    # ----------------------------------------------------------------- display
    def plot(self, ax=None):
        """Bar chart of each group's share of the eligible pool and of the selection.

        Draws on ``ax``, or on a new pyplot figure when it is None; returns the
        matplotlib ``Axes``. The dashed line marks a perfectly even share.

        Examples
        --------
        >>> sel.plot()  # doctest: +SKIP
        """
        counts = self.counts
        ax = axes_for(ax, (max(6.0, 0.45 * len(counts) + 2), 4))
        pos = np.arange(len(counts))
        eligible = counts["eligible"].to_numpy(float)
        after = counts["after"].to_numpy(float)
        share_before = eligible / max(eligible.sum(), 1)
        share_after = after / max(after.sum(), 1)
        width = 0.4
        ax.bar(pos - width / 2, share_before, width,
               label=f"eligible pool (balance {self.balance_before:.2f})", color="#9aa5b1")
        ax.bar(pos + width / 2, share_after, width,
               label=f"selection (balance {self.balance_after:.2f})", color="#2f6f9f")
        g = int(np.count_nonzero((eligible > 0) | (after > 0)))
        if g:
            ax.axhline(1 / g, color="k", ls="--", lw=1, label="even share")
        ax.set_xticks(pos)
        ax.set_xticklabels(counts["group"], rotation=45, ha="right")
        ax.set_ylabel("share of items")
        ax.set_title(f"{len(self.ids)} selected, strategy {self.params.get('strategy')!r}, "
                     f"seed {self.seed}")
        ax.legend(frameon=False, fontsize="small")
        return ax

    #: The name the notebooks and STYLE.md use for :meth:`plot`.
    plot_balance = plot


def _as_id_list(ids: str | Iterable[str]) -> list[str]:
    if isinstance(ids, str):
        return [ids]
    out = [str(i) for i in ids]
    return list(dict.fromkeys(out))


def _float_or(value: object, default: float) -> float:
    return default if value is None else float(value)


def _review_list(value: object) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, dict) and {"a", "b"} <= set(p)
                                              for p in value):
        raise ValueError("not a saved Selection: review_pairs must be a list of dicts with "
                         f"keys 'a' and 'b' (and cosine, phash, color, why); got {value!r:.200}")
    return [dict(p) for p in value]
