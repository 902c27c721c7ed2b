"""Edits of captions, tags, labels and rights, each recorded with who, when, before and after.

Every change a person makes through the workbench goes through :func:`edit`: the notebook
editor (tool ``notebook``), the App (``app``), the CLI and manifest imports (``cli``,
``manifest``), scripts (``api``) and adjudication (``adjudication``). The annotator id is
never guessed (:func:`workbench.core.annotation.record.resolve_annotator`).

**Where the record lives.** Each sample keeps its own edits in ``annotation_record`` (a
list of entries, declared internal in ``workbench.schema``), not in a second dataset or
in ``dataset.info``: an entry then travels with its sample through clones, views,
merges and FiftyOne exports, disappears with it, is read for a whole collection in one
``values()`` call, and cannot drift out of step with the samples the way a separate
collection keyed by id could (``dataset.info`` is also one document, capped at 16 MB).

**Edits made elsewhere.** FiftyOne's Annotate tab writes fields directly and records no
one. :func:`sync_outside_edits` notices a value that differs from the last one recorded
for it and records the change as annotator ``unknown``, tool ``app``. :func:`edit` calls
it first; other steps may call it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..core.annotation.agreement import Agreement
from ..core.annotation.agreement import agreement as core_agreement
from ..core.annotation.record import (TOOLS, UNKNOWN_ANNOTATOR, AnnotationConfig, Edit, Record,
                                      check_tool, normalize_value, resolve_annotator,
                                      same_value, utc_now)
from ..schema import FIFTYONE_FIELDS, is_internal
from . import state
from .fo import fiftyone

#: The sample field holding each sample's edits (``workbench.schema``).
RECORD_FIELD = "annotation_record"
#: Where a caption's source is kept (``expert``, ``manifest``...), read by the exporters.
CAPTION_SOURCE_FIELD = "caption_source"
#: The note on an edit noticed after the fact.
OUTSIDE_NOTE = "changed outside the workbench (FiftyOne App), noticed later"


def editable_fields(collection) -> list[str]:
    """The fields :func:`edit` may set: ``tags`` and every plain text, number, bool or
    list-of-text field that is not bookkeeping."""
    fo = fiftyone()
    plain = (fo.StringField, fo.IntField, fo.FloatField, fo.BooleanField)
    out = ["tags"]
    for name, ftype in collection.get_field_schema().items():
        if name in FIFTYONE_FIELDS or is_internal(name) or name == RECORD_FIELD:
            continue
        if isinstance(ftype, plain) or (isinstance(ftype, fo.ListField)
                                        and isinstance(ftype.field, fo.StringField)):
            out.append(name)
    return sorted(set(out))


def _check_field(ds, field: str) -> None:
    if not isinstance(field, str) or not field.isidentifier():
        raise ValueError(f"field must be a field name such as 'caption'; got {field!r}")
    known = ds.has_sample_field(field) or is_internal(field) or field == RECORD_FIELD
    if known and field not in editable_fields(ds):
        raise ValueError(f"field {field!r} cannot be edited (it is bookkeeping or not a "
                         f"plain value); editable fields: {editable_fields(ds)}")


def _ensure_fields(ds, field: str, values: Iterable[object]) -> None:
    """Declare the record field, the caption's source and a new edited field (typed by its
    first value; text when every value is None)."""
    fo = fiftyone()
    if not ds.has_sample_field(field):
        first = next((v for v in values if v is not None), "")
        kind = {bool: fo.BooleanField, int: fo.IntField, float: fo.FloatField}.get(
            type(first), fo.StringField)
        ds.add_sample_field(field, kind)
    if not ds.has_sample_field(RECORD_FIELD):
        ds.add_sample_field(RECORD_FIELD, fo.ListField, subfield=fo.DictField)
    if field == "caption" and not ds.has_sample_field(CAPTION_SOURCE_FIELD):
        ds.add_sample_field(CAPTION_SOURCE_FIELD, fo.StringField)


def edit(collection, field: str, values: Mapping[str, object], *, annotator: str | None = None,
         tool: str | None = None, config: AnnotationConfig | None = None,
         note: str | None = None) -> Record:
    """Set ``field`` on the samples named in ``values``, recording every change.

    Parameters
    ----------
    collection
        A dataset or a view of it.
    field : str
        ``caption``, ``tags``, a label field (``style``...), a rights field
        (``license``, ``consent``...) or a new field (created as needed).
    values : mapping of sample id -> new value
        Text, a number, a bool or None; a list of strings for ``tags``.
    annotator : str, optional
        A pseudonymous id. Else ``config.annotator``, else ``$WORKBENCH_ANNOTATOR``;
        missing everywhere, an :class:`AnnotatorMissingError`.
    tool : str, optional
        ``notebook``, ``app``, ``cli``, ``manifest``, ``api`` or ``adjudication``
        (default ``config.tool``, ``api``).
    note : str, optional
        Kept with each edit.

    Returns
    -------
    Record
        The edits just made (one per sample, also when the value was already the one
        given: the decision is recorded, which agreement needs).

    Examples
    --------
    >>> rec = wb.edit(ds, "caption", {sample_id: "a red fox in snow"},
    ...               annotator="expert-1")   # doctest: +SKIP
    >>> wb.annotation_record(ds).history(sample_id, "caption")   # doctest: +SKIP
    """
    config = config or AnnotationConfig()
    tool = check_tool(config.tool if tool is None else tool)
    who = resolve_annotator(annotator, config)
    if not isinstance(values, Mapping) or not values:
        raise ValueError(f"values must map sample ids to new values (a non-empty dict); got "
                         f"{type(values).__name__} {values!r:.80}")
    values = {str(i): normalize_value(field, v) for i, v in values.items()}
    ds = state.dataset_of(collection)
    _check_field(ds, field)
    sync_outside_edits(ds)
    return _apply(ds, field, values, who, tool, note)


def _apply(ds, field: str, values: Mapping[str, object], who: str, tool: str,
           note: str | None, previous: Mapping[str, object] | None = None) -> Record:
    """Write ``values`` and append one entry per sample; ``previous`` overrides the value
    read as the one before (an outside edit: the last recorded value)."""
    view = ds.select(list(values), ordered=True)
    found = view.values("id")
    missing = [i for i in values if i not in set(found)]
    if missing:
        raise ValueError(f"values names {len(missing)} sample ids this dataset does not "
                         f"have: {missing[:5]}")
    current = view.values(field) if ds.has_sample_field(field) else [None] * len(found)
    _ensure_fields(ds, field, values.values())
    if previous is not None:
        current = [previous[i] for i in found]
    now = utc_now()
    edits = [Edit(i, field, _plain(prev), values[i], who, now, tool, note)
             for i, prev in zip(found, current)]
    records = view.values(RECORD_FIELD)
    view.set_values(field, [values[i] for i in found])
    view.set_values(RECORD_FIELD, [list(r or []) + [e.to_entry()]
                                   for r, e in zip(records, edits)])
    if field == "caption":
        view.set_values(CAPTION_SOURCE_FIELD,
                        ["manifest" if tool == "manifest" else "expert"] * len(found))
    if field == "license" and ds.has_sample_field("license_status"):
        from ..core.rights.licenses import check_license

        view.set_values("license_status", [check_license(values[i]).status for i in found])
    return Record(edits)


def _plain(value: object) -> object:
    """FiftyOne's list type as a plain list (entries are stored as plain values)."""
    return list(value) if isinstance(value, (list, tuple)) else value


def sync_outside_edits(collection) -> Record:
    """Record the values changed outside the workbench since their last recorded edit.

    A value that differs from the last one recorded for it was changed by someone the
    workbench did not see (FiftyOne's Annotate tab): the change is recorded as
    annotator ``unknown``, tool ``app``. Values never edited through the workbench
    have nothing to compare with and are left alone.

    Returns
    -------
    Record
        The changes noticed (empty when none).

    Examples
    --------
    >>> wb.sync_outside_edits(ds).summary()   # doctest: +SKIP
    'no edits recorded'
    """
    ds = state.dataset_of(collection)
    if not ds.has_sample_field(RECORD_FIELD):
        return Record([])
    ids, records = ds.exists(RECORD_FIELD).values(["id", RECORD_FIELD])
    last: dict[str, dict[str, object]] = {}
    for sid, rec in zip(ids, records):
        for entry in rec or []:
            last.setdefault(entry.get("field"), {})[sid] = entry.get("value")
    noticed: list[Edit] = []
    for field, by_id in last.items():
        if not field or not ds.has_sample_field(field):
            continue
        sub = ds.select(list(by_id), ordered=True)
        changed = {sid: _plain(now) for sid, now in zip(*sub.values(["id", field]))
                   if not same_value(_plain(now), by_id[sid])}
        if changed:
            noticed += _apply(ds, field, changed, UNKNOWN_ANNOTATOR, "app", OUTSIDE_NOTE,
                              previous=by_id).edits
    return Record(noticed)


def annotation_record(collection, field: str | None = None) -> Record:
    """Every recorded edit of the collection's samples (of ``field``, or all), oldest first.

    Examples
    --------
    >>> rec = wb.annotation_record(ds)   # doctest: +SKIP
    >>> rec.to_csv("record.csv"), rec.summary()   # doctest: +SKIP
    """
    if not collection.has_sample_field(RECORD_FIELD):
        return Record([])
    ids, records = collection.exists(RECORD_FIELD).values(["id", RECORD_FIELD])
    edits = [Edit.from_entry(sid, entry) for sid, rec in zip(ids, records) for entry in rec or []]
    return Record([e for e in edits if field is None or e.field == field])


def agreement(collection, field: str, annotators: Iterable[str] | None = None) -> Agreement:
    """How far the annotators agree on ``field``, over the samples two or more labelled.

    Cohen's kappa for two annotators, Krippendorff's alpha for more; the confusion
    table; and a queue of disagreements (with each sample's ``filepath``) to settle
    with :func:`adjudicate`. Each annotator's latest value per sample counts; outside
    edits (``unknown``) and adjudications do not.

    Examples
    --------
    >>> agr = wb.agreement(ds, "style")            # doctest: +SKIP
    >>> agr.summary(), agr.confusion, agr.queue    # doctest: +SKIP
    """
    record = annotation_record(collection, field)
    labelling = record.only(tools=[t for t in TOOLS if t != "adjudication"])
    known = [a for a in labelling.annotators() if a != UNKNOWN_ANNOTATOR]
    wanted = known if annotators is None else [str(a) for a in annotators]
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise ValueError(f"annotators {unknown} made no edit of {field!r}; annotators who did: "
                         f"{known}")
    labels = record.latest_by_annotator(field, wanted).reindex(columns=wanted)
    result = core_agreement(labels, field=field)
    if len(result.queue):
        paths = dict(zip(*collection.select(list(result.queue.index)).values(["id", "filepath"])))
        result.queue.insert(0, "filepath", [paths.get(i) for i in result.queue.index])
    return result


def adjudicate(collection, field: str, decisions: Mapping[str, object], *,
               annotator: str | None = None, config: AnnotationConfig | None = None,
               note: str | None = None) -> Record:
    """Settle disagreements: set the decided values, recorded with tool ``adjudication``.

    Examples
    --------
    >>> agr = wb.agreement(ds, "style")                                   # doctest: +SKIP
    >>> wb.adjudicate(ds, "style", agr.queue["majority"].dropna().to_dict(),
    ...               annotator="lead-1")                                 # doctest: +SKIP
    """
    return edit(collection, field, decisions, annotator=annotator, tool="adjudication",
                config=config, note=note)


def card_summary(collection) -> dict:
    """What a dataset card says of the annotation of ``collection`` (e.g. the exported
    view): ``annotators`` (the pseudonymous ids that edited, outside edits left out),
    ``agreement`` (one entry per field that two or more annotators labelled on the same
    samples) and ``review`` (one sentence: edits, fields, tools, adjudications)."""
    record = annotation_record(collection)
    people = [a for a in record.annotators() if a != UNKNOWN_ANNOTATOR]
    figures = []
    for field_name in sorted({e.field for e in record.edits}):
        shared = record.latest_by_annotator(field_name).dropna(thresh=2)
        if shared.shape[1] >= 2 and len(shared) >= 2:
            figures.append(agreement(collection, field_name).to_dict())
    if not record.edits:
        return {"annotators": None, "agreement": None, "review": None}
    adjudicated = len(record.only(tools=["adjudication"]).edits)
    tools = sorted({e.tool for e in record.edits})
    review = (f"{len(record.edits)} recorded edits of "
              f"{', '.join(sorted({e.field for e in record.edits}))} on "
              f"{len({e.sample_id for e in record.edits})} of these images, made with "
              f"{', '.join(tools)}" + (f"; {adjudicated} disagreements settled by adjudication"
                                      if adjudicated else "") + ".")
    return {"annotators": tuple(people), "agreement": figures or None, "review": review}
