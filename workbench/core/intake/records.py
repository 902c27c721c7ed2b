"""Turning a manifest row plus a file inspection into one sample's rights record.

Pure logic, so the rules can be tested without a database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

from .inspect import FileInfo
from .manifest import DESCRIPTIVE_COLUMNS, RIGHTS_COLUMNS
from ..rights.optout import OptOutRegistry
from ..rights.precedence import apply_signals
from ..rights.licenses import CONSENT_VALUES, check_license, normalize_ai_generated, normalize_consent


@dataclass(frozen=True)
class RightsDefaults:
    """Rights values for a whole collection, filling what the manifest leaves empty.

    A manifest value always wins; a default only fills a blank. Values are checked
    here, so a typo fails before any file is read.

    Examples
    --------
    >>> RightsDefaults(license="cc-by-4.0", source="Debian").license
    'CC-BY-4.0'
    """

    license: str | None = None
    source: str | None = None
    creator: str | None = None
    attribution: str | None = None
    consent: str | None = None
    ai_generated: str | bool | None = None

    def __post_init__(self) -> None:
        if self.license is not None:
            lic = check_license(self.license)
            if lic.status != "valid":
                raise ValueError(
                    f"license: expected an SPDX licence id or expression such as "
                    f"'CC-BY-4.0', 'CC0-1.0' or 'GPL-2.0-or-later'; got {self.license!r} "
                    f"({lic.status})")
            object.__setattr__(self, "license", lic.canonical)
        if self.consent is not None:
            value = normalize_consent(self.consent)
            if value is None:
                raise ValueError(f"consent: expected one of {list(CONSENT_VALUES)}; "
                                 f"got {self.consent!r}")
            object.__setattr__(self, "consent", value)
        if self.ai_generated is not None:
            value = normalize_ai_generated(self.ai_generated)
            if value is None:
                raise ValueError("ai_generated: expected true, false or unknown; "
                                 f"got {self.ai_generated!r}")
            object.__setattr__(self, "ai_generated", value)
        for name in ("source", "creator", "attribution"):
            value = getattr(self, name)
            if value is not None and not str(value).strip():
                raise ValueError(f"{name}: expected a non-empty text or None; got {value!r}")

    def values(self) -> dict[str, str]:
        """The defaults that are set, by field name (the rights fields only, also in a
        subclass that adds settings of its own)."""
        return {f.name: getattr(self, f.name) for f in fields(RightsDefaults)
                if getattr(self, f.name) is not None}


def build_record(
    row: Mapping | None,
    info: FileInfo,
    *,
    registry: OptOutRegistry | None = None,
    defaults: RightsDefaults | None = None,
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
    defaults
        Collection-wide rights values for what the row leaves empty.

    Returns
    -------
    (fields, issues)
        ``fields`` maps field names to values (custom manifest fields included), plus
        ``rights_sources``: where each rights value came from (``manifest``,
        ``default`` or ``registry``); ``issues`` are short codes such as
        ``license_unknown`` or ``exif_rotated``.
    """
    row = dict(row or {})
    issues: list[str] = list(info.notes)
    fields: dict = {}
    sources: dict[str, str] = {}
    said: dict = {}  # what the manifest itself says, before any default
    fallback = defaults.values() if defaults is not None else {}
    for column in RIGHTS_COLUMNS + DESCRIPTIVE_COLUMNS:
        value = row.pop(column, "")
        value = value.strip() if isinstance(value, str) else value
        if value in ("", None) or (isinstance(value, float) and math.isnan(value)):
            value = None
        said[column] = value
        if value is None and column in fallback:
            value = fallback[column]
            sources[column] = "default"
        elif value is not None and column in RIGHTS_COLUMNS:
            sources[column] = "manifest"
        fields[column] = value

    fields["caption_source"] = "manifest" if fields["caption"] is not None else None

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

    said["consent"] = normalize_consent(said["consent"]) if said["consent"] else None
    said["ai_generated"] = normalize_ai_generated(said["ai_generated"]) \
        if said["ai_generated"] else None
    conflicts = apply_signals(fields, sources, info.signals, said)
    if conflicts:
        issues.append("rights_conflict")
    statements = [s["value"] for s in info.signals if s["field"] == "rights"]
    fields["embedded_rights"] = "; ".join(dict.fromkeys(statements)) or None

    if registry is not None:
        why = registry.match(creator=fields["creator"], sha256=info.sha256, filepath=info.path,
                             source=fields["source"], phash=info.phash)
        if why is not None:
            fields["consent"] = "opted_out"
            sources["consent"] = "registry"
            issues.append(f"optout_registry:{why}")
    fields["rights_sources"] = sources
    fields["rights_signals"] = list(info.signals)
    fields["rights_conflicts"] = conflicts

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
