"""Balanced subset selection: rights filter, dedup, creator cap, then per-group balance.

:func:`select_balanced` runs four steps in this fixed order; every item it does not
choose gets the reason of the first step that dropped it:

1. **Rights filter** (:class:`RightsPolicy`): ``rights:opted_out``, ``rights:license``,
   ``rights:ai_generated``, ``rights:license_unknown``, ``rights:consent_unknown``.
   Then **quality**: an item whose ``quality_issues`` hold a check of
   ``SelectConfig.exclude_quality`` gets ``quality:<check>`` (before duplicates, so a
   blurry copy never stands in for its sharp twin).
2. **Duplicates** (:class:`DedupConfig`): items with the same ``sha256`` always
   collapse; near duplicates (structure and colour agree, see :class:`DedupConfig`)
   collapse when ``dedup`` is set. One item per duplicate group stays (highest
   resolution, then best-documented rights record, then smallest id); the rest get
   ``duplicate_of:<kept id>``. Pairs in the grey zone (a slight colour difference, a
   mirror image, a local part that may differ) stay and are listed in
   :attr:`Selection.review_pairs`; template variants (the same frame, one local part
   changed: compared on the ``filepath`` files) stay too.
3. **Creator cap**: at most ``creator_cap`` items per creator (``creator_cap``).
   Items without a creator are not capped.
4. **Balance across groups**: ``cap`` and ``diverse`` water-fill per-group targets
   (``group_cap``); ``quota`` uses explicit targets (``group_quota``).

Pure pandas and numpy (faiss only inside the dedup step). The FiftyOne glue turns a
dataset into ``records`` and ``embeddings`` and saves the :class:`Selection`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...schema import duplicate_reason, reason_key
from .balance import group_rng, max_balance, quota_targets, water_fill
from ..dedup.candidates import (COLOR_COLUMN, PATH_COLUMN, DedupConfig, near_duplicate_pairs,
                               resolve_duplicates)
from .diversity import k_center_greedy
from ..neighbours.embeddings import check_embeddings
from .groups import MISSING_GROUP, group_labels, resolve_groups
from ..quality.checks import quality_exclusions
from ..results import to_jsonable
from ..rights.policy import RightsPolicy, rights_exclusions
from .config import STRATEGIES, SelectConfig
from .result import COUNT_COLUMNS, Selection, balance_of

__all__ = ["MISSING_GROUP", "STRATEGIES", "DedupConfig", "RightsPolicy", "SelectConfig",
           "Selection", "group_labels", "select_balanced"]

#: Columns the duplicate step reads (sha256 for exact duplicates, phash, the colour
#: signature and the file to judge near duplicates, the rest to choose which copy to keep).
_DEDUP_COLUMNS = ("id", "sha256", "phash", COLOR_COLUMN, PATH_COLUMN, "width", "height",
                  "creator", "source", "attribution", "license_status", "consent")


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive int (how many items to select); got {n!r}")
    return int(n)


def _check_records(records: object) -> np.ndarray:
    if not isinstance(records, pd.DataFrame):
        raise ValueError(f"records must be a pandas DataFrame with one row per sample; got "
                         f"{type(records).__name__}")
    if "id" not in records.columns:
        raise ValueError(f"records needs an 'id' column; got columns "
                         f"{sorted(map(str, records.columns))}")
    ids = records["id"].astype(str).to_numpy(dtype=object)
    dup = pd.Index(ids)[pd.Index(ids).duplicated()].unique().tolist()
    if dup:
        raise ValueError(f"records['id'] must be unique; repeated: {dup[:10]}")
    return ids


def _creator_cap(records: pd.DataFrame, rows: np.ndarray, cap: int, strategy: str, seed: int,
                 x: np.ndarray | None) -> np.ndarray:
    """Rows (of ``rows``) beyond the per-creator cap."""
    if "creator" not in records or rows.size == 0:
        return np.empty(0, dtype=np.int64)
    raw_codes, raw = pd.factorize(records["creator"].iloc[rows], use_na_sentinel=True)
    names = np.array([str(v).strip().casefold() for v in raw] + [""], dtype=object)
    codes, uniques = pd.factorize(names[raw_codes])  # merge "Anna Li" and "anna li "
    over = []
    sizes = np.bincount(codes, minlength=len(uniques))
    for c in np.flatnonzero(sizes > cap):
        if uniques[c] == "":
            continue  # no creator recorded: not capped
        mine = rows[codes == c]
        if strategy == "diverse" and x is not None:
            keep = mine[k_center_greedy(x[mine], cap)]
        else:
            keep = group_rng(uniques[c], seed).permutation(mine)[:cap]
        over.append(np.setdiff1d(mine, keep))
    return np.concatenate(over) if over else np.empty(0, dtype=np.int64)


def _pool_error(n: int, pool: int, total: int, reasons: np.ndarray) -> ValueError:
    tally = pd.Series([reason_key(r) for r in reasons if r is not None],
                      dtype=object).value_counts()
    breakdown = ", ".join(f"{k}: {v}" for k, v in tally.items()) or "none"
    return ValueError(f"n={n} is larger than the eligible pool of {pool} items (of {total} "
                      f"records; excluded: {breakdown}). Lower n, or relax the RightsPolicy, "
                      "DedupConfig or creator_cap")


def _targets(config: SelectConfig, labels: list[str], eligible: np.ndarray, n: int
             ) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """(allocation, target, shortfall) per group."""
    if config.strategy != "quota":
        alloc = water_fill(eligible, n, seed=config.seed, labels=labels)
        return alloc, alloc.copy(), {}
    quotas = quota_targets(config.quotas, n)
    index = {g: k for k, g in enumerate(labels)}
    unknown = [g for g in quotas if g not in index]
    if unknown:
        shown = labels[:50] + (["..."] if len(labels) > 50 else [])
        raise ValueError(f"quotas name group(s) {unknown} that do not exist; existing groups "
                         f"({len(labels)}): {shown}")
    target = np.zeros(len(labels), dtype=np.int64)
    listed = np.zeros(len(labels), dtype=bool)
    for g, q in quotas.items():
        target[index[g]] = q
        listed[index[g]] = True
    rest = n - int(target.sum())
    if rest > 0 and (~listed).any():
        target[~listed] = water_fill(eligible[~listed], rest, seed=config.seed,
                                     labels=[labels[k] for k in np.flatnonzero(~listed)])
    alloc = np.minimum(target, eligible)
    shortfall = {labels[k]: int(target[k] - eligible[k])
                 for k in np.flatnonzero(listed & (eligible < target))}
    if config.fill:
        deficit = min(n, int(eligible.sum())) - int(alloc.sum())
        if deficit > 0:  # raise the smallest groups first, up to their eligible items
            alloc = water_fill(eligible, int(alloc.sum()) + deficit, seed=config.seed,
                               labels=labels, floor=alloc)
    return alloc, target, shortfall


def select_balanced(
    records: pd.DataFrame,
    embeddings: np.ndarray | None,
    n: int,
    *,
    by: str | Sequence[str] | np.ndarray,
    config: SelectConfig | None = None,
) -> Selection:
    """Choose ``n`` rights-clean, de-duplicated items spread evenly across groups.

    Parameters
    ----------
    records
        One row per sample: ``id`` plus the rights record (``consent``, ``license``,
        ``license_status``, ``ai_generated``, ``creator``, ``attribution``, ``source``),
        ``sha256``, ``width``, ``height``, the grouping field(s) and, for near duplicates,
        ``phash`` and ``color_signature`` (either may be missing; see DedupConfig).
    embeddings
        ``(N, D)`` float32 L2-normalised embeddings aligned with ``records``; needed for
        near-duplicate removal and for ``strategy="diverse"``, otherwise may be None.
    n
        How many items to select.
    by
        A column name, a list of columns (combined groups such as
        ``"ink-wash|East Asia"``), or one precomputed label per record (e.g. clusters).
    config
        A :class:`SelectConfig`; ``None`` for the defaults (``cap``, seed 0, default
        rights policy and dedup).

    Returns
    -------
    Selection
        ``n`` ids when the eligible pool allows, every exclusion with its reason, and
        per-group stats. A quota selection can be smaller: when a listed group has
        fewer eligible items than its quota (see ``shortfall``; ``fill=True`` tops up),
        or when the quotas add up to less than ``n`` and no unlisted group takes the
        rest. Near-duplicate pairs left for a person to judge are in ``review_pairs``.

    Raises
    ------
    ValueError
        For ``n <= 0``, ``n`` above the eligible pool, an unknown field in ``by``, an
        unknown SPDX id in the allowlist, or a quota for a group that does not exist.

    Examples
    --------
    >>> sel = select_balanced(records, emb, 400, by="style",
    ...                       config=SelectConfig(strategy="diverse", seed=0))  # doctest: +SKIP
    >>> sel.balance_before, sel.balance_after  # doctest: +SKIP
    (0.71, 0.99)
    """
    n = _check_n(n)
    config = SelectConfig() if config is None else config
    if not isinstance(config, SelectConfig):
        raise ValueError(f"config must be a SelectConfig; got {type(config).__name__}")
    ids = _check_records(records)
    total = len(ids)
    labels_per_row, by_columns = resolve_groups(records, by)
    needs_x = config.dedup is not None or config.strategy == "diverse"
    x = None
    if needs_x:
        if embeddings is None:
            raise ValueError("embeddings are needed for near-duplicate removal and for "
                             "strategy='diverse'; got None. Pass embeddings, or use "
                             "SelectConfig(dedup=None) with strategy 'cap' or 'quota'")
        x = check_embeddings(embeddings, n_rows=total)

    # 1. Rights filter, then quality.
    reasons = rights_exclusions(records, config.rights)
    if config.exclude_quality and "quality_issues" in records:
        flagged = quality_exclusions(records["quality_issues"], config.exclude_quality)
        free = pd.isna(reasons) & ~pd.isna(flagged)
        reasons[free] = flagged[free]
    pool = np.flatnonzero(pd.isna(reasons))

    # 2. Exact and near duplicates, among the rights-eligible items only.
    sub_x = None
    if config.dedup is not None:
        sub_x = x if pool.size == total else x[pool]
    dedup_records = records[[c for c in _DEDUP_COLUMNS if c in records.columns]].iloc[pool]
    pairs = near_duplicate_pairs(dedup_records, sub_x, config.dedup) \
        if config.dedup is not None and pool.size > 1 else None
    keeper, n_pairs = resolve_duplicates(dedup_records, sub_x, config.dedup, pairs=pairs)
    review = _review_pairs(pairs, keeper, ids[pool])
    dedup_stats = _dedup_stats(dedup_records, pairs, len(review)) \
        if config.dedup is not None else {}
    dup = np.flatnonzero(keeper != np.arange(pool.size))
    if dup.size:
        reasons[pool[dup]] = [duplicate_reason(kept) for kept in ids[pool[keeper[dup]]]]
        pool = np.delete(pool, dup)

    # 3. Per-creator cap.
    if config.creator_cap is not None:
        cap = (max(1, int(config.creator_cap * n)) if config.creator_cap < 1
               else int(config.creator_cap))
        over = _creator_cap(records, pool, cap, config.strategy, config.seed, x)
        if over.size:
            reasons[over] = "creator_cap"
            pool = np.setdiff1d(pool, over)

    asked = n
    if n > pool.size:
        if not config.allow_fewer or pool.size == 0:
            raise _pool_error(n, int(pool.size), total, reasons)
        n = int(pool.size)

    # 4. Balance across groups.
    codes, uniques = pd.factorize(labels_per_row, sort=True)
    labels = [str(g) for g in uniques]
    before = np.bincount(codes, minlength=len(labels))
    pool_codes = codes[pool]
    eligible = np.bincount(pool_codes, minlength=len(labels))
    alloc, target, shortfall = _targets(config, labels, eligible, n)

    excess_reason = "group_quota" if config.strategy == "quota" else "group_cap"
    order = np.argsort(pool_codes, kind="stable")
    members = np.split(pool[order], np.cumsum(eligible)[:-1])
    chosen: list[np.ndarray] = []
    for k, rows in enumerate(members):
        take = int(alloc[k])
        if take == 0:
            picked = rows[:0]
        elif take >= rows.size:
            picked = rows
        elif config.strategy == "diverse":
            picked = rows[k_center_greedy(x[rows], take)]
        else:
            picked = group_rng(labels[k], config.seed).permutation(rows)[:take]
        left = np.setdiff1d(rows, picked, assume_unique=True)
        reasons[left] = excess_reason
        chosen.append(picked)
    selected = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
    after = np.bincount(codes[selected], minlength=len(labels))

    counts = pd.DataFrame({"group": labels, "before": before, "eligible": eligible,
                           "after": after, "target": target}, columns=list(COUNT_COLUMNS))
    balance_before, balance_after = balance_of(counts)
    mask = np.ones(total, dtype=bool)
    mask[selected] = False
    params = config.to_dict()
    params.update({
        "n": asked,
        "by": by_columns,
        "n_records": total,
        "stats": {"eligible": int(pool.size), "near_duplicate_pairs": int(n_pairs),
                  **dedup_stats,
                  "max_balance": max_balance(eligible, n) if eligible.sum() else None},
        "edits": [],
        "overrides": [],
    })
    return Selection(
        ids=ids[selected].tolist(),
        excluded=dict(zip(ids[mask].tolist(), reasons[mask].tolist())),
        counts=counts,
        balance_before=balance_before,
        balance_after=balance_after,
        seed=int(config.seed),
        params=to_jsonable(params),
        shortfall=shortfall,
        groups=dict(zip(ids.tolist(), labels_per_row.tolist())),
        review_pairs=review,
    )


def _review_pairs(pairs: pd.DataFrame | None, keeper: np.ndarray, pool_ids: np.ndarray
                  ) -> list[dict]:
    """The pairs judged ``review`` between two items the duplicate step kept, as dicts."""
    if pairs is None:
        return []
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    rows = pairs[(pairs["verdict"] == "review") & (keeper[i] == i) & (keeper[j] == j)]
    return [{"a": str(pool_ids[r.i]), "b": str(pool_ids[r.j]), "cosine": round(float(r.cosine), 4),
             "phash": None if pd.isna(r.phash) else int(r.phash),
             "color": None if pd.isna(r.color) else round(float(r.color), 4),
             "local": None if pd.isna(r.local) else round(float(r.local), 4), "why": r.why}
            for r in rows.itertuples(index=False)]


def _dedup_stats(records: pd.DataFrame, pairs: pd.DataFrame | None, n_review: int
                 ) -> dict[str, int]:
    """Pairs listed for review; pairs and records judged without a colour signature."""
    no_color = records[COLOR_COLUMN].isna() if COLOR_COLUMN in records else True
    fallback = 0 if pairs is None else int(
        ((pairs["verdict"] == "duplicate") & pairs["color"].isna()).sum())
    variants = 0 if pairs is None else int((pairs["verdict"] == "variant").sum())
    return {"near_duplicate_review": n_review, "near_duplicate_variants_kept": variants,
            "near_duplicate_pairs_without_color": fallback,
            "records_without_color": int(np.broadcast_to(no_color, len(records)).sum())}
