"""How :func:`workbench.core.selection.select.select_balanced` selects: :class:`SelectConfig`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType

import numpy as np

from ..dedup.candidates import DedupConfig
from ..quality.checks import CHECKS, QUALITY_EXCLUDE
from ..results import to_jsonable
from ..rights.policy import RightsPolicy

__all__ = ["STRATEGIES", "SelectConfig"]

STRATEGIES = ("cap", "quota", "diverse")


@dataclass(frozen=True)
class SelectConfig:
    """Settings for :func:`select_balanced`.

    Attributes
    ----------
    strategy
        ``"cap"`` (even per-group caps, random picks), ``"quota"`` (explicit per-group
        targets) or ``"diverse"`` (even caps, k-center greedy picks on embeddings).
    seed
        Seed for every random choice; recorded in the result.
    rights
        The rights filter.
    exclude_quality
        Quality checks whose flag (records column ``quality_issues``, written by
        :func:`workbench.check_quality`) excludes an item, reason ``quality:<check>``.
        Blank, dark, washed-out and blurry images by default; ``()`` keeps them all.
        Records without that column are not judged.
    dedup
        Near-duplicate settings; ``None`` skips near duplicates (exact ``sha256``
        duplicates still collapse) and then ``cap``/``quota`` need no embeddings.
    creator_cap
        At most this many items per creator: a fraction of ``n`` when < 1 (at least
        1), else a count. ``None``: no cap.
    quotas
        For ``strategy="quota"``: group -> count (int) or proportion of ``n`` (float).
        Unlisted groups share whatever ``n`` leaves, water-filled.
    fill
        Quota only: top a quota shortfall up from other groups' spare items (those
        groups may then exceed their quota). Without it, no group exceeds its quota.
    allow_fewer
        Select the whole eligible pool when it holds fewer than ``n`` items, instead
        of raising (the result records the ``n`` asked for).

    Examples
    --------
    >>> SelectConfig(strategy="quota", quotas={"ink-wash": 0.5, "woodcut": 0.5}, seed=1).seed
    1
    """

    strategy: str = "cap"
    seed: int = 0
    rights: RightsPolicy = field(default_factory=RightsPolicy)
    exclude_quality: tuple[str, ...] = QUALITY_EXCLUDE
    dedup: DedupConfig | None = field(default_factory=DedupConfig)
    creator_cap: float | int | None = None
    quotas: Mapping[str, int | float] | None = None
    fill: bool = False
    allow_fewer: bool = False

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {list(STRATEGIES)}; got {self.strategy!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise ValueError(f"seed must be an int; got {self.seed!r}")
        if not isinstance(self.rights, RightsPolicy):
            raise ValueError(f"rights must be a RightsPolicy; got {type(self.rights).__name__}")
        if isinstance(self.exclude_quality, str) or self.exclude_quality is None:
            raise ValueError("exclude_quality must be a list of quality checks (() for none); "
                             f"got {self.exclude_quality!r}")
        unknown = [c for c in self.exclude_quality if c not in CHECKS]
        if unknown:
            raise ValueError(f"exclude_quality must be among {list(CHECKS)}; got unknown "
                             f"{unknown}")
        object.__setattr__(self, "exclude_quality", tuple(self.exclude_quality))
        if self.dedup is not None and not isinstance(self.dedup, DedupConfig):
            raise ValueError(f"dedup must be a DedupConfig or None; got "
                             f"{type(self.dedup).__name__}")
        cap = self.creator_cap
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, (int, float, np.number))
                                or cap <= 0 or (cap >= 1 and float(cap) != int(cap))):
            raise ValueError("creator_cap must be None, a fraction of n in (0, 1), or a whole "
                             f"count >= 1; got {cap!r}")
        if self.strategy == "quota" and not self.quotas:
            raise ValueError("strategy='quota' needs quotas={group: count or proportion}; "
                             "got none")
        if self.quotas is not None and self.strategy != "quota":
            raise ValueError(f"quotas only apply to strategy='quota'; got strategy="
                             f"{self.strategy!r}. Use strategy='quota' or drop quotas")
        if self.quotas is not None:
            object.__setattr__(self, "quotas",
                               MappingProxyType({str(k): v for k, v in self.quotas.items()}))

    def to_dict(self) -> dict:
        """Every setting as plain JSON-serialisable Python (recorded in ``Selection.params``)."""
        return to_jsonable({
            "strategy": self.strategy, "seed": int(self.seed),
            "rights": self.rights.to_dict(),
            "exclude_quality": list(self.exclude_quality),
            "dedup": asdict(self.dedup) if self.dedup is not None else None,
            "creator_cap": self.creator_cap,
            "quotas": dict(self.quotas) if self.quotas is not None else None,
            "fill": bool(self.fill), "allow_fewer": bool(self.allow_fewer),
        })
