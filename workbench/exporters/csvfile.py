"""CSV outputs: the loader-compatible ``manifest.csv`` and ``CREDITS.csv``.

Layout of the ``csv`` format::

    OUT/manifest.csv          # filepath, creator, source, license, ... caption, extras
    OUT/images/<name>.jpg

``manifest.csv`` uses the loader's columns (``workbench.core.intake.manifest.KNOWN_COLUMNS``)
in order, with ``filepath`` relative to the CSV's folder, then ``group``,
``sample_id``, ``source_sha256`` and the custom fields, so ``read_manifest`` reads it
back. ``caption`` holds the export caption (the record's own caption when it had
one and ``prefer_sample_caption`` is on).

Every cell is escaped against spreadsheet formula injection with
:func:`workbench.core.intake.cells.escape_cell`; read values back through
:func:`workbench.core.intake.cells.unescape_cell` (or :func:`read_export_csv`). Exported
file names never start with a formula character, so ``filepath`` is never escaped.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from ..core.intake.cells import escape_cell, unescape_cell
from .items import Item, harmonise

IMAGE_DIR = "images"
MANIFEST_CSV = "manifest.csv"
CREDITS_CSV = "CREDITS.csv"
CREDITS_COLUMNS = ("file", "creator", "source", "license", "attribution")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write(path: Path, header: Sequence[str], columns: dict[str, list]) -> None:
    n = len(next(iter(columns.values()))) if columns else 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([escape_cell(h) for h in header])
        for i in range(n):
            writer.writerow([escape_cell(_text(columns[h][i])) for h in header])


def write_manifest_csv(stage: Path, items: Sequence[Item], custom: Sequence[str]) -> dict:
    """Write ``manifest.csv`` (rows sorted by file path)."""
    from workbench.core.intake.manifest import KNOWN_COLUMNS

    ordered = sorted(items, key=lambda it: it.relpath)
    columns: dict[str, list] = {}
    for name in KNOWN_COLUMNS:
        if name == "filepath":
            columns[name] = [it.relpath for it in ordered]
        elif name == "caption":
            columns[name] = [it.caption for it in ordered]
        else:
            columns[name] = [it.record.get(name) for it in ordered]
    columns["group"] = [it.group for it in ordered]
    columns["sample_id"] = [it.id for it in ordered]
    columns["source_sha256"] = [it.record.get("sha256") for it in ordered]
    for name in custom:
        key = name if name not in columns else f"custom_{name}"
        columns[key] = [it.record.get(name) for it in ordered]
    columns = {k: harmonise(v) for k, v in columns.items()}
    _write(stage / MANIFEST_CSV, list(columns), columns)
    return {"manifest": MANIFEST_CSV, "columns": list(columns)}


def write_credits(stage: Path, items: Sequence[Item]) -> None:
    """Write ``CREDITS.csv``: file, creator, source, license, attribution per image, and
    where the rights values came from (``rights_sources``: ``creator=xmp; license=manifest``)
    the rights statements written in the file itself, and who gave the caption
    (``caption_source``: expert, manifest, suggested or template)."""
    ordered = sorted(items, key=lambda it: it.relpath)
    columns = {"file": [it.relpath for it in ordered]}
    for name in CREDITS_COLUMNS[1:]:
        columns[name] = harmonise([it.record.get(name) for it in ordered])
    columns["rights_sources"] = ["; ".join(f"{k}={v}" for k, v in sorted(
        (it.record.get("rights_sources") or {}).items())) or None for it in ordered]
    columns["embedded_rights"] = harmonise([it.record.get("embedded_rights") for it in ordered])
    columns["caption_source"] = [it.caption_source for it in ordered]
    names = (*CREDITS_COLUMNS, "rights_sources", "embedded_rights", "caption_source")
    _write(stage / CREDITS_CSV, names, columns)


def read_export_csv(path: str | Path):
    """``read_manifest`` on an exported CSV, with the formula escaping undone.

    Until the manifest reader unescapes cells itself, use this to read back a CSV
    written here whose cells may begin with ``= + - @``.

    Examples
    --------
    >>> m = read_export_csv("exports/ink-v1/manifest.csv")  # doctest: +SKIP
    >>> m.rows[0]["creator"]  # doctest: +SKIP
    '=not a formula'
    """
    from workbench.core.intake.manifest import read_manifest

    manifest = read_manifest(path)
    for row in manifest.rows:
        for key, value in row.items():
            row[key] = unescape_cell(value)
    return manifest
