"""The record of decisions: one :class:`Edit` per value a person (or a tool for them) set.

An edit says which sample and field, the value before and after, who decided (a
pseudonymous annotator id, never guessed), when (UTC, ISO 8601) and with which tool.
:class:`Record` holds many and answers the questions asked of them: the history of one
value, each annotator's latest value per item (what agreement compares), CSV and JSONL.

The annotator id comes from the call's argument, else an :class:`AnnotationConfig`, else
the ``WORKBENCH_ANNOTATOR`` environment variable (:func:`resolve_annotator`); without
one, :class:`AnnotatorMissingError` says how to give it. ``unknown`` is kept for edits
made outside the workbench (FiftyOne's Annotate tab), noticed later.

Examples
--------
>>> e = Edit("s1", "caption", None, "a red fox", "expert-1", "2026-01-02T03:04:05.000+00:00",
...          "api")
>>> Record([e]).latest_by_annotator("caption")
annotator  expert-1
sample_id
s1         a red fox
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ...errors import WorkbenchUserError
from ..intake.cells import escape_cell
from ..results import to_jsonable
from ..rights.licenses import (AI_GENERATED_VALUES, CONSENT_VALUES, normalize_ai_generated,
                               normalize_consent)

#: How an edit was made. ``adjudication`` settles a disagreement between annotators.
TOOLS = ("notebook", "app", "cli", "manifest", "api", "adjudication")
#: The annotator of an edit noticed after the fact (made in FiftyOne's own Annotate tab).
UNKNOWN_ANNOTATOR = "unknown"
#: Where the annotator id is read when neither the call nor a config gives one.
ANNOTATOR_ENV = "WORKBENCH_ANNOTATOR"
#: Columns of :attr:`Record.table`, and of the CSV and JSONL exports.
COLUMNS = ("sample_id", "field", "previous", "value", "annotator", "time", "tool", "note")
#: Keys of one entry as kept on a sample (the sample is the entry's owner).
ENTRY_KEYS = COLUMNS[1:]
#: A pseudonymous id: letters, digits and ``. _ @ + : -``, 1 to 64 characters.
_ID = re.compile(r"^[\w.@+:\-]{1,64}$")

#: The fields that take a rights vocabulary: their normalizer and their allowed values.
_VOCABULARIES = {"consent": (normalize_consent, CONSENT_VALUES),
                 "ai_generated": (normalize_ai_generated, AI_GENERATED_VALUES)}


class AnnotatorMissingError(WorkbenchUserError, ValueError):
    """An edit without an annotator id (none given, configured or in the environment)."""


@dataclass(frozen=True)
class AnnotationConfig:
    """Who edits, and with which tool, when a call does not say.

    Attributes
    ----------
    annotator
        A pseudonymous id (``expert-1``, an e-mail address...); None: the call's
        argument or ``$WORKBENCH_ANNOTATOR`` must give it.
    tool
        One of :data:`TOOLS`.
    """

    annotator: str | None = None
    tool: str = "api"


def check_annotator(value: object, *, name: str = "annotator",
                    allow_unknown: bool = False) -> str:
    """``value`` as an annotator id, or a ValueError naming ``name`` and what an id may hold.

    Examples
    --------
    >>> check_annotator(" expert-1 ")
    'expert-1'
    """
    text = str(value).strip() if isinstance(value, str) else None
    if text is None or not _ID.match(text):
        raise ValueError(f"{name} must be a pseudonymous id of 1 to 64 letters, digits or "
                         f"'. _ @ + : -' (such as 'expert-1'); got {value!r}")
    if text == UNKNOWN_ANNOTATOR and not allow_unknown:
        raise ValueError(f"{name} {UNKNOWN_ANNOTATOR!r} is kept for edits made outside the "
                         "workbench; give your own id (such as 'expert-1')")
    return text


def resolve_annotator(annotator: str | None = None, config: AnnotationConfig | None = None,
                      environ: Mapping[str, str] | None = None) -> str:
    """The annotator id: the argument, else ``config.annotator``, else ``$WORKBENCH_ANNOTATOR``.

    Raises
    ------
    AnnotatorMissingError
        When none of the three gives one: the id is never guessed.

    Examples
    --------
    >>> resolve_annotator(None, AnnotationConfig(annotator="expert-2"), environ={})
    'expert-2'
    >>> resolve_annotator(None, None, environ={"WORKBENCH_ANNOTATOR": "expert-3"})
    'expert-3'
    """
    if annotator is not None:
        return check_annotator(annotator)
    if config is not None and config.annotator is not None:
        return check_annotator(config.annotator, name="config.annotator")
    env = (os.environ if environ is None else environ).get(ANNOTATOR_ENV, "").strip()
    if env:
        return check_annotator(env, name=f"${ANNOTATOR_ENV}")
    raise AnnotatorMissingError(
        "annotator is missing: every edit is recorded under an annotator id, and none was "
        f"given. Pass annotator='expert-1' (any pseudonymous id), set it in "
        f"AnnotationConfig(annotator=...), or export {ANNOTATOR_ENV}=expert-1")


def check_tool(tool: object) -> str:
    """``tool`` if it is one of :data:`TOOLS`, else a ValueError listing them."""
    if tool not in TOOLS:
        raise ValueError(f"tool must be one of {list(TOOLS)}; got {tool!r}")
    return str(tool)


def utc_now() -> str:
    """The current time, UTC, ISO 8601 with milliseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def normalize_value(field_name: str, value: object) -> object:
    """The value an edit of ``field_name`` stores, or a ValueError saying what was expected.

    ``tags`` takes a list of strings (duplicates dropped, order kept); ``consent`` and
    ``ai_generated`` take their rights vocabularies (aliases such as ``yes`` map onto
    them); any other field takes text, a number, a bool or None (text is stripped; an
    empty text is None).

    Examples
    --------
    >>> normalize_value("tags", ["sky", "blue", "sky"])
    ['sky', 'blue']
    >>> normalize_value("consent", "yes"), normalize_value("caption", "  a fox ")
    ('granted', 'a fox')
    """
    if field_name == "tags":
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(
                isinstance(t, str) for t in value):
            raise ValueError(f"values for 'tags' must be lists of strings (such as "
                             f"['sky', 'winter']); got {value!r}")
        return list(dict.fromkeys(t.strip() for t in value if t.strip()))
    if isinstance(value, str):
        value = value.strip() or None
    if value is None:
        return None
    if field_name in _VOCABULARIES:
        normalize, allowed = _VOCABULARIES[field_name]
        norm = normalize(value)
        if norm is None:
            raise ValueError(f"values for {field_name!r} must be one of {list(allowed)}; "
                             f"got {value!r}")
        return norm
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (str, bool, int, float)):
        return value
    raise ValueError(f"values for {field_name!r} must be text, a number, a bool or None; got "
                     f"{type(value).__name__} {value!r}")


def same_value(a: object, b: object) -> bool:
    """Whether two stored values are the same decision (None and "" are the same; lists
    compare in order).

    Examples
    --------
    >>> same_value(None, ""), same_value(["a", "b"], ("a", "b")), same_value(1, True)
    (True, True, False)
    """
    def plain(v):
        if isinstance(v, (list, tuple)):
            return ("list", tuple(v))
        return ("none", None) if v is None or v == "" else (type(v).__name__, v)
    return plain(a) == plain(b)


@dataclass(frozen=True)
class Edit:
    """One decision: ``field`` of ``sample_id`` went from ``previous`` to ``value``."""

    sample_id: str
    field: str
    previous: object
    value: object
    annotator: str
    time: str
    tool: str
    note: str | None = None

    def to_entry(self) -> dict:
        """The entry kept on the sample (everything but the sample's id)."""
        return {k: to_jsonable(getattr(self, k)) for k in ENTRY_KEYS}

    @classmethod
    def from_entry(cls, sample_id: str, entry: Mapping) -> Edit:
        """An edit from an entry kept on sample ``sample_id``."""
        return cls(sample_id=str(sample_id), **{k: entry.get(k) for k in ENTRY_KEYS})


@dataclass
class Record:
    """Edits, oldest first; what :func:`workbench.annotation_record` returns.

    Examples
    --------
    >>> rec = wb.annotation_record(ds)          # doctest: +SKIP
    >>> rec.history(sample_id, "caption")       # doctest: +SKIP
    >>> rec.to_csv("record.csv")                # doctest: +SKIP
    """

    edits: list[Edit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.edits = sorted(self.edits, key=lambda e: (e.time or "", e.sample_id))

    def __len__(self) -> int:
        return len(self.edits)

    @property
    def table(self) -> pd.DataFrame:
        """One row per edit, with the columns of :data:`COLUMNS`."""
        return pd.DataFrame([asdict(e) for e in self.edits], columns=list(COLUMNS))

    def only(self, field_name: str | None = None, *, tools: Iterable[str] | None = None,
             annotators: Iterable[str] | None = None) -> Record:
        """The edits of one field, tools and annotators (None: all)."""
        tools = None if tools is None else set(tools)
        annotators = None if annotators is None else set(annotators)
        return Record([e for e in self.edits
                       if (field_name is None or e.field == field_name)
                       and (tools is None or e.tool in tools)
                       and (annotators is None or e.annotator in annotators)])

    def history(self, sample_id: str, field_name: str) -> list[Edit]:
        """Every edit of one value, oldest first."""
        return [e for e in self.edits if e.sample_id == sample_id and e.field == field_name]

    def annotators(self) -> list[str]:
        """The annotator ids that made edits, in order of their first edit."""
        return list(dict.fromkeys(e.annotator for e in self.edits))

    def latest_by_annotator(self, field_name: str, annotators: Iterable[str] | None = None
                            ) -> pd.DataFrame:
        """Each annotator's latest value of ``field_name`` per sample (what agreement
        compares): a sample-by-annotator frame, NaN where one did not label. Outside
        edits (annotator ``unknown``) and adjudications are left out."""
        rec = self.only(field_name, annotators=annotators)
        rows = {(e.sample_id, e.annotator): _label(e.value) for e in rec.edits
                if e.annotator != UNKNOWN_ANNOTATOR and e.tool != "adjudication"}
        if not rows:
            return pd.DataFrame(columns=pd.Index(list(annotators or []), name="annotator"),
                                index=pd.Index([], name="sample_id"))
        series = pd.Series(rows)
        frame = series.unstack()
        frame.index.name, frame.columns.name = "sample_id", "annotator"
        return frame

    def to_dict(self) -> dict:
        """JSON-ready: ``edits`` (a list of rows), ``annotators``, ``fields``, ``tools``."""
        return {"edits": [to_jsonable(asdict(e)) for e in self.edits],
                "annotators": self.annotators(),
                "fields": sorted({e.field for e in self.edits}),
                "tools": sorted({e.tool for e in self.edits})}

    def summary(self) -> str:
        """One line: how many edits, by how many annotators, of which fields."""
        if not self.edits:
            return "no edits recorded"
        fields = sorted({e.field for e in self.edits})
        return (f"{len(self.edits)} edits of {len({e.sample_id for e in self.edits})} samples by "
                f"{len(self.annotators())} annotators ({', '.join(self.annotators())}); fields: "
                f"{', '.join(fields)}")

    def to_jsonl(self, path: str | os.PathLike) -> Path:
        """Write one JSON object per edit; returns the path."""
        path = Path(path)
        with path.open("w", encoding="utf-8") as f:
            for e in self.edits:
                f.write(json.dumps(to_jsonable(asdict(e)), ensure_ascii=False) + "\n")
        return path

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write one row per edit (lists as JSON text, cells spreadsheet-safe); returns the
        path."""
        path = Path(path)
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            for e in self.edits:
                writer.writerow([escape_cell(_cell(getattr(e, c))) for c in COLUMNS])
        return path

    def save(self, path: str | os.PathLike) -> Path:
        """:meth:`to_csv` or :meth:`to_jsonl`, by the file's extension."""
        suffix = Path(path).suffix.lower()
        if suffix == ".csv":
            return self.to_csv(path)
        if suffix in (".jsonl", ".json"):
            return self.to_jsonl(path)
        raise ValueError(f"path must end in .csv or .jsonl; got {str(path)!r}")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    return value


def _label(value: object) -> object:
    """A value as one hashable label (a tag list becomes its sorted, comma-joined text)."""
    if isinstance(value, (list, tuple)):
        return ", ".join(sorted(map(str, value)))
    return value
