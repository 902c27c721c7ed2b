"""The quality policy: the checks there are, which of them exclude from selection, and their limits.

Shared by :mod:`workbench.core.quality.checks` (which judges a collection under a policy)
and :mod:`workbench.core.quality.result` (which records the policy it was judged under), so
both import it downhill instead of from each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType

from ..results import to_jsonable

__all__ = ["CHECKS", "DEFAULT_GAPS", "PICTURE_CHECKS", "QUALITY_EXCLUDE", "REFERENCE",
           "SIZE_CHECKS", "QualityPolicy"]

#: Checks that judge the picture, from its scores, against the collection.
PICTURE_CHECKS = ("blank", "dark", "washed_out", "blurry", "mostly_padding")
#: Checks that judge the header size against the training set-up.
SIZE_CHECKS = ("below_resolution", "extreme_aspect")
#: Every check, in the order issues are listed.
CHECKS = PICTURE_CHECKS + SIZE_CHECKS
#: Checks whose flag excludes an image from selection by default (the size checks follow
#: the training set-up and are reported only).
QUALITY_EXCLUDE = ("blank", "dark", "washed_out", "blurry")


#: Default ``(min, max)`` gap below the collection's median, in the check's log2 unit.
DEFAULT_GAPS: Mapping[str, tuple[float, float]] = MappingProxyType({
    "blank": (4.0, 6.0),          # a sixteenth of the typical visible content, or less
                                  # (and edges half as many octaves below theirs)
    "dark": (1.5, 2.0),           # highlights 2.8x dimmer than typical
    "washed_out": (1.5, 2.0),     # the deepest tone (dark or saturated) 2.8x closer to
                                  # white than typical
    "blurry": (0.5, 1.0),         # edges (up to) twice as wide as typical
    "mostly_padding": (2.0, 3.0),  # the picture fills a quarter of its typical share
})

#: Reference statistics for collections below ``min_collection``: per score, the median
#: and the robust spread (1.4826 MAD, log2 units) of the Tux Paint stamps (796 clip-art
#: images, Debian tuxpaint-stamps-default 2022.06.04; see docs/benchmarks.md).
REFERENCE: Mapping[str, tuple[float, float]] = MappingProxyType({
    "content": (0.48, 0.74), "brightest": (255.0, 0.0), "darkest": (0.0, 0.0),
    "sharpness": (0.80, 0.37), "padding": (0.08, 0.11), "edges": (26.0, 1.03),
})


@dataclass(frozen=True)
class QualityPolicy:
    """Which quality checks run, which exclude an item from selection, and their limits.

    Attributes
    ----------
    checks
        Checks to run, any of :data:`CHECKS`.
    exclude
        Checks whose flag excludes an item from selection (reason ``quality:<check>``);
        the others are reported only. By default the four that mean the picture itself
        would teach a model the wrong thing. ``below_resolution`` is off because icon
        and clip-art collections are almost all below 512 px; ``extreme_aspect`` and
        ``mostly_padding`` because bucketing or cropping can fix them.
    resolution
        Training resolution (pixels, the side of a square bucket): ``below_resolution``
        flags ``sqrt(width * height) < resolution``.
    max_aspect
        ``extreme_aspect`` flags long side / short side above this (kohya's buckets at
        512 span about 4:1).
    z
        Robust z (in units of 1.4826 MAD) of a picture check's gap below the median.
    gaps
        ``check -> (min, max)`` gap in the check's log2 unit; given checks replace
        :data:`DEFAULT_GAPS`, the rest keep their defaults.
    min_collection
        Fewest judged images for collection statistics; below it :data:`REFERENCE` is used.
    blank_floor
        ``content`` at or below which an image is blank whatever the collection (0.0:
        not one pixel differs visibly from the background).

    Examples
    --------
    >>> policy = QualityPolicy(resolution=1024, exclude=("blank",))
    >>> policy.gaps["blurry"]
    (0.5, 1.0)
    >>> QualityPolicy(checks=("blurry", "sharp"))
    Traceback (most recent call last):
    ...
    ValueError: QualityPolicy.checks must be among ('blank', 'dark', 'washed_out', 'blurry', \
'mostly_padding', 'below_resolution', 'extreme_aspect'); got unknown ['sharp']
    """

    checks: tuple[str, ...] = CHECKS
    exclude: tuple[str, ...] = QUALITY_EXCLUDE
    resolution: int = 512
    max_aspect: float = 4.0
    z: float = 3.5
    gaps: Mapping[str, tuple[float, float]] = field(default_factory=dict, hash=False)
    min_collection: int = 50
    blank_floor: float = 0.0

    def __post_init__(self) -> None:
        for name in ("checks", "exclude"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"QualityPolicy.{name} must be a list of check names; got "
                                 f"the string {value!r} (write ({value!r},))")
            unknown = [c for c in value if c not in CHECKS]
            if unknown:
                raise ValueError(f"QualityPolicy.{name} must be among {CHECKS}; got unknown "
                                 f"{unknown}")
            object.__setattr__(self, name, tuple(value))
        unknown = [c for c in self.gaps if c not in PICTURE_CHECKS]
        if unknown:
            raise ValueError(f"QualityPolicy.gaps keys must be among {PICTURE_CHECKS}; got "
                             f"unknown {unknown}")
        gaps = {**DEFAULT_GAPS, **{k: tuple(float(x) for x in v) for k, v in self.gaps.items()}}
        for check, pair in gaps.items():
            if len(pair) != 2 or not 0 <= pair[0] <= pair[1]:
                raise ValueError(f"QualityPolicy.gaps[{check!r}] must be (min, max) with "
                                 f"0 <= min <= max; got {pair}")
        object.__setattr__(self, "gaps", gaps)
        positive = {"resolution": self.resolution, "z": self.z,
                    "min_collection": self.min_collection}
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"QualityPolicy.{name} must be > 0; got {value!r}")
        if not self.max_aspect >= 1:
            raise ValueError(f"QualityPolicy.max_aspect must be >= 1; got {self.max_aspect!r}")
        if not 0 <= self.blank_floor < 1:
            raise ValueError(f"QualityPolicy.blank_floor must be in [0, 1); got "
                             f"{self.blank_floor!r}")

    def to_dict(self) -> dict:
        """Every setting as plain JSON-ready Python."""
        return to_jsonable(asdict(self))
