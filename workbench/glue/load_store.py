"""Writing a load into the dataset: what is stored already, batched commits, duplicates
and the report's summary. The loader (:mod:`workbench.glue.load`) decides what to write;
this module writes it, in pieces small enough that an interrupted load loses little.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..core.intake.inspect import INSPECT_VERSION, FileInfo
from ..core.intake.records import exact_duplicates
from .fo import UNUSABLE_TAG, usable


def norm(path: str) -> str:
    """The key a file is stored under: its normalised absolute path."""
    return os.path.normpath(os.path.abspath(path))


@dataclass(frozen=True)
class Stored:
    """What the dataset already holds about one file."""

    id: str
    sha256: str | None
    issues: list[str]
    size: int | None
    mtime: float | None
    unusable: bool
    signals: list[dict]
    version: int | None

    @property
    def current(self) -> bool:
        """Inspected by this version: its content fields need no new decode."""
        return self.version == INSPECT_VERSION


def stored_files(ds) -> dict[str, Stored]:
    if not len(ds):
        return {}
    fields = ["id", "filepath", "sha256", "load_issues", "file_size", "file_mtime", "tags",
              "rights_signals", "inspect_version"]
    return {norm(fp): Stored(i, s, iss or [], size, mt, UNUSABLE_TAG in (tg or []),
                             list(sig or []), ver)
            for i, fp, s, iss, size, mt, tg, sig, ver in zip(*ds.values(fields))}


def unchanged_by_stat(path: str, stored: Stored | None) -> FileInfo | None:
    """A FileInfo for a file whose size and mtime match the stored ones, else None."""
    if stored is None or stored.unusable or stored.sha256 is None or stored.mtime is None \
            or not stored.current:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size != stored.size or st.st_mtime != stored.mtime:
        return None
    return FileInfo(path=path, sha256=stored.sha256, file_size=st.st_size,
                    file_mtime=st.st_mtime)


class Batch:
    """Results not yet written to the dataset."""

    def __init__(self, fo, ds, report) -> None:
        self.fo, self.ds, self.report = fo, ds, report
        self.new: list[tuple] = []  # (sample, the fields it was made from)
        self.updates: dict[str, tuple[dict, bool]] = {}
        self.broken: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.new) + len(self.updates) + len(self.broken)

    def commit(self) -> None:
        if len(self):
            _apply(self.ds, self.fo, self.new, self.updates, self.broken, self.report)
            self.new, self.updates, self.broken = [], {}, {}


def new_sample(fo, info: FileInfo, fields: dict):
    mime = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
            "WEBP": "image/webp", "TIFF": "image/tiff", "BMP": "image/bmp"}.get(info.format or "")
    meta = fo.ImageMetadata(size_bytes=info.file_size, mime_type=mime, width=info.width,
                            height=info.height, num_channels=3)
    return fo.Sample(filepath=info.path, metadata=meta, **fields)


#: Fields whose change alone does not make a sample "updated" (still written).
_QUIET_FIELDS = frozenset({"file_mtime"})


def _insert(ds, fo, new: list[tuple], updates: dict) -> int:
    """Add the new samples; returns how many this process added.

    On a shared database another process may add the same file between our look at what
    is stored and this write; the unique filepath index refuses the second copy. Files
    stored meanwhile (by the other process, or by the part of this batch written before
    the refusal) then join ``updates`` and are judged like any stored file, so nothing is
    lost and nothing is duplicated.
    """
    pending = list(new)
    while pending:
        try:
            ds.add_samples([sample for sample, _ in pending], progress=False)
            return len(pending)
        except ValueError as exc:
            if "E11000" not in str(exc):  # not a duplicate filepath
                raise
        paths = [sample.filepath for sample, _ in pending]
        ids, stored_paths = ds.match(fo.ViewField("filepath").is_in(paths)).values(
            ["id", "filepath"])
        stored = dict(zip(stored_paths, ids))
        for sample, fields in pending:
            if sample.filepath in stored:
                updates[stored[sample.filepath]] = (fields, False)
        pending = [(s, f) for s, f in pending if s.filepath not in stored]
    return 0


def _apply(ds, fo, new_samples, updates, broken_existing, report) -> None:
    if new_samples:
        report.added += _insert(ds, fo, new_samples, updates)
    if updates:
        # Another process writing into this dataset (a shared database) may have added
        # fields since it was opened: read the schema again before loading its samples.
        ds.reload()
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


def mark_duplicates(ds, report, this_load: set[str]) -> None:
    """Flag exact duplicates across the whole dataset: the earliest sample is the original."""
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
                         if norm(fp) in this_load]


def summarise(ds, report, this_load: set[str], root: Path) -> None:
    fps, lic, status, consent, ai = usable(ds).values(
        ["filepath", "license", "license_status", "consent", "ai_generated"])
    for fp, l, s, c, a in zip(fps, lic, status, consent, ai):
        if norm(fp) not in this_load:
            if norm(fp).startswith(str(root) + os.sep) and not os.path.exists(fp):
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

