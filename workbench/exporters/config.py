"""Export settings and the curation facts an export records in its dataset card."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .captions import CaptionConfig
from .images import ImageConfig
from .kohya import KohyaConfig

#: Export formats this package writes (``fiftyone`` is written by the FiftyOne glue).
FORMATS = ("kohya", "imagefolder", "csv")
#: How an export balances its groups: ``drop`` (the selection as it is, balanced by
#: leaving images out) or ``repeats`` (every eligible image, kohya ``num_repeats`` set so
#: the groups' effective shares meet the targets).
BALANCE_MODES = ("drop", "repeats")


@dataclass(frozen=True)
class ExportConfig:
    """Everything about how an export is written.

    Attributes
    ----------
    captions
        Caption template, trigger and checks (:class:`CaptionConfig`).
    images
        Resize/crop mode, resolution, encoding and workers (:class:`ImageConfig`).
    kohya
        Repeats, class tokens and TOML settings for the ``kohya`` format.
    overwrite
        Replace ``out`` when it holds a previous export (one with a ``MANIFEST.sha256``).
    card
        Write ``README.md`` (dataset card) and its charts.
    extra_fields
        Custom record fields carried into ``metadata.jsonl`` / the CSV; ``None``
        carries every custom field.
    balance
        ``drop`` (default): the records as given. ``repeats`` (kohya only): the glue
        passes every eligible image, and each subset's ``num_repeats`` is solved so the
        effective group shares meet ``kohya.target_shares`` (even shares when unset).

    Examples
    --------
    >>> cfg = ExportConfig(images=ImageConfig(mode="resize", resolution=512),
    ...                    captions=CaptionConfig(trigger="plwb"))
    """

    captions: CaptionConfig = field(default_factory=CaptionConfig)
    images: ImageConfig = field(default_factory=ImageConfig)
    kohya: KohyaConfig = field(default_factory=KohyaConfig)
    overwrite: bool = False
    card: bool = True
    extra_fields: tuple[str, ...] | None = None
    balance: str = "drop"

    def __post_init__(self) -> None:
        for name, kind in (("captions", CaptionConfig), ("images", ImageConfig),
                           ("kohya", KohyaConfig)):
            value = getattr(self, name)
            if not isinstance(value, kind):
                raise TypeError(f"{name} must be a {kind.__name__}; got {type(value).__name__}")
        if self.extra_fields is not None and isinstance(self.extra_fields, str):
            raise TypeError("extra_fields must be a tuple of field names, not a single string")
        if self.balance not in BALANCE_MODES:
            raise ValueError(f"balance must be one of {list(BALANCE_MODES)}; got {self.balance!r}")


@dataclass(frozen=True)
class ExportContext:
    """Curation facts for the dataset card. Every field is optional.

    Only what is given here (or derived from the exported records) appears in the
    card, so two exports with the same records and context are byte-identical; pass
    ``created`` to date the card.

    Attributes
    ----------
    dataset_name
        Name of the curated collection (card title and ``pretty_name``).
    group_field
        The field the selection balanced on (``style``, ``region``...).
    selection_params
        The selection's parameters (strategy, n, caps...), shown in the curation log.
    seed
        The selection seed.
    embedding_model
        Name of the embedding model used for maps, dedup and diversity.
    counts_before, counts_after
        Samples per group before and after selection: a dict, a pandas Series, a
        DataFrame with ``value`` and ``count`` columns (or one count column), or a
        list of ``{value, count}`` rows. ``counts_after`` defaults to the export.
    excluded
        Samples excluded by the selection, by reason (counts only).
    optout_excluded
        How many opted-out samples the selection excluded (a count, never identities).
    rights_signals
        What the files' own rights signals did (see
        :func:`workbench.core.rights.precedence.signal_accounting`): the signals checked, the
        exclusions by signal source, AI-generated images found from file metadata, and
        manifest/file conflicts. Counts only.
    quality
        The collection's quality check: ``checked``, ``flagged`` (check -> count) and
        ``basis`` (check -> how its threshold was set).
    package_versions
        Package name to version; when ``None`` the card lists the installed versions
        of the packages the workbench uses.
    created
        Creation time (ISO string or datetime); omitted from the card when ``None``.
    atlas
        Map positions of the samples (:class:`workbench.exporters.atlas.AtlasPoints`): the
        card then shows the exported images' atlas (``card/atlas.png``).
    description, intended_use, limitations
        Free text for the card; sensible defaults are written when ``None``.
    annotators
        Pseudonymous ids of the people whose edits the exported records carry (ids only,
        never names); the card gives their number.
    agreement
        Agreement figures between annotators, as ``wb.agreement(...).to_dict()`` gives
        them (``field``, ``items``, ``annotators``, ``kappa`` or ``alpha``), or a list of them.
    review
        What was reviewed and how (free text for the card's annotation section).
    source_datasets
        HF ``source_datasets``; by default the records' ``source`` values.

    Examples
    --------
    >>> ctx = ExportContext(dataset_name="Andean textiles v1", group_field="region", seed=0,
    ...                     counts_before={"Andes": 120, "Sahel": 14},
    ...                     excluded={"near_duplicate": 9}, optout_excluded=2)
    """

    dataset_name: str | None = None
    group_field: str | None = None
    selection_params: Mapping[str, Any] | None = None
    seed: int | None = None
    embedding_model: str | None = None
    counts_before: Any = None
    counts_after: Any = None
    excluded: Mapping[str, int] | None = None
    optout_excluded: int | None = None
    rights_signals: Mapping[str, Any] | None = None
    quality: Mapping[str, Any] | None = None
    package_versions: Mapping[str, str] | None = None
    created: str | _dt.datetime | None = None
    description: str | None = None
    intended_use: str | None = None
    limitations: str | None = None
    atlas: Any = None
    annotators: tuple[str, ...] | None = None
    agreement: Any = None
    review: str | None = None
    source_datasets: tuple[str, ...] | None = None


def as_counts(value: Any, name: str) -> dict[str, int] | None:
    """Normalise a counts-per-group value (dict, Series, DataFrame, rows) to a dict.

    ``None`` group values become the string ``"(none)"``.
    """
    if value is None:
        return None

    def key(v: Any) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "(none)"
        return str(v)

    if isinstance(value, Mapping):
        return {key(k): int(v) for k, v in value.items()}
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(value, pd.Series):
        return {key(k): int(v) for k, v in value.items()}
    if pd is not None and isinstance(value, pd.DataFrame):
        cols = list(value.columns)
        if "count" in cols and "value" in cols:
            return {key(k): int(v) for k, v in zip(value["value"], value["count"])}
        if "count" in cols:
            return {key(k): int(v) for k, v in value["count"].items()}
        if len(cols) == 1:
            return {key(k): int(v) for k, v in value[cols[0]].items()}
        raise ValueError(
            f"{name} DataFrame must have 'value' and 'count' columns, or a 'count' column "
            f"indexed by group, or a single column; got columns {cols}"
        )
    if isinstance(value, (list, tuple)) and all(isinstance(r, Mapping) for r in value):
        try:
            return {key(r["value"]): int(r["count"]) for r in value}
        except KeyError as exc:
            raise ValueError(f"{name} rows must have 'value' and 'count' keys; missing {exc}") from None
    raise TypeError(
        f"{name} must be a dict, a pandas Series or DataFrame, or a list of {{value, count}} "
        f"rows; got {type(value).__name__}"
    )
