"""Precedence between the manifest, the file's own metadata, the registry and the defaults.

The rules, in order of strength:

* **Opt-out wins over opt-in.** A file that says "do not train" (PLUS Data Mining
  ``DMI-PROHIBITED*``, a C2PA/CAWG training-and-mining ``notAllowed``) is opted out,
  whatever the manifest says; the registry's word is as strong. The "not cleared" values
  (``DMI-PROHIBITED-SEECONSTRAINT``, ``-SEEEMBEDDEDRIGHTSEXPR``, ``-SEELINKEDRIGHTSEXPR``)
  mean opted out unless the manifest says ``granted``; that case is kept as granted and
  recorded as a conflict.
* **AI-generated wins over "false"**: a generator's PNG chunks, an IPTC or C2PA
  trained-algorithmic-media source type make ``ai_generated`` true.
* For the creator, the manifest wins, then the file's own (XMP, IPTC, EXIF), then the
  collection's default.

Every disagreement between the manifest and the file is recorded as a conflict, and no
conflict is ever resolved toward inclusion.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The file's own creator fields, strongest first.
_CREATOR_SOURCES = ("xmp", "iptc", "exif")


def _said(signal: dict) -> str:
    return f"{signal['source']} {signal['detail']}"


def apply_signals(fields: dict, sources: dict[str, str], signals: Sequence[dict],
                  manifest_values: dict) -> list[str]:
    """Merge a file's signals into ``fields`` and ``sources``; return the conflicts.

    ``manifest_values`` holds what the manifest itself said (before defaults), so that a
    conflict is recorded only against the manifest, never against a collection default.

    Examples
    --------
    >>> fields, sources = {"consent": "granted", "ai_generated": "false", "creator": None}, {}
    >>> sig = [{"field": "consent", "value": "opted_out", "source": "iptc",
    ...         "detail": "plus:DataMining=DMI-PROHIBITED-AIMLTRAINING"}]
    >>> apply_signals(fields, sources, sig, {"consent": "granted"})
    ['consent: the manifest says granted, the file says opted_out (iptc plus:DataMining=DMI-PROHIBITED-AIMLTRAINING)']
    >>> fields["consent"], sources["consent"]
    ('opted_out', 'iptc')
    """
    conflicts: list[str] = []
    said_consent = manifest_values.get("consent")

    refusals = [s for s in signals if s["field"] == "consent" and s["value"] == "opted_out"]
    not_cleared = [s for s in signals if s["field"] == "consent" and s["value"] == "not_cleared"]
    if refusals:
        if said_consent == "granted":
            conflicts.append("consent: the manifest says granted, the file says opted_out "
                             f"({_said(refusals[0])})")
        fields["consent"], sources["consent"] = "opted_out", refusals[0]["source"]
    elif not_cleared:
        if said_consent == "granted":
            conflicts.append("consent: the manifest says granted, the file says not cleared "
                             f"({_said(not_cleared[0])}); kept as granted on the manifest's word")
        else:
            fields["consent"], sources["consent"] = "opted_out", not_cleared[0]["source"]

    made_by_ai = [s for s in signals if s["field"] == "ai_generated" and s["value"] == "true"]
    if made_by_ai:
        if manifest_values.get("ai_generated") == "false":
            conflicts.append("ai_generated: the manifest says false, the file says true "
                             f"({_said(made_by_ai[0])})")
        fields["ai_generated"], sources["ai_generated"] = "true", made_by_ai[0]["source"]

    creators = sorted((s for s in signals if s["field"] == "creator"),
                      key=lambda s: _CREATOR_SOURCES.index(s["source"])
                      if s["source"] in _CREATOR_SOURCES else len(_CREATOR_SOURCES))
    if creators:
        said = manifest_values.get("creator")
        if said is None:
            fields["creator"], sources["creator"] = creators[0]["value"], creators[0]["source"]
        elif all(c["value"].strip().casefold() != str(said).strip().casefold()
                 for c in creators):
            conflicts.append(f"creator: the manifest says {said!r}, the file says "
                             f"{creators[0]['value']!r} ({_said(creators[0])})")
    return conflicts


class SignalTally:
    """What a load's rights signals did, in counts (never naming an opted-out creator)."""

    def __init__(self) -> None:
        self.files = 0
        self.no_embedded_signal = 0
        self.checked: dict[str, int] = {}
        self.found: dict[str, int] = {}
        self.opted_out_by: dict[str, int] = {}
        self.ai_generated_by: dict[str, int] = {}
        self.conflicts = 0

    def add(self, fields: dict, checked: Sequence[str]) -> None:
        """Count one record as :func:`workbench.core.intake.records.build_record` made it."""
        self.files += 1
        signals = fields.get("rights_signals") or []
        if not [s for s in signals if s["field"] != "c2pa"]:
            self.no_embedded_signal += 1
        for source in checked:
            self.checked[source] = self.checked.get(source, 0) + 1
        for source in {s["source"] for s in signals}:
            self.found[source] = self.found.get(source, 0) + 1
        sources = fields.get("rights_sources") or {}
        if fields.get("consent") == "opted_out":
            by = sources.get("consent", "manifest")
            self.opted_out_by[by] = self.opted_out_by.get(by, 0) + 1
        if fields.get("ai_generated") == "true":
            by = sources.get("ai_generated", "manifest")
            self.ai_generated_by[by] = self.ai_generated_by.get(by, 0) + 1
        self.conflicts += bool(fields.get("rights_conflicts"))

    def to_dict(self) -> dict:
        return {"files": self.files, "checked": dict(sorted(self.checked.items())),
                "found": dict(sorted(self.found.items())),
                "no_embedded_signal": self.no_embedded_signal,
                "opted_out_by": dict(sorted(self.opted_out_by.items())),
                "ai_generated_by": dict(sorted(self.ai_generated_by.items())),
                "conflicts": self.conflicts}

    def summary(self) -> str:
        def show(d: dict) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(d.items())) or "none"

        return (f"rights signals in the files: found in {self.files - self.no_embedded_signal} "
                f"of {self.files} ({show(self.found)}), no embedded signal in "
                f"{self.no_embedded_signal}; opted out by {show(self.opted_out_by)}; "
                f"AI-generated by {show(self.ai_generated_by)}; {self.conflicts} with "
                "conflicting records")


#: Where the workbench looks for rights signals in every file it loads.
CHECKED_SIGNALS = ("xmp (dc:creator, dc:rights, xmpRights, PLUS Data Mining, IPTC "
                   "DigitalSourceType)", "iptc (IIM By-line, Copyright Notice)",
                   "exif (Artist, Copyright)", "png_text (generator chunks)",
                   "c2pa (training-and-mining, digitalSourceType, validation)",
                   "registry (the opt-out registry)")
_FILE_SOURCES = ("xmp", "iptc", "exif", "png_text", "c2pa")


def signal_accounting(records: Sequence[dict], excluded: dict[str, str]) -> dict:
    """What the rights signals did to a selection, in counts, for a dataset card.

    ``records`` are the selection's candidates (``id``, ``rights_sources``,
    ``ai_generated``, ``rights_conflicts``); ``excluded`` maps excluded ids to reasons.

    Examples
    --------
    >>> recs = [{"id": "a", "rights_sources": {"consent": "c2pa"}, "ai_generated": "false"},
    ...         {"id": "b", "rights_sources": {"ai_generated": "png_text"},
    ...          "ai_generated": "true"}]
    >>> acc = signal_accounting(recs, {"a": "rights:opted_out", "b": "rights:ai_generated"})
    >>> acc["excluded_by"], acc["ai_from_file_metadata"]
    ({'c2pa': 1, 'png_text': 1}, 1)
    """
    excluded_by: dict[str, int] = {}
    ai_from_files = conflicts = 0
    for rec in records:
        sources = rec.get("rights_sources") or {}
        reason = excluded.get(rec["id"])
        field = {"rights:opted_out": "consent", "rights:ai_generated": "ai_generated"}.get(
            reason or "")
        if field is not None:
            by = sources.get(field, "manifest")
            excluded_by[by] = excluded_by.get(by, 0) + 1
        if rec.get("ai_generated") == "true" and sources.get("ai_generated") in _FILE_SOURCES:
            ai_from_files += 1
        conflicts += bool(rec.get("rights_conflicts"))
    return {"checked": list(CHECKED_SIGNALS), "candidates": len(records),
            "excluded_by": dict(sorted(excluded_by.items())),
            "ai_from_file_metadata": ai_from_files, "conflicts": conflicts}
