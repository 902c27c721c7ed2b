"""Opt-out registries: creators, sources, files or contents whose owners said no.

The registry lasts: the loader records where it is, and every later selection and export
reads it again, so an entry added after loading still removes what it matches.

Two formats are read:

* **CSV** (``.csv``), one entry per row, with a header::

      kind,value,date,note
      creator,creator-07,2026-11-02,asked by email
      source_domain,example-museum.org,2026-11-05,
      url_prefix,https://example.org/gallery/ink/,2026-11-05,
      sha256,9f86d08...,2026-11-06,
      phash,c3a1f0e0d8b4a2c1,2026-11-07,resized copies too

* **plain text**, one entry per line (``#`` starts a comment): ``creator:creator-07``,
  ``sha256:<hex>``, ``path:<file>`` (relative to the registry's folder, or absolute),
  or a bare creator id or sha256.

Kinds: ``creator`` (the record's creator), ``source_domain`` (the host of the record's
source URL, or any sub-domain of it), ``url_prefix`` (the record's source URL starts
with it), ``sha256`` (exact content), ``phash`` (the 64-bit perceptual hash, within
``phash_distance`` bits: resized or re-encoded copies too) and ``path``. A bad row is
reported with its row number and skipped; the valid rows still apply.
"""

from __future__ import annotations

import csv
import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_HEX16 = re.compile(r"^[0-9a-fA-F]{16}$")
KINDS = ("creator", "source_domain", "url_prefix", "sha256", "phash", "path")
#: Hamming distance (of 64 bits) within which a ``phash`` entry matches.
DEFAULT_PHASH_DISTANCE = 6


class OptOutError(ValueError):
    """An opt-out registry that cannot be read at all."""


@dataclass(frozen=True)
class Entry:
    """One registry entry."""

    kind: str
    value: str
    date: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class OptOutRegistry:
    """Parsed opt-out entries. Use :meth:`match` on a rights record.

    ``warnings`` lists the rows that could not be used, with their row numbers.
    """

    source: str
    entries: tuple[Entry, ...] = ()
    warnings: tuple[str, ...] = ()
    phash_distance: int = DEFAULT_PHASH_DISTANCE
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, set] = {k: set() for k in KINDS}
        for e in self.entries:
            index[e.kind].add(e.value)
        index["phash_ints"] = {int(v, 16) for v in index["phash"]}
        self._index.update(index)

    def __len__(self) -> int:
        return len(self.entries)

    def counts(self) -> dict[str, int]:
        """Entries per kind."""
        return {k: n for k in KINDS if (n := len(self._index[k]))}

    def match(self, *, creator: str | None = None, sha256: str | None = None,
              filepath: str | None = None, source: str | None = None,
              phash: str | None = None) -> str | None:
        """Why the record is opted out (the matching kind), or None."""
        ix = self._index
        if creator and creator.strip() in ix["creator"]:
            return "creator"
        if sha256 and sha256.lower() in ix["sha256"]:
            return "sha256"
        if filepath and os.path.normpath(os.path.abspath(filepath)) in ix["path"]:
            return "path"
        if source:
            text = source.strip()
            if any(text.startswith(prefix) for prefix in ix["url_prefix"]):
                return "url_prefix"
            host = _host(text)
            if host and any(host == d or host.endswith("." + d) for d in ix["source_domain"]):
                return "source_domain"
        if phash and ix["phash_ints"] and _HEX16.match(phash):
            value = int(phash, 16)
            if any((value ^ other).bit_count() <= self.phash_distance
                   for other in ix["phash_ints"]):
                return "phash"
        return None


def _host(text: str) -> str | None:
    parts = urlsplit(text if "://" in text else f"//{text}")
    return parts.hostname.lower().removeprefix("www.") if parts.hostname else None


def _entry(kind: str, value: str, base: Path, date: str | None, note: str | None) -> Entry:
    """A validated entry; ValueError says what is wrong with it."""
    kind, value = kind.strip().lower(), value.strip()
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {list(KINDS)}")
    if not value:
        raise ValueError("empty value")
    if kind == "sha256":
        if not _HEX64.match(value):
            raise ValueError(f"{value!r} is not a 64-character hex sha256")
        value = value.lower()
    elif kind == "phash":
        if not _HEX16.match(value):
            raise ValueError(f"{value!r} is not a 16-character hex perceptual hash")
        value = value.lower()
    elif kind == "path":
        value = os.path.normpath(value if os.path.isabs(value) else str(base / value))
    elif kind == "source_domain":
        host = _host(value)
        if not host or "." not in host:
            raise ValueError(f"{value!r} is not a domain such as example.org")
        value = host
    elif kind == "url_prefix" and "://" not in value:
        raise ValueError(f"{value!r} is not a URL prefix such as https://example.org/gallery/")
    if date:
        try:
            _dt.date.fromisoformat(date.strip())
        except ValueError:
            raise ValueError(f"date {date!r} is not a YYYY-MM-DD date") from None
    return Entry(kind, value, date.strip() if date else None, (note or "").strip() or None)


def _text_rows(lines: list[str]):
    for lineno, line in enumerate(lines, 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        kind, sep, value = entry.partition(":")
        if not sep or len(kind) <= 1 or kind in ("http", "https"):
            # A bare entry (or a Windows drive letter, which is a path).
            kind, value = ("path", entry) if sep and len(kind) <= 1 else (
                ("sha256", entry) if _HEX64.match(entry) else ("creator", entry))
        yield lineno, kind, value, None, None


def _csv_rows(text: str, path: Path):
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "kind" not in columns or "value" not in columns:
        raise OptOutError(f"{path}: a CSV registry needs the columns kind,value (and "
                          f"optionally date,note); found {reader.fieldnames}")
    for row in reader:
        row = {str(k).strip().lower(): (v or "") for k, v in row.items() if k is not None}
        yield reader.line_num, row.get("kind", ""), row.get("value", ""), \
            row.get("date") or None, row.get("note") or None


def read_optout(path: str | os.PathLike,
                phash_distance: int = DEFAULT_PHASH_DISTANCE) -> OptOutRegistry:
    """Read an opt-out registry (CSV or plain text).

    Rows that cannot be used are listed in ``warnings`` with their row numbers; the
    valid ones apply.

    Raises
    ------
    OptOutError
        If the file is missing, unreadable, or a CSV without ``kind`` and ``value`` columns.

    Examples
    --------
    >>> reg = read_optout("optout.csv")            # doctest: +SKIP
    >>> reg.match(source="https://www.example-museum.org/x.jpg")  # doctest: +SKIP
    'source_domain'
    """
    p = Path(path)
    if not p.is_file():
        raise OptOutError(f"opt-out registry not found: {p}")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OptOutError(f"{p}: cannot be read as UTF-8 text: {exc}") from None
    base = p.parent.resolve()
    rows = _csv_rows(text, p) if p.suffix.lower() == ".csv" else _text_rows(text.splitlines())
    entries, warnings = [], []
    for lineno, kind, value, date, note in rows:
        try:
            entries.append(_entry(kind, value, base, date, note))
        except ValueError as exc:
            warnings.append(f"{p}: row {lineno}: {exc}; the row is skipped, the others apply")
    return OptOutRegistry(source=str(p.resolve()), entries=tuple(entries),
                          warnings=tuple(warnings), phash_distance=phash_distance)


def mark_opted_out(records, registry: OptOutRegistry | None):
    """Set ``consent`` to ``opted_out`` on the rows of a records table the registry matches.

    Returns ``(records, matched)``: a copy of the table, and how many rows each entry kind
    matched that were not opted out already (the entries added since loading).

    Examples
    --------
    >>> import pandas as pd
    >>> reg = OptOutRegistry("mem", (Entry("creator", "creator-07"),))
    >>> df = pd.DataFrame({"creator": ["creator-07", "creator-01"], "consent": ["granted"] * 2})
    >>> out, matched = mark_opted_out(df, reg)
    >>> list(out["consent"]), matched
    (['opted_out', 'granted'], {'creator': 1})
    """
    out = records.copy()
    matched: dict[str, int] = {}
    if registry is None or not len(registry) or not len(out):
        return out, matched
    columns = {"creator": "creator", "sha256": "sha256", "filepath": "filepath",
               "source": "source", "phash": "phash"}
    present = {key: col for key, col in columns.items() if col in out.columns}
    consent = out["consent"].tolist() if "consent" in out.columns else ["unknown"] * len(out)
    for i, row in enumerate(out[list(present.values())].itertuples(index=False, name=None)):
        values = {key: (v if isinstance(v, str) else None) for key, v in zip(present, row)}
        why = registry.match(**values)
        if why is not None and consent[i] != "opted_out":
            consent[i] = "opted_out"
            matched[why] = matched.get(why, 0) + 1
    out["consent"] = consent
    return out, matched
