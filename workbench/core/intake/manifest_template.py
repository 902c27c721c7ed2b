"""A manifest template for a folder: one row per image with the rights columns to fill in.

People complete it in a spreadsheet and load it back (``workbench load FOLDER`` finds a
``manifest.csv`` at the folder's root by itself). Pure Python: no FiftyOne.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .cells import escape_cell
from .inspect import scan_folder
from .manifest import KNOWN_COLUMNS, RIGHTS_COLUMNS
from .records import RightsDefaults


def template_rows(folder: str | os.PathLike, *, labels_from_folders: str | None = None,
                  defaults: RightsDefaults | None = None,
                  relative_to: str | os.PathLike | None = None) -> tuple[list[str], list[dict]]:
    """The columns and rows of a manifest template for ``folder``.

    Parameters
    ----------
    folder
        Searched recursively for images, as ``workbench load`` does.
    labels_from_folders
        Fill this column with each file's top-level sub-folder name (a known column
        such as ``style``, or a new custom one).
    defaults
        Rights values written into every row (the rest is left blank to fill in).
    relative_to
        Folder the ``filepath`` values are relative to: where the manifest will be
        saved (default ``folder``, the place ``workbench load FOLDER`` looks).

    Examples
    --------
    >>> columns, rows = template_rows("sample_data/images", labels_from_folders="style")
    ... # doctest: +SKIP
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"folder not found: {root}")
    base = Path(relative_to) if relative_to is not None else root
    values = defaults.values() if defaults is not None else {}
    columns = list(KNOWN_COLUMNS)
    if labels_from_folders and labels_from_folders not in columns:
        columns.append(labels_from_folders)
    if labels_from_folders in RIGHTS_COLUMNS:
        raise ValueError(f"labels_from_folders={labels_from_folders!r} would fill a rights "
                         "column with folder names; choose another name (e.g. 'folder')")
    rows = []
    for path in scan_folder(root).files:
        rel = Path(os.path.relpath(path, base.absolute()))
        row = {c: "" for c in columns}
        row.update(values)
        row["filepath"] = rel.as_posix()
        if labels_from_folders:
            parts = Path(path).relative_to(root.absolute()).parts
            row[labels_from_folders] = parts[0] if len(parts) > 1 else ""
        rows.append(row)
    return columns, rows


def template_csv(columns: list[str], rows: list[dict]) -> str:
    """The template as CSV text, with cells escaped for spreadsheets."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: escape_cell(v) for k, v in row.items()})
    return buf.getvalue()
