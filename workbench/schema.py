"""The workbench's shared vocabulary: every sample field it writes, and every reason code.

One place, read by every layer (it imports nothing of the workbench):

* :data:`FIELDS`: each field the workbench writes on a FiftyOne sample, with its type,
  the module that owns (writes) it, and whether it is internal bookkeeping;
* :func:`is_internal` / :func:`is_reserved`: the one definition of which fields are
  bookkeeping (never offered as a grouping field or carried as a custom column) and
  which names a manifest's custom column may not take;
* the reason codes recorded for every exclusion (``rights:*``, ``duplicate_of:<id>``,
  ``quality:<check>``, ...) with one parser, :func:`parse_reason`.

Examples
--------
>>> parse_reason("duplicate_of:66a1").kind, parse_reason("duplicate_of:66a1").detail
('duplicate', '66a1')
>>> reason_key("duplicate_of:66a1"), reason_key("rights:opted_out")
('duplicate_of', 'rights:opted_out')
>>> is_internal("sha256"), is_internal("style"), is_internal("emb_clip_vit_b_32")
(True, False, True)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldSpec:
    """One sample field the workbench writes.

    Attributes
    ----------
    name
        The field name (a prefix such as ``emb_`` when ``pattern`` is True).
    kind
        ``string``, ``int``, ``float``, ``strings`` (a list), ``dict``, ``dicts`` (a list),
        ``vector`` or ``point`` (2-D coordinates).
    owner
        The module that writes it.
    internal
        Bookkeeping: not a grouping field, not a custom export column.
    pattern
        ``name`` is a prefix (one field per model or method).
    """

    name: str
    kind: str
    owner: str
    internal: bool
    doc: str
    pattern: bool = False


#: The rights record, as the manifest names it (DESIGN.md section 3).
RIGHTS_FIELDS = ("creator", "source", "license", "attribution", "consent", "ai_generated")
#: Descriptive fields of the manifest.
DESCRIPTIVE_FIELDS = ("region", "style", "technique", "caption")
#: Fields that describe the file's bytes; they change only when the bytes do.
CONTENT_FIELDS = ("sha256", "phash", "color_signature", "width", "height", "file_size")

_LOAD = "workbench.glue.load"
FIELDS: tuple[FieldSpec, ...] = (
    *(FieldSpec(n, "string", _LOAD, False, "rights record (manifest, defaults, registry)")
      for n in RIGHTS_FIELDS),
    FieldSpec("license_status", "string", _LOAD, False,
              "valid, unknown or invalid (the licence checked against SPDX)"),
    *(FieldSpec(n, "string", _LOAD, False, "descriptive field of the manifest")
      for n in DESCRIPTIVE_FIELDS),
    FieldSpec("caption_source", "string", _LOAD, True,
              "who gave the caption: expert (a person, through wb.edit), manifest, suggested "
              "or template; an export ranks them in that order"),
    FieldSpec("rights_sources", "dict", _LOAD, True,
              "where each rights value came from: manifest, xmp, iptc, exif, png_text, c2pa, "
              "registry or default"),
    FieldSpec("rights_signals", "dicts", _LOAD, True,
              "rights and provenance found in the file itself: {field, value, source, detail}"),
    FieldSpec("rights_conflicts", "strings", _LOAD, False,
              "where the manifest and the file's own metadata disagree"),
    FieldSpec("embedded_rights", "string", _LOAD, False,
              "rights statements written in the file (dc:rights, usage terms, copyright)"),
    FieldSpec("inspect_version", "int", _LOAD, True,
              "which inspection produced the content fields (older ones are redone)"),
    FieldSpec("sha256", "string", _LOAD, True, "content hash of the file's bytes"),
    FieldSpec("phash", "string", _LOAD, True, "64-bit perceptual hash (hex)"),
    FieldSpec("color_signature", "floats", _LOAD, True,
              "the colours the image holds (a CIELAB histogram; near duplicates must agree)"),
    FieldSpec("width", "int", _LOAD, True, "image width from the header (upright)"),
    FieldSpec("height", "int", _LOAD, True, "image height from the header (upright)"),
    FieldSpec("file_size", "int", _LOAD, True, "bytes"),
    FieldSpec("file_mtime", "float", _LOAD, True, "modification time when last read"),
    FieldSpec("load_issues", "strings", _LOAD, True,
              "notes from loading: license_unknown, exif_rotated, reduced_on_load, ..."),
    FieldSpec("duplicate_of", "string", _LOAD, True,
              "filepath of the first sample with the same bytes"),
    FieldSpec("quality_scores", "dict", _LOAD, True,
              "image quality figures from the load's one small decode (content, padding, "
              "brightest, darkest, sharpness, edges)"),
    FieldSpec("quality_issues", "strings", "workbench.glue.quality", False,
              "quality checks the image failed, judged against its collection"),
    FieldSpec("emb_", "vector", "workbench.glue.embed", True,
              "embedding vector, one field per model (emb_<model>, emb_<model>_norm)",
              pattern=True),
    FieldSpec("map_", "point", "workbench.glue.maps", True,
              "2-D map coordinates, one field per method (map_umap, map_pca)", pattern=True),
    FieldSpec("cluster", "int", "workbench.glue.gaps", True, "cluster label (-1: none)"),
    FieldSpec("annotation_record", "dicts", "workbench.glue.annotation", True,
              "every decision a person made on the sample: {field, previous, value, "
              "annotator, time, tool, note}, oldest first"),
)

#: Fields FiftyOne itself keeps on every sample.
FIFTYONE_FIELDS = frozenset({"id", "_id", "filepath", "tags", "metadata", "media_type",
                             "created_at", "last_modified_at", "_media_type", "_dataset_id"})

_BY_NAME = {f.name: f for f in FIELDS if not f.pattern}
_PATTERNS = tuple(f for f in FIELDS if f.pattern)


def field_spec(name: str) -> FieldSpec | None:
    """The :class:`FieldSpec` of a workbench field (patterns included), or None."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    return next((f for f in _PATTERNS if name.startswith(f.name)), None)


def is_internal(name: str) -> bool:
    """FiftyOne's own fields and the workbench's bookkeeping (hashes, vectors, maps...)."""
    spec = field_spec(name)
    return name in FIFTYONE_FIELDS or (spec is not None and spec.internal)


def is_reserved(name: str) -> bool:
    """Names a manifest's custom column may not take: every field the workbench or FiftyOne
    writes (the manifest's own columns map onto theirs)."""
    return name in FIFTYONE_FIELDS or field_spec(name) is not None


def load_fields() -> tuple[FieldSpec, ...]:
    """The fields the loader declares on a new dataset."""
    return tuple(f for f in FIELDS if f.owner == _LOAD)


# -- reason codes ----------------------------------------------------------------------

#: Rights exclusions, in the order the rights filter checks them.
RIGHTS_REASONS = ("rights:opted_out", "rights:license", "rights:ai_generated",
                  "rights:license_unknown", "rights:consent_unknown")
DUPLICATE_PREFIX = "duplicate_of:"
QUALITY_PREFIX = "quality:"
#: Reasons without a detail part.
PLAIN_REASONS = ("creator_cap", "group_cap", "group_quota", "manual:removed")


@dataclass(frozen=True)
class Reason:
    """A parsed reason code: ``kind`` (``rights``, ``duplicate``, ``quality``, ``cap``,
    ``manual``, ``other``), the code as written, and its detail (the kept id for a
    duplicate, the check for quality, the rule for rights)."""

    kind: str
    code: str
    detail: str | None = None


def parse_reason(code: str) -> Reason:
    """Split a reason code into its kind and detail; unknown codes are kind ``other``."""
    text = str(code)
    if text.startswith(DUPLICATE_PREFIX):
        return Reason("duplicate", text, text[len(DUPLICATE_PREFIX):] or None)
    if text.startswith(QUALITY_PREFIX):
        return Reason("quality", text, text[len(QUALITY_PREFIX):] or None)
    if text.startswith("rights:"):
        return Reason("rights", text, text.split(":", 1)[1] or None)
    if text in ("creator_cap", "group_cap", "group_quota"):
        return Reason("cap", text)
    if text.startswith("manual:"):
        return Reason("manual", text, text.split(":", 1)[1] or None)
    return Reason("other", text)


def duplicate_reason(kept_id: str) -> str:
    """The reason code for an item that duplicates ``kept_id``."""
    return f"{DUPLICATE_PREFIX}{kept_id}"


def quality_reason(check: str) -> str:
    """The reason code for an item excluded by the quality check ``check``."""
    return f"{QUALITY_PREFIX}{check}"


def reason_key(code: str) -> str:
    """The code to count by: ``duplicate_of:<id>`` counts as ``duplicate_of``; the rest
    stay whole."""
    return "duplicate_of" if str(code).startswith(DUPLICATE_PREFIX) else str(code)
