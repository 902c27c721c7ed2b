"""Exporting a selection (a tag or a view) from FiftyOne for fine-tuning.

The writers are :mod:`workbench.exporters` (pure, on plain records); this module reads the
records, the current rights and the opt-out registry from the dataset, and adds the
FiftyOne format for round trips.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..core.selection.groups import MISSING_GROUP
from ..exporters.config import FORMATS
from ..schema import is_internal, reason_key
from . import state
from .fo import fiftyone, usable
from .select import registry_for

#: Every format ``export`` writes: the exporters' own, plus FiftyOne's for round trips.
EXPORT_FORMATS = FORMATS + ("fiftyone",)
#: Internal fields the writers still need (consent re-check, names, resolution checks,
#: the caption's source).
_WRITER_READS = ("id", "filepath", "sha256", "phash", "width", "height", "rights_sources",
                 "caption_source")
#: Exclusions made only to balance the groups; ``balance="repeats"`` exports them too.
_BALANCE_REASONS = frozenset({"group_cap", "group_quota"})


def _records(view) -> list[dict]:
    fo = fiftyone()
    plain = (fo.StringField, fo.IntField, fo.FloatField, fo.BooleanField, fo.ObjectIdField)
    schema = view.get_field_schema()
    # The writers' own reads, and plain values: labels, vectors and workbench
    # bookkeeping stay behind.
    fields = [f for f, ftype in schema.items()
              if f in _WRITER_READS or (isinstance(ftype, plain) and not is_internal(f))]
    values = view.values(fields)
    return [dict(zip(fields, row)) for row in zip(*values)]


def _context(ds, tag: str | None, group_field: str | None, view=None):
    from ..core.versions import versions
    from ..exporters import ExportContext
    from .annotation import card_summary
    from .atlas import export_points

    saved = (state.saved_selection(ds, tag) if tag else None) or {}
    params = saved.get("params", {})
    counts = saved.get("counts") or None
    excluded_counts: dict[str, int] = {}
    for reason in saved.get("excluded", {}).values():
        key = reason_key(reason)
        excluded_counts[key] = excluded_counts.get(key, 0) + 1
    run = state.embedding_runs(ds).get(state.last_embedding_field(ds) or "")
    quality = state.quality_run(ds)
    return ExportContext(
        rights_signals=_signal_accounting(ds, saved) if saved else None,
        quality={"checked": quality["checked"], "flagged": quality["flagged"],
                 "basis": {c: t["basis"] for c, t in quality["thresholds"].items()}}
        if quality else None,
        dataset_name=ds.name, group_field=group_field, selection_params=params or None,
        seed=saved.get("seed"), embedding_model=run.model if run else None,
        counts_before={c["group"]: c["before"] for c in counts} if counts else None,
        counts_after={c["group"]: c["after"] for c in counts} if counts else None,
        excluded=excluded_counts or None,
        optout_excluded=excluded_counts.get("rights:opted_out", 0) if saved else None,
        package_versions={k: v for k, v in versions().items() if v},
        atlas=export_points(ds), **card_summary(view if view is not None else ds))


def _signal_accounting(ds, saved: dict) -> dict:
    """Counts of what the files' own rights signals did to the saved selection."""
    from ..core.rights.precedence import signal_accounting

    candidates = list(saved.get("groups") or {}) or list(saved["ids"]) + list(saved["excluded"])
    fields = ["id", "rights_sources", "ai_generated", "rights_conflicts"]
    present = [f for f in fields if f == "id" or ds.has_sample_field(f)]
    values = ds.select(candidates).values(present)
    records = [dict(zip(present, row)) for row in zip(*values)]
    return signal_accounting(records, saved.get("excluded") or {})


def export(collection, *, format: str, out: str | os.PathLike, tag: str | None = "selected",
           group_field: str | None = None, config=None, optout: str | os.PathLike | None = None):
    """Export the samples tagged ``tag`` (or the whole view when ``tag`` is None).

    Consent is re-checked against the current records and the dataset's opt-out registry
    (the one given at load, or ``optout``): an opted-out image never reaches an export.

    Examples
    --------
    >>> rep = wb.export(ds, format="imagefolder", out="out/ink-v1")  # doctest: +SKIP
    """
    from ..exporters import export_records

    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {list(EXPORT_FORMATS)}; got {format!r}")
    from .annotation import sync_outside_edits

    ds = state.dataset_of(collection)
    sync_outside_edits(ds)  # edits made in the App's Annotate tab, recorded first
    view = usable(collection)
    if tag is not None:
        if tag not in ds.distinct("tags"):
            raise LookupError(f"no samples are tagged {tag!r}; tags in {ds.name!r}: "
                              f"{ds.distinct('tags')}. Run `workbench select` first.")
        view = view.match_tags(tag)
    saved = (state.saved_selection(ds, tag) if tag else None) or {}
    groups: dict = {}
    if group_field is None:
        # Subsets follow the selection: its groups, by the field(s) it balanced on.
        by = saved.get("params", {}).get("by")
        by = [by] if isinstance(by, str) else list(by or [])
        group_field = "|".join(by) or None
        groups = saved.get("groups") or {}
    registry = registry_for(ds, optout)
    repeats = config is not None and getattr(config, "balance", "drop") == "repeats"
    if repeats:
        view, config = _balance_by_repeats(ds, collection, view, saved, config, format)
    if format == "fiftyone":
        return _export_fiftyone(view, Path(out), registry, overwrite=bool(
            config is not None and config.overwrite))
    records = _records(view)
    for r in records:
        if r["id"] in groups:
            r["group"] = None if groups[r["id"]] == MISSING_GROUP else groups[r["id"]]
        else:
            r["group"] = r.get(group_field) if group_field else None
    context = _context(ds, tag, group_field, view)
    if repeats:  # the card counts what was exported, not what the selection kept
        from dataclasses import replace

        context = replace(context, counts_after=None)
    return export_records(records, format=format, out=out, config=config, context=context,
                          optout=registry)


def _balance_by_repeats(ds, collection, view, saved: dict, config, format: str):
    """The view and config of ``balance="repeats"``: every eligible image, target shares.

    "Eligible" means what the selection kept plus what it left out only to balance the
    groups (``group_cap``, ``group_quota``): images it excluded for rights, duplicates,
    quality, the per-creator cap or by hand stay out, since repeats replace only the
    dropping of images. The targets are the selection's own when it had quotas (groups
    with a zero target stay out), else even shares (set by the writer).
    """
    from dataclasses import replace

    if format != "kohya":
        raise ValueError(f"balance='repeats' needs format='kohya' (num_repeats is a kohya "
                         f"setting); got format={format!r}")
    if not saved:
        return view, config  # no saved selection: the tagged images, even shares
    targets = {}
    if saved.get("params", {}).get("strategy") == "quota":
        targets = {(None if c["group"] == MISSING_GROUP else c["group"]): c["target"]
                   for c in saved.get("counts") or []}
    groups = saved.get("groups") or {}
    ids = list(saved["ids"]) + [i for i, r in saved["excluded"].items()
                                if r in _BALANCE_REASONS]
    if targets:
        ids = [i for i in ids if targets.get(
            None if groups.get(i, MISSING_GROUP) == MISSING_GROUP else groups[i], 0) > 0]
        config = replace(config, kohya=replace(
            config.kohya, target_shares={g: t for g, t in targets.items() if t > 0}))
    return usable(collection).select(ids), config


def _export_fiftyone(view, out: Path, registry, *, overwrite: bool):
    """FiftyOne's own format (for round trips), with the same consent re-check.

    Written like the other formats: into a staging folder beside ``out``, with a
    ``MANIFEST.sha256``, then swapped in. A target that is not empty is replaced only
    with ``overwrite=True`` and only when it is a previous export.
    """
    from ..exporters.integrity import check_target, clean_stale, publish, staged, write_manifest
    from ..exporters.report import ExportReport

    fo = fiftyone()
    t0 = time.perf_counter()
    out = Path(out).absolute()
    ids, consent, creators, shas, paths, sources, phashes = view.values(
        ["id", "consent", "creator", "sha256", "filepath", "source", "phash"])
    dropped = []
    for i, c, cr, sha, fp, src, ph in zip(ids, consent, creators, shas, paths, sources, phashes):
        kind = registry.match(creator=cr, sha256=sha, filepath=fp, source=src,
                              phash=ph) if registry else None
        if c == "opted_out" or kind:
            dropped.append({"id": i, "reason": "opted_out" if c == "opted_out"
                            else f"optout_registry:{kind}"})
    keep = view.exclude([d["id"] for d in dropped]) if dropped else view
    clean_stale(out)
    check_target(out, overwrite=overwrite)
    with staged(out) as stage:
        # overwrite=True only ever empties our own fresh staging folder.
        keep.export(export_dir=str(stage), dataset_type=fo.types.FiftyOneDataset,
                    export_media=True, overwrite=True, progress=False)
        write_manifest(stage)
        publish(stage, out)
    files = sum(len(f) for _, _, f in os.walk(out))
    return ExportReport(out=out, format="fiftyone", files=files, images=len(keep),
                        dropped=dropped, seconds=round(time.perf_counter() - t0, 3))
