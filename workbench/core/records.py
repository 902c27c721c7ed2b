"""Turning a manifest row plus a file inspection into one sample's rights record.

Pure logic, so the rules can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .inspect import FileInfo
from .manifest import DESCRIPTIVE_COLUMNS, RIGHTS_COLUMNS
from .optout import OptOutRegistry
from .rights import check_license, normalize_ai_generated, normalize_consent

#: Fields that describe the file's content; they change only when its bytes do.
CONTENT_FIELDS = ("sha256", "phash", "width", "height", "file_size")

#: The rights and description fields, in manifest order.
RECORD_FIELDS = RIGHTS_COLUMNS + DESCRIPTIVE_COLUMNS + ("license_status",)


def build_record(
    row: Mapping | None,
    info: FileInfo,
    *,
    registry: OptOutRegistry | None = None,
) -> tuple[dict, list[str]]:
    """The fields to store for one usable file, and its load issues.

    Parameters
    ----------
    row
        The manifest row (``None`` for a plain folder scan: every rights value unknown).
    info
        The file's inspection (decoded, or known-unchanged).
    registry
        An opt-out registry; a match sets ``consent`` to ``opted_out``.

    Returns
    -------
    (fields, issues)
        ``fields`` maps field names to values (custom manifest fields included);
        ``issues`` are short codes such as ``license_unknown`` or ``exif_rotated``.
    """
    row = dict(row or {})
    issues: list[str] = list(info.notes)
    fields: dict = {}
    for column in RIGHTS_COLUMNS + DESCRIPTIVE_COLUMNS:
        value = row.pop(column, "")
        value = value.strip() if isinstance(value, str) else value
        fields[column] = value if value not in ("", None) else None

    lic = check_license(fields["license"])
    fields["license"] = lic.canonical or (lic.value or None)
    fields["license_status"] = lic.status
    if lic.status != "valid":
        issues.append(f"license_{lic.status}")

    consent = normalize_consent(fields["consent"])
    if consent is None:
        issues.append("consent_unrecognised")
        consent = "unknown"
    fields["consent"] = consent

    ai = normalize_ai_generated(fields["ai_generated"])
    if ai is None:
        issues.append("ai_generated_unrecognised")
        ai = "unknown"
    fields["ai_generated"] = ai

    if registry is not None:
        why = registry.match(creator=fields["creator"], sha256=info.sha256, filepath=info.path)
        if why is not None:
            fields["consent"] = "opted_out"
            issues.append(f"optout_registry:{why}")

    for key in ("filepath", "_row"):
        row.pop(key, None)
    fields.update(row)  # custom columns, already typed by the manifest reader
    return fields, sorted(set(issues))


def exact_duplicates(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map each duplicate key to the first key with the same content hash.

    ``items`` are ``(key, sha256)`` in priority order: the first occurrence of a
    hash is the original, every later one its duplicate.
    """
    first: dict[str, str] = {}
    dupes: dict[str, str] = {}
    for key, sha in items:
        if sha is None:
            continue
        if sha in first:
            dupes[key] = first[sha]
        else:
            first[sha] = key
    return dupes
