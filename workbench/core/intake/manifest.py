"""Reading and checking manifests (CSV / JSONL, including HF ``imagefolder`` metadata).

Pure pandas. The column contract is in DESIGN.md section 3: ``filepath`` is required,
the rights columns are known, and anything else is kept as a custom field.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ...schema import DESCRIPTIVE_FIELDS, RIGHTS_FIELDS, is_reserved

REQUIRED_COLUMNS = ("filepath",)
RIGHTS_COLUMNS = RIGHTS_FIELDS
DESCRIPTIVE_COLUMNS = DESCRIPTIVE_FIELDS
KNOWN_COLUMNS = REQUIRED_COLUMNS + RIGHTS_COLUMNS + DESCRIPTIVE_COLUMNS

#: HF imagefolder names for the same things.
_IMAGEFOLDER_ALIASES = {"file_name": "filepath"}

MANIFEST_SUFFIXES = (".csv", ".jsonl", ".json")


class ManifestError(ValueError):
    """A manifest that cannot be used at all (as opposed to a bad row)."""


@dataclass
class Manifest:
    """A parsed manifest.

    Attributes
    ----------
    path
        The manifest file.
    rows
        One dict per row, keyed by field name, with ``filepath`` resolved to an
        absolute path (relative paths are relative to the manifest's folder).
    custom_fields
        Original column name -> FiftyOne field name for columns outside the contract.
    warnings
        Human-readable notes (near-miss column names, renamed columns).
    """

    path: Path
    rows: list[dict]
    custom_fields: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _field_name(column: str) -> str:
    name = re.sub(r"[^0-9A-Za-z_]", "_", column.strip())
    if not name or name[0].isdigit() or name[0] == "_":
        name = "x_" + name.lstrip("_")
    # A custom column never overwrites a field the workbench or FiftyOne writes.
    if is_reserved(name) or name in KNOWN_COLUMNS:
        name = "custom_" + name
    return name


def suggest_column(column: str) -> str | None:
    """The known column that ``column`` most likely meant, if any."""
    lowered = column.strip().lower().replace(" ", "_").replace("-", "_")
    for known in KNOWN_COLUMNS:
        if lowered == known:
            return known
    aliases = {"licence": "license", "file_path": "filepath", "path": "filepath",
               "file": "filepath", "author": "creator", "artist": "creator",
               "ai": "ai_generated", "is_ai_generated": "ai_generated", "optout": "consent"}
    if lowered in aliases:
        return aliases[lowered]
    match = difflib.get_close_matches(lowered, KNOWN_COLUMNS, n=1, cutoff=0.75)
    return match[0] if match else None


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            from .cells import unescape_cell

            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            # Undo the formula-injection escaping that CSV exports apply (a leading ').
            df = df.map(unescape_cell)
            df.columns = [unescape_cell(c) for c in df.columns]
            return df
        if suffix in (".jsonl", ".json"):
            records = []
            with path.open(encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ManifestError(
                            f"{path}: line {lineno} is not valid JSON ({exc.msg}); "
                            "expected one JSON object per line (JSONL)"
                        ) from None
                    if not isinstance(record, dict):
                        raise ManifestError(
                            f"{path}: line {lineno} is a {type(record).__name__}; "
                            "expected a JSON object per line"
                        )
                    records.append(record)
            return pd.DataFrame.from_records(records)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ManifestError(f"{path}: cannot be parsed as {suffix[1:].upper()}: {exc}") from None
    raise ManifestError(
        f"manifest {path} has suffix {suffix!r}; expected one of {list(MANIFEST_SUFFIXES)}"
    )


def _infer(values: list) -> list:
    """Give a custom CSV column a type when every non-empty value agrees on one."""
    values = [None if isinstance(v, float) and v != v else v for v in values]  # NaN: absent
    present = [v for v in values if v not in ("", None)]
    if not present or not all(isinstance(v, str) for v in present):
        return [None if v == "" else v for v in values]
    for caster in (int, float):
        try:
            converted = [caster(v) for v in present]
        except ValueError:
            continue
        it = iter(converted)
        return [next(it) if v not in ("", None) else None for v in values]
    if all(v.lower() in ("true", "false") for v in present):
        return [None if v in ("", None) else v.lower() == "true" for v in values]
    return [None if v == "" else v for v in values]


def read_manifest(path: str | Path) -> Manifest:
    """Read a CSV or JSONL manifest and check its columns.

    Raises
    ------
    ManifestError
        When the file cannot be parsed or has no ``filepath`` column; the message
        lists the expected column names and what was found.

    Examples
    --------
    >>> m = read_manifest("sample_data/manifest.csv")  # doctest: +SKIP
    >>> m.rows[0]["license"]  # doctest: +SKIP
    'CC0-1.0'
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"manifest not found: {path}")
    df = _read_table(path)
    df = df.rename(columns={k: v for k, v in _IMAGEFOLDER_ALIASES.items() if k in df.columns})
    if "text" in df.columns and "caption" not in df.columns:
        df = df.rename(columns={"text": "caption"})
    columns = [str(c) for c in df.columns]

    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        hints = [f"{c!r} (did you mean {suggest_column(c)!r}?)" for c in columns
                 if suggest_column(c) in missing]
        hint = f"; closest found: {', '.join(hints)}" if hints else ""
        raise ManifestError(
            f"manifest {path} is missing required column(s) {missing}{hint}. "
            f"Expected columns: {list(KNOWN_COLUMNS)} (only 'filepath' is required); "
            f"found: {columns}"
        )

    warnings: list[str] = []
    custom: dict[str, str] = {}
    for column in columns:
        if column in KNOWN_COLUMNS:
            continue
        fname = _field_name(column)
        custom[column] = fname
        guess = suggest_column(column)
        if guess is not None:
            warnings.append(
                f"{path.name}: column {column!r} is not a known column; did you mean "
                f"{guess!r}? It is kept as custom field {fname!r}."
            )
        elif fname != column:
            warnings.append(f"{path.name}: column {column!r} is stored as field {fname!r}")

    typed = {c: _infer(df[c].tolist()) for c in custom}
    # Absolute, but through any symlink as given: the folder scan names files the same way,
    # so a file is one sample whether the manifest or the scan found it.
    base = path.parent.absolute()
    rows: list[dict] = []
    for i, raw in enumerate(df.to_dict(orient="records")):
        row: dict = {"_row": i + 2 if path.suffix.lower() == ".csv" else i + 1}
        for column in KNOWN_COLUMNS:
            value = raw.get(column)
            if value is None or (isinstance(value, float) and value != value):
                value = ""
            row[column] = value if isinstance(value, str) else str(value)
        for column, fname in custom.items():
            row[fname] = typed[column][i]
        fp = row["filepath"].strip()
        row["filepath"] = os.path.normpath(base / fp) if fp and not Path(fp).is_absolute() else fp
        rows.append(row)
    return Manifest(path=path, rows=rows, custom_fields=custom, warnings=warnings)
