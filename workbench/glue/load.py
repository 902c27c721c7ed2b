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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core.images import DECODE_NOTES, DEFAULT_MAX_PIXELS
from ..core.inspect import FileInfo, inspect_files, scan_folder
from ..core.manifest import MANIFEST_SUFFIXES, Manifest, read_manifest
from ..core.optout import OptOutRegistry, read_optout
from ..core.records import (
    CONTENT_FIELDS,
    RECORD_FIELDS,
    RightsDefaults,
    build_record,
    exact_duplicates,
)
from .fo import UNUSABLE_TAG, fiftyone

log = logging.getLogger("workbench")

#: Descriptive fields that folder names may fill (where the manifest leaves them empty).
_FOLDER_LABELS = ("style", "region", "technique")
_NOT_FOLDER_LABELS = frozenset(RECORD_FIELDS + CONTENT_FIELDS) - set(_FOLDER_LABELS)
_AUTO_MANIFESTS = ("metadata.jsonl", "metadata.csv", "manifest.jsonl", "manifest.csv")
_KEEP_REPORTS = 20


@dataclass(frozen=True)
class LoadConfig:
    """How to load.

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
        Rights for the whole collection: each fills what the manifest leaves empty
        (the manifest wins where it has a value). ``license`` is an SPDX id.
    commit_every, commit_seconds
        Write results to the dataset at least every this many files and this many
        seconds, so an interrupted load resumes where it stopped.

    Examples
    --------
    >>> LoadConfig(license="CC-BY-4.0", source="museum open-access collection").license
    'CC-BY-4.0'
    """

    max_pixels: int | None = DEFAULT_MAX_PIXELS
    workers: int | None = None
    progress: bool = True
    persistent: bool = True
    license: str | None = None
    source: str | None = None
    creator: str | None = None
    attribution: str | None = None
    consent: str | None = None
    ai_generated: str | None = None
    commit_every: int = 500
    commit_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.max_pixels is not None and (not isinstance(self.max_pixels, int)
                                            or self.max_pixels < 1):
            raise ValueError(f"max_pixels must be None or a positive int; got {self.max_pixels!r}")
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 0):
            raise ValueError(f"workers must be None or an int >= 0; got {self.workers!r}")
        if not isinstance(self.commit_every, int) or self.commit_every < 1:
            raise ValueError(f"commit_every must be an int >= 1; got {self.commit_every!r}")
        if not self.commit_seconds > 0:
            raise ValueError(f"commit_seconds must be > 0; got {self.commit_seconds!r}")
        self.rights_defaults()  # checks the values now, before any file is read

    def rights_defaults(self) -> RightsDefaults:
        """The collection-wide rights values as a :class:`RightsDefaults`."""
        return RightsDefaults(license=self.license, source=self.source, creator=self.creator,
                              attribution=self.attribution, consent=self.consent,
                              ai_generated=self.ai_generated)


@dataclass
class LoadReport:
    """What a load did. ``to_dict()`` is the CLI's ``--json`` output."""

    dataset: str
    source: str
    manifest: str | None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    inspected: int = 0
    filled_from_defaults: dict = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    unknown_license: list[dict] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)
    ai_generated: list[str] = field(default_factory=list)
    not_in_manifest: list[str] = field(default_factory=list)
    missing_from_source: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def frame(self, key: str = "skipped"):
        """One of the report's lists as a pandas DataFrame (e.g. ``skipped``, ``duplicates``)."""
        import pandas as pd

        value = getattr(self, key)
        return pd.DataFrame([v if isinstance(v, dict) else {"path": v} for v in value])

    def summary(self) -> str:
        """A few lines for people."""
        lines = [
            f"dataset {self.dataset!r}: {self.total} usable samples "
            f"(added {self.added}, updated {self.updated}, unchanged {self.unchanged}; "
            f"{self.inspected} file(s) read) in {self.seconds:.1f}s",
            f"skipped {len(self.skipped)} bad file(s); {len(self.duplicates)} exact duplicate(s); "
            f"{len(self.unknown_license)} unknown/invalid licence(s); "
            f"{len(self.opted_out)} opted out; {len(self.ai_generated)} AI-generated",
        ]
        if self.filled_from_defaults:
            filled = ", ".join(f"{k} {v}" for k, v in sorted(self.filled_from_defaults.items()))
            lines.append(f"filled from the collection defaults: {filled}")
        lines += [f"  skipped {s['path']}: {s['reason']}" for s in self.skipped]
        lines += [f"  duplicate {d['path']} of {d['duplicate_of']}" for d in self.duplicates]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _norm(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


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
    fo = fiftyone()
    str_fields = list(RECORD_FIELDS) + ["sha256", "phash", "duplicate_of"]
    if label_field:
        str_fields.append(label_field)
    schema = ds.get_field_schema()
    for name in str_fields:
        if name not in schema:
            ds.add_sample_field(name, fo.StringField)
    for name in ("width", "height", "file_size"):
        if name not in schema:
            ds.add_sample_field(name, fo.IntField)
    if "file_mtime" not in schema:
        ds.add_sample_field("file_mtime", fo.FloatField)
    if "rights_sources" not in schema:
        ds.add_sample_field("rights_sources", fo.DictField)
    if "load_issues" not in schema:
        ds.add_sample_field("load_issues", fo.ListField, subfield=fo.StringField)


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
        An opt-out registry file (see :mod:`workbench.core.optout`).

    Examples
    --------
    >>> report = wb.load("sample_data", name="sample")  # doctest: +SKIP
    >>> report.added, len(report.skipped)  # doctest: +SKIP
    (300, 3)
    """
    t0 = time.perf_counter()
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"source not found: {source}")
    manifest_path = _find_manifest(source, manifest)
    parsed: Manifest | None = read_manifest(manifest_path) if manifest_path else None
    registry: OptOutRegistry | None = read_optout(optout) if optout is not None else None
    root = (source if source.is_dir() else source.parent).absolute()
    if labels_from_folders and labels_from_folders in _NOT_FOLDER_LABELS:
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
            key = _norm(fp)
            if key in rows:
                report.skipped.append({"path": key, "reason": "duplicate_manifest_row",
                                       "detail": f"row {row['_row']} repeats an earlier row"})
                continue
            rows[key] = row
    scanned = scan_folder(root) if source.is_dir() else None
    if scanned is not None:
        report.skipped.extend({**i, "detail": ""} for i in scanned.ignored)
        for path in scanned.files:
            key = _norm(path)
            if key not in rows:
                rows[key] = None
                if parsed is not None:
                    report.not_in_manifest.append(key)

    fo = fiftyone()
    ds = fo.load_dataset(name) if fo.dataset_exists(name) else fo.Dataset(name)
    ds.persistent = config.persistent
    _ensure_schema(ds, labels_from_folders)
    existing = _existing(ds)
    defaults = config.rights_defaults()

    # Files whose size and modification time match what was stored are not read again:
    # after an interrupted load only the files not yet committed are inspected.
    known, jobs = [], []
    for path in rows:
        info = _unchanged_by_stat(path, existing.get(path))
        if info is not None:
            known.append(info)
        else:
            jobs.append((path, existing[path].sha256 if path in existing else None))
    report.inspected = len(jobs)
    infos = _progress(
        itertools.chain(known, inspect_files(jobs, max_pixels=config.max_pixels,
                                             workers=config.workers)),
        total=len(rows), enabled=config.progress, desc="inspecting")

    batch = _Batch(fo, ds, report)
    last_commit = time.monotonic()
    try:
        for info in infos:
            _take(info, rows[info.path], existing.get(info.path), batch, report,
                  registry=registry, defaults=defaults, label_field=labels_from_folders, root=root)
            if len(batch) >= config.commit_every or \
                    time.monotonic() - last_commit >= config.commit_seconds:
                batch.commit()
                last_commit = time.monotonic()
    finally:
        # Interrupted (Ctrl-C) or not, what was inspected is kept: the next load resumes.
        batch.commit()

    _mark_duplicates(ds, report, set(rows))
    _summarise(ds, report, set(rows), root)
    report.seconds = round(time.perf_counter() - t0, 3)
    info = dict(ds.info)
    info["load_reports"] = (info.get("load_reports", []) + [{
        k: v for k, v in report.to_dict().items() if not isinstance(v, list)
    } | {"skipped": len(report.skipped)}])[-_KEEP_REPORTS:]
    if registry is not None:
        info["optout_registry"] = registry.source
    ds.info = info
    ds.save()
    return report


@dataclass(frozen=True)
class _Stored:
    """What the dataset already holds about one file."""

    id: str
    sha256: str | None
    issues: list[str]
    size: int | None
    mtime: float | None
    unusable: bool


def _existing(ds) -> dict[str, _Stored]:
    if not len(ds):
        return {}
    ids, fps, shas, issues, sizes, mtimes, tags = ds.values(
        ["id", "filepath", "sha256", "load_issues", "file_size", "file_mtime", "tags"])
    return {_norm(fp): _Stored(i, s, iss or [], size, mt, UNUSABLE_TAG in (tg or []))
            for i, fp, s, iss, size, mt, tg in zip(ids, fps, shas, issues, sizes, mtimes, tags)}


def _unchanged_by_stat(path: str, stored: _Stored | None) -> FileInfo | None:
    """A FileInfo for a file whose size and mtime match the stored ones, else None."""
    if stored is None or stored.unusable or stored.sha256 is None or stored.mtime is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size != stored.size or st.st_mtime != stored.mtime:
        return None
    return FileInfo(path=path, sha256=stored.sha256, file_size=st.st_size,
                    file_mtime=st.st_mtime)


def _take(info: FileInfo, row, stored: _Stored | None, batch: _Batch, report: LoadReport, *,
          registry, defaults: RightsDefaults, label_field: str | None, root: Path) -> None:
    """Turn one inspected file into a new sample, an update, or a skip."""
    if not info.ok:
        report.skipped.append({"path": info.path, "reason": info.reason, "detail": info.detail})
        if stored is not None:
            batch.broken[stored.id] = info.reason
        return
    fields, issues = build_record(row, info, registry=registry, defaults=defaults)
    for key, source in fields["rights_sources"].items():
        if source == "default":
            report.filled_from_defaults[key] = report.filled_from_defaults.get(key, 0) + 1
    if label_field and not (label_field in _FOLDER_LABELS and fields.get(label_field)):
        # A manifest value wins over the folder name, as for the rights defaults.
        fields[label_field] = _folder_label(info.path, root)
    if info.decoded:
        fields.update({k: getattr(info, k) for k in CONTENT_FIELDS})
    else:  # unchanged bytes: what decoding noted last time still holds
        issues = sorted(set(issues) | (set(stored.issues) & DECODE_NOTES))
    fields["file_mtime"] = info.file_mtime
    fields["load_issues"] = issues
    if stored is not None:
        batch.updates[stored.id] = (fields, info.decoded)
    else:
        batch.new.append(_new_sample(batch.fo, info, fields))


class _Batch:
    """Results not yet written to the dataset."""

    def __init__(self, fo, ds, report: LoadReport) -> None:
        self.fo, self.ds, self.report = fo, ds, report
        self.new: list = []
        self.updates: dict[str, tuple[dict, bool]] = {}
        self.broken: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.new) + len(self.updates) + len(self.broken)

    def commit(self) -> None:
        if len(self):
            _apply(self.ds, self.fo, self.new, self.updates, self.broken, self.report)
            self.new, self.updates, self.broken = [], {}, {}


def _progress(iterable, *, total: int, enabled: bool, desc: str):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="img")


def _new_sample(fo, info: FileInfo, fields: dict):
    mime = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
            "WEBP": "image/webp", "TIFF": "image/tiff", "BMP": "image/bmp"}.get(info.format or "")
    meta = fo.ImageMetadata(size_bytes=info.file_size, mime_type=mime, width=info.width,
                            height=info.height, num_channels=3)
    return fo.Sample(filepath=info.path, metadata=meta, **fields)


#: Fields whose change alone does not make a sample "updated" (still written).
_QUIET_FIELDS = frozenset({"file_mtime"})


def _apply(ds, fo, new_samples, updates, broken_existing, report) -> None:
    if new_samples:
        ds.add_samples(new_samples, progress=False)
        report.added += len(new_samples)
    for sample in ds.select(list(updates)).iter_samples(autosave=True, progress=False):
        fields, content_changed = updates[sample.id]
        before = {k: sample[k] if sample.has_field(k) else None for k in fields}
        changed = content_changed or UNUSABLE_TAG in sample.tags or any(
            _differs(before[k], v) for k, v in fields.items() if k not in _QUIET_FIELDS)
        if not changed:
            report.unchanged += 1
            for key in _QUIET_FIELDS & fields.keys():
                if _differs(before[key], fields[key]):
                    sample[key] = fields[key]
            continue
        for key, value in fields.items():
            sample[key] = value
        if content_changed:
            # Vectors and map positions describe the old content: drop them, so the
            # next `embed` recomputes (or fetches from the cache) the right ones.
            for name in sample.field_names:
                if name.startswith(("emb_", "map_")):
                    sample[name] = None
            sample.metadata = fo.ImageMetadata(
                size_bytes=fields["file_size"], width=fields["width"], height=fields["height"],
                num_channels=3)
        if UNUSABLE_TAG in sample.tags:
            sample.tags.remove(UNUSABLE_TAG)
        report.updated += 1
    if broken_existing:
        for sample in ds.select(list(broken_existing)).iter_samples(autosave=True,
                                                                     progress=False):
            reason = broken_existing[sample.id]
            if UNUSABLE_TAG not in sample.tags:
                sample.tags.append(UNUSABLE_TAG)
            sample["load_issues"] = sorted(set(sample["load_issues"] or []) | {f"unreadable:{reason}"})


def _differs(old, new) -> bool:
    # FiftyOne stores an empty list as None; an empty dict reads the same.
    return (old if old not in ([], {}) else None) != (new if new not in ([], {}) else None)


def _mark_duplicates(ds, report: LoadReport, this_load: set[str]) -> None:
    """Flag exact duplicates across the whole dataset: the earliest sample is the original."""
    from .fo import usable

    fps, shas, dup_of, created = usable(ds).values(
        ["filepath", "sha256", "duplicate_of", "created_at"])
    # Originals stay originals; otherwise the earliest-added wins, ties broken by path.
    order = sorted(range(len(fps)), key=lambda i: (dup_of[i] is not None, created[i], fps[i]))
    dupes = exact_duplicates((fps[i], shas[i]) for i in order)
    current = dict(zip(fps, dup_of))
    changed = {fp: dupes.get(fp) for fp in fps if current[fp] != dupes.get(fp)}
    if changed:
        ds.set_values("duplicate_of", changed, key_field="filepath")
    report.duplicates = [{"path": fp, "duplicate_of": orig} for fp, orig in sorted(dupes.items())
                         if _norm(fp) in this_load]


def _summarise(ds, report: LoadReport, this_load: set[str], root: Path) -> None:
    from .fo import usable

    fps, lic, status, consent, ai = usable(ds).values(
        ["filepath", "license", "license_status", "consent", "ai_generated"])
    for fp, l, s, c, a in zip(fps, lic, status, consent, ai):
        if _norm(fp) not in this_load:
            if _norm(fp).startswith(str(root) + os.sep) and not os.path.exists(fp):
                report.missing_from_source.append(fp)
            continue
        if s != "valid":
            report.unknown_license.append({"path": fp, "value": l, "status": s})
        if c == "opted_out":
            report.opted_out.append(fp)
        if a == "true":
            report.ai_generated.append(fp)
    report.total = len(usable(ds))
    for lst in (report.opted_out, report.ai_generated, report.missing_from_source):
        lst.sort()
    report.unknown_license.sort(key=lambda d: d["path"])
    report.skipped.sort(key=lambda d: d["path"])

