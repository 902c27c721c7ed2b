"""Loading a folder, a manifest or an HF imagefolder into a persistent FiftyOne dataset.

Idempotent: samples are keyed by absolute file path; content changes are detected by
sha256. Bad files are reported, never fatal, and never become usable samples.
Source files are only ever opened for reading.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..core.pixels.images import DEFAULT_MAX_PIXELS
from ..core.intake.inspect import CONTENT_NOTES, INSPECT_VERSION, FileInfo, inspect_files, scan_folder
from ..core.intake.manifest import MANIFEST_SUFFIXES, Manifest, read_manifest
from ..core.rights.optout import OptOutRegistry, read_optout
from ..core.rights.precedence import SignalTally
from ..core.intake.records import RightsDefaults, build_record
from ..errors import NothingToLoadError, SourceNotFoundError
from ..schema import CONTENT_FIELDS, is_reserved, load_fields
from . import state
from .fo import fiftyone
from .load_report import LoadReport
from .load_store import (
    Batch,
    Stored,
    mark_duplicates,
    new_sample,
    norm,
    stored_files,
    summarise,
    unchanged_by_stat,
)

log = logging.getLogger("workbench")

#: Descriptive fields that folder names may fill (where the manifest leaves them empty).
_FOLDER_LABELS = ("style", "region", "technique")
_AUTO_MANIFESTS = ("metadata.jsonl", "metadata.csv", "manifest.jsonl", "manifest.csv")


@dataclass(frozen=True)
class LoadConfig(RightsDefaults):
    """How to load: the collection-wide rights of :class:`RightsDefaults`, and the rest.

    Attributes
    ----------
    max_pixels
        Refuse images above this many pixels (decompression bombs), judged from the
        header; ``None`` disables the guard. Large real images are decoded shrunk, so
        memory does not depend on it.
    workers
        Inspection worker processes; ``None`` uses one per CPU, ``0`` runs in-process.
    progress
        Show a progress bar.
    persistent
        Keep the dataset when the database stops.
    license, source, creator, attribution, consent, ai_generated
        Rights for the whole collection (from :class:`RightsDefaults`): each fills what
        the manifest leaves empty (the manifest wins where it has a value).
        ``license`` is an SPDX id.
    commit_every, commit_seconds
        Write results to the dataset at least every this many files and this many
        seconds, so an interrupted load resumes where it stopped.
    check_quality
        Judge the collection's quality at the end (:func:`workbench.check_quality`, from
        the scores the load stored; no second decode).
    engine
        ``local`` (a process pool here) or ``ray`` (Ray Data, see
        :mod:`workbench.glue.ray_engine`): the same inspection of every file, the same
        fields and hashes; ``workers`` then caps the CPUs of a local Ray.

    Examples
    --------
    >>> LoadConfig(license="CC-BY-4.0", source="museum open-access collection").license
    'CC-BY-4.0'
    """

    max_pixels: int | None = DEFAULT_MAX_PIXELS
    workers: int | None = None
    progress: bool = True
    persistent: bool = True
    commit_every: int = 500
    commit_seconds: float = 30.0
    check_quality: bool = True
    engine: str = "local"

    def __post_init__(self) -> None:
        from .ray_engine import check_engine

        check_engine(self.engine)
        if self.max_pixels is not None and (not isinstance(self.max_pixels, int)
                                            or self.max_pixels < 1):
            raise ValueError(f"max_pixels must be None or a positive int; got {self.max_pixels!r}")
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 0):
            raise ValueError(f"workers must be None or an int >= 0; got {self.workers!r}")
        if not isinstance(self.commit_every, int) or self.commit_every < 1:
            raise ValueError(f"commit_every must be an int >= 1; got {self.commit_every!r}")
        if not self.commit_seconds > 0:
            raise ValueError(f"commit_seconds must be > 0; got {self.commit_seconds!r}")
        super().__post_init__()  # checks the rights values now, before any file is read

    def rights_defaults(self) -> RightsDefaults:
        """Just the collection-wide rights values."""
        return RightsDefaults(**self.values())


def open_or_create(fo, name: str):
    """The dataset ``name``, created when it does not exist yet. Two processes loading into
    one new dataset at once (a shared database) both get it: the one that loses the race
    to create it opens the one the other created."""
    from pymongo.errors import DuplicateKeyError, PyMongoError

    if fo.dataset_exists(name):
        ds = fo.load_dataset(name)
    else:
        try:
            ds = fo.Dataset(name)
        except (DuplicateKeyError, ValueError):
            if not fo.dataset_exists(name):
                raise
            ds = fo.load_dataset(name)
    if ds.media_type is None:  # set it now, before another process adds samples
        try:
            ds.media_type = "image"
        except ValueError:  # one did already: its media type holds
            ds.reload()
    if not ds.get_index_information().get("filepath", {}).get("unique"):
        # One row per file, even when two processes add the same file at once. FiftyOne
        # says at INFO level that it converts its index: our doing, not news to the user.
        log = logging.getLogger("fiftyone.core.collections")
        level = log.level
        log.setLevel(logging.WARNING)
        try:
            ds.create_index("filepath", unique=True)
        except PyMongoError as exc:  # an older dataset that holds a file twice already
            warnings.warn(f"dataset {name!r} holds some file more than once ({exc}); loads "
                          "into it from two processes at once may add more copies",
                          stacklevel=2)
        finally:
            log.setLevel(level)
    return ds


def _find_manifest(source: Path, manifest: str | os.PathLike | None) -> Path | None:
    if manifest is not None:
        return Path(manifest)
    if source.is_file() and source.suffix.lower() in MANIFEST_SUFFIXES:
        return source
    if source.is_dir():
        for name in _AUTO_MANIFESTS:
            if (source / name).is_file():
                return source / name
    return None


def _folder_label(path: str, root: Path) -> str | None:
    rel = Path(path).relative_to(root) if Path(path).is_relative_to(root) else None
    return rel.parts[0] if rel is not None and len(rel.parts) > 1 else None


def _ensure_schema(ds, label_field: str | None) -> None:
    """Declare the loader's fields (``workbench.schema``) on the dataset, once."""
    fo = fiftyone()
    kinds = {"string": (fo.StringField, {}), "int": (fo.IntField, {}),
             "float": (fo.FloatField, {}), "dict": (fo.DictField, {}),
             "strings": (fo.ListField, {"subfield": fo.StringField}),
             "floats": (fo.ListField, {"subfield": fo.FloatField}),
             "dicts": (fo.ListField, {"subfield": fo.DictField})}
    wanted = [(f.name, f.kind) for f in load_fields()]
    if label_field:
        wanted.append((label_field, "string"))
    present = ds.get_field_schema()
    for name, kind in wanted:
        if name not in present:
            ftype, kwargs = kinds[kind]
            ds.add_sample_field(name, ftype, **kwargs)


def load(
    source: str | os.PathLike,
    name: str,
    *,
    manifest: str | os.PathLike | None = None,
    labels_from_folders: str | None = None,
    optout: str | os.PathLike | None = None,
    config: LoadConfig = LoadConfig(),
) -> LoadReport:
    """Load images and their rights records into the persistent dataset ``name``.

    Parameters
    ----------
    source
        A folder (searched recursively), a CSV/JSONL manifest, or an HF ``imagefolder``
        (a folder with ``metadata.jsonl``/``metadata.csv``). A folder with
        ``manifest.csv``/``manifest.jsonl`` at its root uses that manifest.
    name
        Dataset name; created if missing, otherwise updated in place.
    manifest
        An explicit manifest, overriding the automatic choice.
    labels_from_folders
        Store each file's top-level sub-folder name in this field.
    optout
        An opt-out registry file (see :mod:`workbench.core.rights.optout`).

    Examples
    --------
    >>> report = wb.load("sample_data", name="sample")  # doctest: +SKIP
    >>> report.added, len(report.skipped)  # doctest: +SKIP
    (300, 3)
    """
    t0 = time.perf_counter()
    source = Path(source)
    if not source.exists():
        raise SourceNotFoundError(f"source not found: {source} (expected a folder of images, "
                                  "a CSV/JSONL manifest or an HF imagefolder)")
    manifest_path = _find_manifest(source, manifest)
    parsed: Manifest | None = read_manifest(manifest_path) if manifest_path else None
    registry: OptOutRegistry | None = read_optout(optout) if optout is not None else None
    root = (source if source.is_dir() else source.parent).absolute()
    if labels_from_folders and is_reserved(labels_from_folders) \
            and labels_from_folders not in _FOLDER_LABELS:
        raise ValueError(
            f"labels_from_folders={labels_from_folders!r} would overwrite a rights, caption or "
            f"content field; choose a descriptive field ({', '.join(_FOLDER_LABELS)}) or a new "
            "name (e.g. 'folder')"
        )

    report = LoadReport(
        dataset=name, source=str(root),
        manifest=str(manifest_path.absolute()) if manifest_path else None,
    )
    rows: dict[str, dict | None] = {}
    if registry is not None:
        report.warnings.extend(registry.warnings)
        for warning in registry.warnings:
            log.warning(warning)
    if parsed is not None:
        report.warnings.extend(parsed.warnings)
        for warning in parsed.warnings:
            log.warning(warning)
        for row in parsed.rows:
            fp = row["filepath"]
            if not fp:
                report.skipped.append(
                    {"path": f"{manifest_path}:{row['_row']}", "reason": "empty_filepath",
                     "detail": "manifest row has no filepath"})
                continue
            key = norm(fp)
            if key in rows:
                report.skipped.append({"path": key, "reason": "duplicate_manifest_row",
                                       "detail": f"row {row['_row']} repeats an earlier row"})
                continue
            rows[key] = row
    scanned = scan_folder(root) if source.is_dir() else None
    if scanned is not None:
        report.skipped.extend({**i, "detail": ""} for i in scanned.ignored)
        for path in scanned.files:
            key = norm(path)
            if key not in rows:
                rows[key] = None
                if parsed is not None:
                    report.not_in_manifest.append(key)
    if not rows:
        from ..core.pixels.images import IMAGE_EXTENSIONS

        raise NothingToLoadError(
            f"no image to load in {source}: expected image files "
            f"({', '.join(sorted(IMAGE_EXTENSIONS))}) in the folder or its sub-folders, "
            "or a manifest that lists some")

    fo = fiftyone()
    ds = open_or_create(fo, name)
    ds.persistent = config.persistent
    _ensure_schema(ds, labels_from_folders)
    if labels_from_folders:
        state.set_labels_field(ds, labels_from_folders)
    existing = stored_files(ds)
    defaults = config.rights_defaults()

    # Files whose size and modification time match what was stored are not read again:
    # after an interrupted load only the files not yet committed are inspected.
    known, jobs = [], []
    for path in rows:
        info = unchanged_by_stat(path, existing.get(path))
        if info is not None:
            known.append(info)
        else:
            # A file inspected by an older version is decoded again, even if unchanged.
            stored = existing.get(path)
            jobs.append((path, stored.sha256 if stored is not None and stored.current else None))
    report.inspected = len(jobs)
    if config.engine == "ray":
        from .ray_engine import inspect_files_ray as inspect_all
    else:
        inspect_all = inspect_files
    infos = _progress(
        itertools.chain(known, inspect_all(jobs, max_pixels=config.max_pixels,
                                           workers=config.workers)),
        total=len(rows), enabled=config.progress, desc="inspecting")

    batch = Batch(fo, ds, report)
    tally = SignalTally()
    last_commit = time.monotonic()
    try:
        for info in infos:
            _take(info, rows[info.path], existing.get(info.path), batch, report, tally,
                  registry=registry, defaults=defaults, label_field=labels_from_folders, root=root)
            if len(batch) >= config.commit_every or \
                    time.monotonic() - last_commit >= config.commit_seconds:
                batch.commit()
                last_commit = time.monotonic()
    finally:
        # Interrupted (Ctrl-C) or not, what was inspected is kept: the next load resumes.
        batch.commit()

    report.signals, report.signals_summary = tally.to_dict(), tally.summary()
    mark_duplicates(ds, report, set(rows))
    summarise(ds, report, set(rows), root)
    if report.total and config.check_quality:
        from .quality import check_quality

        # From the scores the inspection stored: the collection changed, so re-judge all.
        report.quality = check_quality(ds).result.counts
    report.seconds = round(time.perf_counter() - t0, 3)
    state.add_load_report(ds, {k: v for k, v in report.to_dict().items()
                               if not isinstance(v, list)} | {"skipped": len(report.skipped)})
    if registry is not None:
        state.set_optout_registry(ds, registry.source)
    return report


def _take(info: FileInfo, row, stored: Stored | None, batch: Batch, report: LoadReport,
          tally: SignalTally, *, registry, defaults: RightsDefaults, label_field: str | None,
          root: Path) -> None:
    """Turn one inspected file into a new sample, an update, or a skip."""
    if not info.ok:
        report.skipped.append({"path": info.path, "reason": info.reason, "detail": info.detail})
        if stored is not None:
            batch.broken[stored.id] = info.reason
        return
    if not info.decoded and stored is not None:  # unchanged bytes: the file's own signals
        info.signals = stored.signals
    fields, issues = build_record(row, info, registry=registry, defaults=defaults)
    tally.add(fields, info.signals_checked)
    if fields["rights_conflicts"]:
        report.rights_conflicts.append({"path": info.path, "conflicts": fields["rights_conflicts"]})
    for key, source in fields["rights_sources"].items():
        if source == "default":
            report.filled_from_defaults[key] = report.filled_from_defaults.get(key, 0) + 1
    if label_field and not (label_field in _FOLDER_LABELS and fields.get(label_field)):
        # A manifest value wins over the folder name, as for the rights defaults.
        fields[label_field] = _folder_label(info.path, root)
    if info.decoded:
        fields.update({k: getattr(info, k) for k in CONTENT_FIELDS})
        fields["quality_scores"] = info.quality
        fields["inspect_version"] = INSPECT_VERSION
    else:  # unchanged bytes: what decoding noted last time still holds
        issues = sorted(set(issues) | (set(stored.issues) & CONTENT_NOTES))
    fields["file_mtime"] = info.file_mtime
    fields["load_issues"] = issues
    if stored is not None:
        batch.updates[stored.id] = (fields, info.decoded)
    else:
        batch.new.append((new_sample(batch.fo, info, fields), fields))


def _progress(iterable, *, total: int, enabled: bool, desc: str):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="img")


