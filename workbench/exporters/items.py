"""One exported sample, and the columns written about it (typed consistently)."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workbench import schema

#: Rights fields, in the order they are written.
RIGHTS_FIELDS = ("creator", "source", "license", "license_status", "attribution", "consent",
                 "ai_generated")
#: Descriptive fields, in the order they are written (``caption`` is written as the caption).
DESCRIPTIVE_FIELDS = ("region", "style", "technique")
#: Keys the writers derive themselves for the exported file.
_DERIVED = frozenset({"group"})


def is_custom(name: object) -> bool:
    """A record key carried as a custom column: not a workbench or FiftyOne field (those
    are written in their own columns, or are bookkeeping), not derived for the export."""
    return (isinstance(name, str) and not name.startswith("_") and name not in _DERIVED
            and not schema.is_reserved(name))


@dataclass
class Item:
    """A record on its way into the export.

    ``folder`` is relative to the export root (POSIX separators); ``filename`` is set
    once the image is written (the extension depends on the encoding).
    """

    record: dict
    id: str
    group: str | None
    caption: str
    folder: str
    stem: str
    filename: str | None = None
    width: int | None = None
    height: int | None = None
    #: Who gave the caption: ``expert``, ``manifest``, ``suggested`` or ``template``.
    caption_source: str = "template"

    @property
    def relpath(self) -> str:
        """Path of the image relative to the export root."""
        return f"{self.folder}/{self.filename}"


def to_scalar(value: object) -> object:
    """A JSON/CSV-friendly scalar: None, bool, int, float or str.

    NaN becomes None, numpy scalars become Python ones, dates become ISO strings and
    containers become sorted JSON text.
    """
    if value is None:
        return None
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset, Mapping)):
        data = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return str(value)


def harmonise(values: Sequence[object]) -> list[object]:
    """Give one column a single type (None allowed anywhere).

    ints mixed with floats become floats; any other mix of types becomes strings
    (booleans as ``true``/``false``). HF ``datasets`` infers one type per column and
    fails on mixed ones.

    Examples
    --------
    >>> harmonise([1, None, 2.5]), harmonise([1, "a", True])
    ([1.0, None, 2.5], ['1', 'a', 'true'])
    """
    values = [to_scalar(v) for v in values]
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) <= 1:
        return values
    if kinds <= {int, float}:
        return [None if v is None else float(v) for v in values]
    return [None if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
            for v in values]


def custom_fields(records: Sequence[Mapping], extra_fields: Sequence[str] | None) -> list[str]:
    """Custom record fields to carry into metadata columns, sorted.

    ``extra_fields`` chooses them explicitly; a name no record has is an error.
    """
    present = sorted({k for r in records for k in r if is_custom(k)})
    if extra_fields is None:
        return present
    unknown = [f for f in extra_fields if f not in present]
    if unknown:
        raise ValueError(
            f"extra_fields names field(s) {unknown} that no record has as a custom field; "
            f"custom fields found: {present}"
        )
    return list(extra_fields)
