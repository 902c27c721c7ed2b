"""The kohya sd-scripts layout: concept folders, caption files and ``dataset_config.toml``.

Layout::

    OUT/dataset_config.toml
    OUT/img/<repeats>_<class tokens>/<name>.jpg
    OUT/img/<repeats>_<class tokens>/<name>.txt      # the caption, one line

One folder (a DreamBooth-style *subset*) per group. Folder names follow the
``<repeats>_<class tokens>`` convention, so ``--train_data_dir OUT/img`` works as
well as ``--dataset_config OUT/dataset_config.toml``. Repeats balance the groups per
epoch (``count * repeats`` roughly equal) unless set by hand; with ``target_shares``
(``workbench export --balance repeats``) they are solved so that each group's effective
share of an epoch, ``count * repeats / sum(count * repeats)``, is within
``share_tolerance`` (relative) of its target.

Captions are tags: the general section sets ``caption_extension = ".txt"`` (sd-scripts'
default is ``.caption``), ``shuffle_caption`` and ``keep_tokens`` = the number of
comma-separated parts of the trigger, which every caption starts with.

``image_dir`` paths are written relative to the export folder by default, so the
export can be moved or copied; sd-scripts resolves them against the working
directory, so training is started from the export folder (the TOML says so in a
comment). ``absolute_paths=True`` writes absolute paths instead (not relocatable).
The TOML holds only keys that sd-scripts' config schema accepts (it rejects unknown
keys).
"""

from __future__ import annotations

import math
import re
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .caption_sources import trigger_parts
from .items import Item
from .names import NameAllocator

CONFIG_NAME = "dataset_config.toml"
IMAGE_ROOT = "img"
CAPTION_EXTENSION = ".txt"
_FOLDER_MAX_BYTES = 80

_HEADER = """\
# sd-scripts dataset config, written by palette-workbench.
# image_dir paths are relative to the folder holding this file. sd-scripts resolves them
# against the working directory, so start training from this folder, for example:
#   cd <this folder> && accelerate launch train_network.py --dataset_config dataset_config.toml ...
# or point --train_data_dir at ./img (folders are named <repeats>_<class tokens>).
"""


@dataclass(frozen=True)
class KohyaConfig:
    """Settings for the kohya format.

    Attributes
    ----------
    repeats
        ``None`` balances groups automatically (``round(max_count / count)``, capped
        at ``max_repeats``); an int sets every group; a dict maps each group value
        (``None`` for samples without one) to its repeats.
    max_repeats
        Cap for automatic repeats.
    class_tokens
        Class tokens for every folder; by default the trigger plus the group value.
    batch_size
        ``batch_size`` written for the dataset.
    shuffle_caption
        Let sd-scripts shuffle comma-separated caption parts.
    keep_tokens
        Parts kept in front when shuffling; ``None`` keeps the trigger's parts (1 for
        ``plwb``, 0 without a trigger).
    absolute_paths
        Write absolute ``image_dir`` paths (not relocatable) instead of relative ones.
    target_shares
        Group value -> its target share of an epoch (any positive weights; normalised
        over the groups exported). Repeats are then solved by :func:`repeats_for_shares`
        instead of ``repeats``. ``workbench export --balance repeats`` sets it from the
        selection's targets (even shares by default).
    balance_max_repeats
        Cap of ``num_repeats`` when solving for ``target_shares``; a target that needs more
        is missed, and the card and report say by how much.
    share_tolerance
        Relative tolerance of the effective shares (0.1: within 10% of each target).

    Examples
    --------
    >>> KohyaConfig(repeats={"ink": 2, "weave": 6}).repeats["weave"]
    6
    """

    repeats: int | Mapping[str | None, int] | None = None
    max_repeats: int = 10
    class_tokens: str | None = None
    batch_size: int = 1
    shuffle_caption: bool = True
    keep_tokens: int | None = None
    absolute_paths: bool = False
    target_shares: Mapping[str | None, float] | None = None
    balance_max_repeats: int = 100
    share_tolerance: float = 0.1

    def __post_init__(self) -> None:
        r = self.repeats
        if r is not None and not isinstance(r, Mapping) and (
                isinstance(r, bool) or not isinstance(r, int) or r < 1):
            raise ValueError(f"repeats must be None, an int >= 1 or a dict of them; got {r!r}")
        if not isinstance(self.max_repeats, int) or self.max_repeats < 1:
            raise ValueError(f"max_repeats must be an int >= 1; got {self.max_repeats!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1; got {self.batch_size!r}")
        if self.keep_tokens is not None and self.keep_tokens < 0:
            raise ValueError(f"keep_tokens must be None or >= 0; got {self.keep_tokens!r}")
        if self.target_shares is not None:
            if self.repeats is not None:
                raise ValueError("target_shares and repeats cannot both be set; repeats are "
                                 f"solved from target_shares (got repeats={self.repeats!r})")
            bad = {g: v for g, v in dict(self.target_shares).items()
                   if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0}
            if bad or not self.target_shares:
                raise ValueError("target_shares must map each group to a positive share; "
                                 f"got {dict(self.target_shares)!r}")
        if not isinstance(self.balance_max_repeats, int) or self.balance_max_repeats < 1:
            raise ValueError("balance_max_repeats must be an int >= 1; got "
                             f"{self.balance_max_repeats!r}")
        if not 0 < self.share_tolerance < 1:
            raise ValueError(f"share_tolerance must be in (0, 1); got {self.share_tolerance!r}")


@dataclass(frozen=True)
class Concept:
    """One kohya subset: a folder of one group's images."""

    group: str | None
    folder: str
    class_tokens: str
    repeats: int
    count: int


def _group_sort_key(group: str | None) -> tuple[int, str]:
    return (1, "") if group is None else (0, group)


def balance_repeats(counts: Mapping[str | None, int], *,
                    repeats: int | Mapping[str | None, int] | None = None,
                    max_repeats: int = 10) -> dict[str | None, int]:
    """Repeats per group so that ``count * repeats`` is roughly equal across groups.

    Examples
    --------
    >>> balance_repeats({"ink": 40, "weave": 10, "dye": 3}, max_repeats=10)
    {'ink': 1, 'weave': 4, 'dye': 10}
    """
    if not counts:
        return {}
    if repeats is None:
        top = max(counts.values())
        return {g: min(max_repeats, max(1, math.floor(top / c + 0.5))) for g, c in counts.items()}
    if isinstance(repeats, int):
        return {g: repeats for g in counts}
    missing = [g for g in counts if g not in repeats]
    if missing:
        raise ValueError(
            f"repeats dict lacks group(s) {sorted(missing, key=_group_sort_key)}; "
            f"expected one entry per group: {sorted(counts, key=_group_sort_key)}"
        )
    bad = {g: v for g, v in repeats.items() if isinstance(v, bool) or not isinstance(v, int) or v < 1}
    if bad:
        raise ValueError(f"repeats values must be ints >= 1; got {bad}")
    return {g: repeats[g] for g in counts}


def effective_shares(counts: Mapping[str | None, int], repeats: Mapping[str | None, int]
                     ) -> dict[str | None, float]:
    """Each group's share of an epoch: ``count * repeats / sum(count * repeats)``.

    Examples
    --------
    >>> effective_shares({"ink": 40, "dye": 4}, {"ink": 1, "dye": 10})
    {'ink': 0.5, 'dye': 0.5}
    """
    seen = {g: counts[g] * repeats[g] for g in counts}
    total = sum(seen.values())
    return {g: (v / total if total else 0.0) for g, v in seen.items()}


def _worst_miss(counts: Mapping, reps: Mapping, targets: Mapping) -> float:
    shares = effective_shares(counts, reps)
    return max(abs(shares[g] - targets[g]) / targets[g] for g in counts)


def repeats_for_shares(counts: Mapping[str | None, int], targets: Mapping[str | None, float], *,
                       tolerance: float = 0.1, max_repeats: int = 100) -> dict[str | None, int]:
    """The smallest integer repeats whose effective shares meet ``targets`` within
    ``tolerance`` (relative: ``|share - target| <= tolerance * target`` for every group).

    Each group needs repeats in proportion to ``need = target / count``. For a scale
    ``s >= 1`` every group gets ``round(s * need / least_need)`` (at least 1, at most
    ``max_repeats``); the scales at which some group's rounding changes are tried in
    increasing order, and the first that meets every target wins (else the closest).

    Raises
    ------
    ValueError
        When ``targets`` lacks a group of ``counts``.

    Examples
    --------
    >>> repeats_for_shares({"ink": 40, "weave": 10, "dye": 3}, {"ink": 1, "weave": 1, "dye": 1})
    {'ink': 1, 'weave': 4, 'dye': 12}
    >>> repeats_for_shares({"ink": 40, "dye": 4}, {"ink": 0.8, "dye": 0.2})
    {'ink': 2, 'dye': 5}
    """
    counts = {g: c for g, c in counts.items() if c > 0}
    if not counts:
        return {}
    missing = [g for g in counts if g not in targets]
    if missing:
        raise ValueError(
            f"target_shares lacks group(s) {sorted(missing, key=_group_sort_key)}; expected a "
            f"share for every group exported: {sorted(counts, key=_group_sort_key)}")
    total = sum(float(targets[g]) for g in counts)
    norm = {g: float(targets[g]) / total for g in counts}
    least = min(norm[g] / counts[g] for g in counts)
    ratio = {g: norm[g] / counts[g] / least for g in counts}  # >= 1
    top = max(ratio.values())
    scales = {1.0}
    for q in ratio.values():  # where round(s * q) steps up: s * q = k + 0.5
        k = 1
        while (k + 0.5) / q * top <= max_repeats + 0.5:
            scales.add((k + 0.5) / q)
            k += 1
    best, best_miss = None, math.inf
    for scale in sorted(scales):
        reps = {g: min(max_repeats, max(1, math.floor(scale * ratio[g] + 0.5 + 1e-9)))
                for g in counts}
        miss = _worst_miss(counts, reps, norm)
        if miss < best_miss - 1e-12:
            best, best_miss = reps, miss
        if miss <= tolerance:
            break
    return best


def _tokens(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def plan_concepts(groups: Sequence[str | None], config: KohyaConfig,
                  trigger: str | None) -> dict[str | None, Concept]:
    """Folder, class tokens and repeats for each group value."""
    counts = Counter(groups)
    if config.target_shares is not None:
        reps = repeats_for_shares(counts, config.target_shares, tolerance=config.share_tolerance,
                                  max_repeats=config.balance_max_repeats)
    else:
        reps = balance_repeats(counts, repeats=config.repeats, max_repeats=config.max_repeats)
    names = NameAllocator(max_bytes=_FOLDER_MAX_BYTES)
    plan: dict[str | None, Concept] = {}
    for group in sorted(counts, key=_group_sort_key):
        if config.class_tokens:
            tokens = _tokens(config.class_tokens)
        else:
            tokens = _tokens(" ".join(t for t in (trigger, group) if t)) or "image"
        folder = names.claim(f"{reps[group]}_{tokens}")
        plan[group] = Concept(group=group, folder=f"{IMAGE_ROOT}/{folder}", class_tokens=tokens,
                              repeats=reps[group], count=counts[group])
    return plan


def pending_folders(groups: Sequence[str | None]) -> dict[str | None, str]:
    """Provisional folders, one per group, used while images are written.

    Repeats depend on how many images of a group were actually written, so the
    final ``<repeats>_<class tokens>`` names are given by :func:`finalise_folders`.
    """
    order = sorted(set(groups), key=_group_sort_key)
    return {g: f"{IMAGE_ROOT}/pending-{k}" for k, g in enumerate(order)}


def finalise_folders(stage: Path, items: Sequence[Item], pending: Mapping[str | None, str],
                     config: KohyaConfig, trigger: str | None) -> dict[str | None, Concept]:
    """Plan concepts from the images written, rename the provisional folders to match."""
    concepts = plan_concepts([it.group for it in items], config, trigger)
    for group, folder in pending.items():
        src = stage / folder
        if group in concepts:
            src.rename(stage / concepts[group].folder)
        elif src.exists():
            shutil.rmtree(src)  # every image of this group failed
    for it in items:
        it.folder = concepts[it.group].folder
    return concepts


def _flat_table(header: str, values: dict) -> str:
    import tomli_w

    return f"{header}\n{tomli_w.dumps(values)}"


def dataset_config(concepts: Sequence[Concept], *, config: KohyaConfig, resolution: int,
                   mode: str, trigger: str | None, root: Path | None = None) -> str:
    """The ``dataset_config.toml`` text (values escaped by tomli_w).

    Sections are written with explicit ``[[datasets]]`` / ``[[datasets.subsets]]``
    headers, the layout sd-scripts documents, rather than inline tables.
    """
    keep = config.keep_tokens if config.keep_tokens is not None else len(trigger_parts(trigger))
    general = {"shuffle_caption": config.shuffle_caption, "caption_extension": CAPTION_EXTENSION,
               "keep_tokens": keep}
    bucket = mode != "center_crop"  # keep and resize leave non-square images
    dataset: dict = {"resolution": resolution, "batch_size": config.batch_size,
                     "enable_bucket": bucket}
    if bucket:
        dataset["bucket_no_upscale"] = True
    parts = [_HEADER, _flat_table("[general]", general), _flat_table("[[datasets]]", dataset)]
    for c in concepts:
        image_dir = str((root / c.folder).resolve()) if root is not None else c.folder
        parts.append(_flat_table("[[datasets.subsets]]", {
            "image_dir": image_dir, "num_repeats": c.repeats, "class_tokens": c.class_tokens,
            "caption_extension": CAPTION_EXTENSION,
        }))
    return "\n".join(parts)


def write_kohya(stage: Path, items: Sequence[Item], concepts: Mapping[str | None, Concept], *,
                config: KohyaConfig, resolution: int, mode: str, trigger: str | None,
                final_out: Path) -> dict:
    """Write caption files and ``dataset_config.toml``; return facts for the report.

    An empty caption writes no ``.txt`` file, so sd-scripts falls back to the
    folder's class tokens.
    """
    used: dict[str | None, int] = Counter(item.group for item in items)
    for item in items:
        if item.caption:
            path = stage / item.folder / f"{item.stem}{CAPTION_EXTENSION}"
            path.write_text(item.caption + "\n", encoding="utf-8", newline="\n")
    live = [c for g, c in concepts.items() if used.get(g)]
    text = dataset_config(live, config=config, resolution=resolution, mode=mode, trigger=trigger,
                          root=final_out if config.absolute_paths else None)
    (stage / CONFIG_NAME).write_text(text, encoding="utf-8", newline="\n")
    def name(g: str | None) -> str:
        return "(none)" if g is None else g

    shares = effective_shares({c.group: used[c.group] for c in live},
                              {c.group: c.repeats for c in live})
    details = {
        "repeats": {name(c.group): c.repeats for c in live},
        "folders": {name(c.group): c.folder for c in live},
        "images": {name(c.group): used[c.group] for c in live},
        "images_per_epoch": {name(c.group): used[c.group] * c.repeats for c in live},
        "effective_shares": {name(c.group): round(shares[c.group], 4) for c in live},
    }
    if config.target_shares is not None:
        total = sum(float(config.target_shares[c.group]) for c in live)
        details["target_shares"] = {name(c.group): round(float(config.target_shares[c.group])
                                                         / total, 4) for c in live}
        details["share_tolerance"] = config.share_tolerance
    return details
