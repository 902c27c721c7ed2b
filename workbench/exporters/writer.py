"""``export_records``: selected records in, a complete, checksummed export folder out.

Steps: re-check consent (a record opted out since the selection is dropped), make
captions, plan safe unique names, write images in parallel into a staging folder,
write the format's files, ``CREDITS.csv``, the dataset card and, last,
``MANIFEST.sha256``; then move the staging folder into place atomically.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from workbench.core.rights.licenses import normalize_consent
from workbench.core.rights.optout import OptOutRegistry

from . import images as _images
from .caption_sources import form_for
from .captions import (
    TOKENIZER_ERRORS,
    captions_with_sources,
    check_captions,
    count_tokens_async,
)
from .config import FORMATS, ExportConfig, ExportContext
from .integrity import (
    check_target,
    clean_stale,
    publish,
    staged,
    write_manifest,
)
from .items import Item, custom_fields
from .names import NameAllocator
from .report import ExportReport

_FOLDERS = {"imagefolder": "train", "csv": "images"}


def _group_value(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _consent_check(records: Sequence[Mapping], optout: OptOutRegistry | None
                   ) -> tuple[list[tuple[str, dict]], list[dict]]:
    """Split records into (id, record) to export and ``{id, reason}`` dropped."""
    keep: list[tuple[str, dict]] = []
    dropped: list[dict] = []
    seen: set[str] = set()
    for i, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise TypeError(f"records[{i}] must be a dict; got {type(record).__name__}")
        rid = str(record.get("id")) if record.get("id") is not None else f"#{i}"
        if rid in seen:
            dropped.append({"id": rid, "reason": "duplicate_id"})
            continue
        seen.add(rid)
        if normalize_consent(record.get("consent")) == "opted_out":
            dropped.append({"id": rid, "reason": "opted_out"})
            continue
        if optout is not None:
            why = optout.match(creator=record.get("creator"), sha256=record.get("sha256"),
                               filepath=record.get("filepath"), source=record.get("source"),
                               phash=record.get("phash"))
            if why is not None:
                dropped.append({"id": rid, "reason": f"optout_registry:{why}"})
                continue
        keep.append((rid, dict(record)))
    return keep, dropped


def _kohya_config(config: ExportConfig, format: str, groups: Sequence[str | None]):
    """The kohya settings, with even target shares when ``balance="repeats"`` set none."""
    if config.balance != "repeats":
        return config.kohya
    if format != "kohya":
        raise ValueError(f"balance='repeats' needs format='kohya' (num_repeats is a kohya "
                         f"setting); got format={format!r}. Use balance='drop' for {format}")
    if config.kohya.target_shares is not None:
        return config.kohya
    return replace(config.kohya, target_shares=dict.fromkeys(set(groups) or {None}, 1.0))


def _check_sources_outside(records: Sequence[tuple[str, dict]], out: Path) -> None:
    for rid, record in records:
        fp = record.get("filepath")
        if fp and Path(fp).resolve().is_relative_to(out):
            raise ValueError(
                f"out={str(out)!r} contains source image {fp!r} (record {rid}); expected an "
                "export folder outside the sources, which it replaces"
            )


def _assign_names(items: list[Item]) -> None:
    """Give every item a safe stem, unique in its folder ignoring case.

    Items are sorted by folder, source name and content first, so the names (and
    every file listing) do not depend on the order of the records.
    """
    def key(it: Item) -> tuple:
        stem = Path(str(it.record.get("filepath") or it.id)).stem
        return (it.folder, stem.casefold(), stem, str(it.record.get("sha256") or ""), it.id)

    items.sort(key=key)
    allocators: dict[str, NameAllocator] = {}
    for it in items:
        names = allocators.setdefault(it.folder, NameAllocator())
        src = it.record.get("filepath")
        it.stem = names.claim(Path(str(src)).stem if src else it.id, ext=_images.MAX_EXT)


def _write_images(stage: Path, items: list[Item], img: _images.ImageConfig,
                  report: ExportReport) -> tuple[list[Item], list[tuple[Item, int, int]]]:
    """Write the images in parallel; failures go to ``report.failed``.

    Returns the items written and ``(item, width, height)`` for those below the
    target resolution.
    """
    jobs = []
    folders: dict[str, str] = {}
    for i, it in enumerate(items):
        src = it.record.get("filepath")
        if not src:
            report.failed.append({"id": it.id, "path": None, "reason": "no_filepath"})
            continue
        if it.folder not in folders:
            folders[it.folder] = _images.output_dir(stage, it.folder)
        jobs.append(_images.ImageJob(
            index=i, src=str(src), dst_dir=folders[it.folder], stem=it.stem, mode=img.mode,
            resolution=img.resolution, encoding=img.encoding, jpeg_quality=img.jpeg_quality,
            max_pixels=img.max_pixels))
    ready, below = [], []
    start = time.perf_counter()
    results = _images.run_jobs(jobs, img.workers)
    report.timings["images"] = time.perf_counter() - start
    report.timings["images_cpu"] = sum(r.get("cpu_s", 0.0) for r in results)
    for result in results:
        it = items[result["index"]]
        if not result["ok"]:
            report.failed.append({"id": it.id, "path": it.record.get("filepath"),
                                  "reason": result["reason"]})
            continue
        it.filename, it.width, it.height = result["filename"], result["width"], result["height"]
        if result["below"]:
            below.append((it, result["src_width"], result["src_height"]))
        ready.append(it)
    return ready, below


def export_records(
    records: Sequence[Mapping],
    *,
    format: str,
    out: str | os.PathLike,
    config: ExportConfig | None = None,
    context: ExportContext | None = None,
    optout: OptOutRegistry | None = None,
) -> ExportReport:
    """Export selected samples for fine-tuning, with captions, a card and checksums.

    Parameters
    ----------
    records
        One dict per selected sample: ``id``, ``filepath`` (absolute), ``sha256``,
        ``width``, ``height``, ``group`` (the balancing value, may be None), the
        rights fields (``creator``, ``source``, ``license``, ``license_status``,
        ``attribution``, ``consent``, ``ai_generated``), ``region``, ``style``,
        ``technique``, ``caption`` and any custom fields.
    format
        ``kohya``, ``imagefolder`` or ``csv``.
    out
        Export folder: missing, empty, or (with ``config.overwrite``) a previous export.
    config
        :class:`ExportConfig`: captions, images, kohya settings, overwrite.
    context
        :class:`ExportContext`: curation facts for the dataset card.
    optout
        An opt-out registry checked again now; a record it matches, or whose
        ``consent`` is ``opted_out``, is dropped and never reaches the export.

    Returns
    -------
    ExportReport
        Counts, dropped/failed items with reasons, caption issues, timing.

    Raises
    ------
    ValueError
        Unknown ``format``, a caption template naming an unknown field, an ``out``
        that contains source images.
    ExportTargetError
        ``out`` is not empty (and not a previous export with ``overwrite=True``).

    Examples
    --------
    >>> from workbench.exporters import export_records, ExportConfig, CaptionConfig
    >>> report = export_records(records, format="imagefolder", out="exports/ink-v1",
    ...                         config=ExportConfig(captions=CaptionConfig(trigger="plwb")))
    ... # doctest: +SKIP
    >>> report.to_dict()["files"]  # doctest: +SKIP
    57
    """
    start = time.perf_counter()
    if format not in FORMATS:
        raise ValueError(f"format must be one of {list(FORMATS)}; got {format!r} "
                         "('fiftyone' exports are written by the FiftyOne glue)")
    if isinstance(records, Mapping) or not isinstance(records, Sequence):
        raise TypeError(f"records must be a list of dicts; got {type(records).__name__}")
    config = config or ExportConfig()
    if not isinstance(config, ExportConfig):
        raise TypeError(f"config must be an ExportConfig; got {type(config).__name__}")
    if context is not None and not isinstance(context, ExportContext):
        raise TypeError(f"context must be an ExportContext or None; got {type(context).__name__}")
    out = Path(out).expanduser().absolute()
    report = ExportReport(out=out, format=format)

    kept, report.dropped = _consent_check(records, optout)
    check_target(out, overwrite=config.overwrite)
    _check_sources_outside(kept, out.resolve())
    report.removed_stale = [str(p) for p in clean_stale(out)]

    kohya_config = _kohya_config(config, format, [_group_value(r.get("group")) for _, r in kept])
    captions, fallback, sources = captions_with_sources(
        [{**r, "group": _group_value(r.get("group"))} for _, r in kept], config.captions,
        form_for(format, config.captions.form))
    report.captions_from_fallback = sum(fallback)
    custom = custom_fields([r for _, r in kept], config.extra_fields)
    items = [Item(record=r, id=rid, group=_group_value(r.get("group")), caption=cap,
                  folder="", stem="", caption_source=src)
             for (rid, r), cap, src in zip(kept, captions, sources)]

    if format == "kohya":
        from .kohya import pending_folders

        pending = pending_folders([it.group for it in items])
        for it in items:
            it.folder = pending[it.group]
    else:
        for it in items:
            it.folder = _FOLDERS[format]

    _assign_names(items)

    tokens = None
    if config.captions.tokenizer is not None and items:
        tokens = count_tokens_async([it.caption for it in items], config.captions)

    with staged(out) as stage:
        img = config.images
        ready, below = _write_images(stage, items, img, report)

        phase = time.perf_counter()
        counts = None
        if tokens is not None:
            try:
                by_id = dict(zip((it.id for it in items), tokens.result()))
                counts = [by_id[it.id] for it in ready]
            except TOKENIZER_ERRORS:  # check_captions tries again and writes a note
                counts = None
        report.caption_issues = check_captions([it.id for it in ready],
                                               [it.caption for it in ready], config.captions,
                                               token_counts=counts)
        if format == "kohya":
            from .kohya import finalise_folders, write_kohya

            concepts = finalise_folders(stage, ready, pending, kohya_config,
                                        config.captions.trigger)
            report.details = write_kohya(
                stage, ready, concepts, config=kohya_config, resolution=img.resolution,
                mode=img.mode, trigger=config.captions.trigger, final_out=out)
        elif format == "imagefolder":
            from .imagefolder import write_imagefolder

            report.details = write_imagefolder(stage, ready, custom)
        else:
            from .csvfile import write_manifest_csv

            report.details = write_manifest_csv(stage, ready, custom)

        report.details["caption_sources"] = dict(sorted(Counter(
            it.caption_source for it in ready).items()))
        report.below_resolution = [{"id": it.id, "file": it.relpath, "width": w, "height": h}
                                   for it, w, h in below]
        from .csvfile import write_credits

        write_credits(stage, ready)
        if config.card:
            from .card import write_card

            write_card(stage, ready, fmt=format, config=config, context=context,
                       dropped=report.dropped, failed=report.failed,
                       below=report.below_resolution,
                       caption_summary=report.caption_issues.summary() + (
                           f"; {report.captions_from_fallback} made by the fallback template "
                           f"({config.captions.fallback_template})"
                           if report.captions_from_fallback else ""),
                       details=report.details)
        report.timings["files"] = time.perf_counter() - phase
        phase = time.perf_counter()
        write_manifest(stage)
        report.timings["manifest"] = time.perf_counter() - phase
        report.images = len(ready)
        report.files = sum(1 for p in stage.rglob("*") if p.is_file())
        check_target(out, overwrite=config.overwrite)  # it may have changed meanwhile
        publish(stage, out)
    report.seconds = time.perf_counter() - start
    return report
