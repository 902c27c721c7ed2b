"""The dataset card's annotation parts: HF ``annotations_creators`` and ``source_datasets``,
the annotation section (who gave the captions, how many annotators, their agreement, what
was reviewed and how) and the repeats table of a kohya export.

Everything here is derived from the exported items (their ``caption_source``) and the
:class:`~workbench.exporters.config.ExportContext`; annotators appear as a count, never by
name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .items import Item

#: HF ``annotations_creators`` value of each caption source.
CREATORS = {"expert": "expert-generated", "manifest": "found",
            "suggested": "machine-generated", "template": "machine-generated"}
_CREATOR_ORDER = ("expert-generated", "found", "machine-generated")
_SOURCE_TEXT = {
    "expert": "written or corrected by a person through the workbench (recorded with the "
              "annotator's id and time)",
    "manifest": "given by the source collection's manifest",
    "suggested": "accepted from the workbench's suggestions",
    "template": "made from a metadata template (trigger, group, descriptive fields and "
                "file-name words without creator names, ids, dates or numbers)",
}
_MEASURES = {"kappa": "Cohen's κ", "alpha": "Krippendorff's α"}


def caption_sources(items: Sequence[Item]) -> Counter:
    """How many exported captions came from each source."""
    return Counter(it.caption_source for it in items)


def annotations_creators(items: Sequence[Item]) -> list[str]:
    """HF ``annotations_creators`` of the exported captions (expert-generated, found,
    machine-generated), in a fixed order.

    Examples
    --------
    >>> from workbench.exporters.items import Item
    >>> its = [Item({}, "a", None, "x", "", "", caption_source=s) for s in ("template", "expert")]
    >>> annotations_creators(its)
    ['expert-generated', 'machine-generated']
    """
    found = {CREATORS.get(s, "machine-generated") for s in caption_sources(items)}
    return [c for c in _CREATOR_ORDER if c in found]


def source_datasets(items: Sequence[Item], given: Sequence[str] | None) -> list[str]:
    """HF ``source_datasets``: the given ones, else the records' ``source`` values
    (``original`` when none is known)."""
    if given:
        return [str(s) for s in given]
    found = sorted({str(it.record.get("source")).strip() for it in items
                    if it.record.get("source") and str(it.record.get("source")).strip()})
    return found or ["original"]


def yaml_fields(items: Sequence[Item], context) -> dict:
    """The annotation fields of the card's YAML front matter."""
    return {"annotations_creators": annotations_creators(items),
            "source_datasets": source_datasets(items, context.source_datasets)}


def _agreement_rows(agreement: Any) -> list[tuple]:
    rows = agreement if isinstance(agreement, (list, tuple)) else [agreement]
    out = []
    for row in rows:
        if not isinstance(row, Mapping):
            raise TypeError(f"ExportContext.agreement must be a dict or a list of dicts; got "
                            f"{type(row).__name__}")
        measure, value = next(((_MEASURES[k], row[k]) for k in _MEASURES if row.get(k) is not None),
                              (row.get("statistic") or row.get("measure") or "agreement",
                               row.get("value")))
        annotators = row.get("annotators")
        if isinstance(annotators, (list, tuple, set)):
            annotators = len(annotators)
        shown = f"{value:.3f}" if isinstance(value, float) else value
        out.append((row.get("field") or "—", measure, shown, row.get("items", "—"),
                    annotators if annotators is not None else "—"))
    return out


def annotation_section(items: Sequence[Item], context, table) -> str:
    """The card's ``## Annotations`` section (``table`` is the card's table helper)."""
    n = len(items)
    sources = caption_sources(items)
    lines = ["\n## Annotations\n\n",
             ("Where each caption came from (a person's caption always outranks the "
             "manifest's, a suggestion's and a template's; `caption_source` in "
             "`CREDITS.csv` and `metadata.jsonl` gives it per image):\n\n")]
    lines.append(table(["caption source", "images", "share", "annotations_creators", "how"], [
        (s, sources[s], f"{100 * sources[s] / n:.1f}%" if n else "—", CREATORS.get(s, "—"),
         _SOURCE_TEXT.get(s, "")) for s in ("expert", "manifest", "suggested", "template")
        if sources.get(s)]))
    count = len(set(context.annotators)) if context.annotators is not None else None
    lines.append("\nAnnotators: " + (f"{count} (pseudonymous ids in the workbench's edit "
                                     "record; no names are kept)" if count is not None else
                                     "not recorded") + ".\n")
    if context.agreement:
        lines.append("\nAgreement between annotators, over the items two or more of them "
                     "labelled:\n\n")
        lines.append(table(["field", "measure", "value", "items", "annotators"],
                           _agreement_rows(context.agreement)))
    expert = sources.get("expert", 0)
    review = context.review or (
        f"{expert} of {n} captions were written or checked by a person in the workbench; the "
        "others were not reviewed one by one." if expert else
        "No caption was reviewed by a person in the workbench; captions are as the "
        "sources above made them.")
    lines.append(f"\nReview: {review}\n")
    return "".join(lines)


def repeats_section(details: Mapping, after: Mapping[str, int], field: str, table) -> str:
    """The kohya repeats table: images, their share, repeats, images per epoch and the
    effective share of an epoch (with its target when the export balanced by repeats)."""
    reps = details["repeats"]
    images = details.get("images") or {g: after.get(g, 0) for g in reps}
    total = sum(images.values())
    effective = details.get("effective_shares") or {}
    targets = details.get("target_shares")
    head = [field, "images", "image share", "repeats", "per epoch", "effective share"]
    rows = []
    for g, r in reps.items():
        row = [g, images.get(g, 0), f"{100 * images.get(g, 0) / total:.1f}%" if total else "—",
               r, details["images_per_epoch"].get(g, 0),
               f"{100 * effective[g]:.1f}%" if g in effective else "—"]
        if targets:
            row.append(f"{100 * targets[g]:.1f}%")
        rows.append(row)
    if targets:
        head.append("target share")
        text = ("\nBalanced by repeats: every eligible image is kept, and each group's "
                "`num_repeats` is set so its share of an epoch meets its target within "
                f"{100 * details.get('share_tolerance', 0.1):.0f}%:\n\n")
    else:
        text = "\nkohya repeats per group (images seen per epoch = images x repeats):\n\n"
    return text + table(head, rows)
