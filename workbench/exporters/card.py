"""The dataset card: ``README.md`` with HF-style YAML front matter, then a datasheet.

Sections: composition (per-group counts before/after selection, with PNG charts in
``card/``, and kohya's repeats with each group's effective share), annotations (who gave
the captions, annotators, agreement, review; :mod:`workbench.exporters.card_annotation`),
provenance (sources, licences, AI-generated share), consent (counts of
opted-out items excluded, never identities), the curation log (filters and their
parameters, seed, embedding model, export settings, package versions), intended
use and limitations, and the file layout. Everything in it comes from the records
and the :class:`~workbench.exporters.config.ExportContext`, so a re-export with the
same inputs writes the same bytes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from .caption_sources import form_for
from .card_annotation import annotation_section, repeats_section, yaml_fields
from .config import ExportConfig, ExportContext, as_counts
from .items import Item

CARD_NAME = "README.md"
ASSET_DIR = "card"
#: Packages listed in the card when the context gives no versions.
DEFAULT_PACKAGES = ("palette-workbench", "pillow", "numpy", "pandas", "open_clip_torch",
                    "datasets", "fiftyone", "matplotlib", "tomli_w")

_USAGE = {
    "imagefolder": (
        "```python\nfrom datasets import load_dataset\n"
        "ds = load_dataset(\"imagefolder\", data_dir=\"<this folder>\")  # columns: image, text, ...\n```\n\n"
        "Or train a LoRA with diffusers: `train_text_to_image_lora.py --train_data_dir <this folder> "
        "--caption_column text`."
    ),
    "kohya": (
        "From this folder: `accelerate launch train_network.py --dataset_config dataset_config.toml ...` "
        "(the `image_dir` paths in the TOML are relative to this folder)."
    ),
    "csv": (
        "`manifest.csv` uses the workbench manifest columns; `workbench load <this folder> "
        "--manifest manifest.csv` loads it back. Cells that begin with `= + - @` are prefixed "
        "with `'` against spreadsheet formula injection."
    ),
}
_LAYOUT = {
    "imagefolder": "`train/` images and `train/metadata.jsonl` (`file_name`, `text` = caption, "
                   "rights and descriptive columns)",
    "kohya": "`img/<repeats>_<class tokens>/` images with `.txt` captions, `dataset_config.toml`",
    "csv": "`images/` and `manifest.csv`",
}
_DEFAULT_USE = (
    "Fine-tuning text-to-image models (LoRA, DreamBooth-style) on a small, balanced, "
    "rights-checked set of images, and teaching or research about dataset curation. Keep "
    "each image's licence terms and credit its creator as listed in `CREDITS.csv`."
)
_DEFAULT_LIMITS = (
    "- A small curated subset: it reflects the collection it was drawn from and that "
    "collection's gaps.\n"
    "- Balance is over the recorded metadata field only; other attributes may stay skewed.\n"
    "- Captions are built from metadata templates unless a sample had its own caption, so "
    "they can be generic.\n"
    "- Licence, consent and AI-generated values are as recorded in the source manifest; they "
    "were checked for form (SPDX ids, known values), not verified legally.\n"
)


def md(value: object) -> str:
    """Text made safe for one Markdown table cell or line."""
    text = re.sub(r"\s+", " ", "" if value is None else str(value)).strip()
    for ch, rep in (("\\", "\\\\"), ("|", "\\|"), ("`", "\\`"), ("[", "\\["), ("]", "\\]"),
                    ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(ch, rep)
    return text or "—"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _count_table(counts: Counter, total: int, label: str) -> str:
    rows = [(k, v, f"{100 * v / total:.1f}%" if total else "—")
            for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return _table([label, "images", "share"], rows)


def size_category(n: int) -> str:
    """HF ``size_categories`` value for ``n`` samples."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "1M<n<10M"


def hf_license(licenses: Sequence[str | None]) -> dict:
    """HF ``license`` metadata: the single licence (HF ids are lower-case SPDX ids), or
    ``other`` with the mix in ``license_details``."""
    counts = Counter("unknown" if not v else str(v) for v in licenses)
    if len(counts) == 1:
        (value,) = counts
        if value == "unknown":
            return {"license": "unknown"}
        if re.fullmatch(r"[A-Za-z0-9.\-+]+", value) and not value.startswith("LicenseRef-"):
            return {"license": value.lower()}
        return {"license": "other", "license_name": re.sub(r"[^a-z0-9.]+", "-", value.lower()),
                "license_link": "CREDITS.csv"}
    mix = ", ".join(f"{k} ({v})" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return {"license": "other", "license_name": "multiple-licenses", "license_link": "CREDITS.csv",
            "license_details": f"Per-image licences: {mix}. See CREDITS.csv."}


def _versions(context: ExportContext) -> dict[str, str]:
    if context.package_versions is not None:
        return {str(k): str(v) for k, v in context.package_versions.items()}
    from importlib import metadata

    found = {}
    for name in DEFAULT_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def front_matter(items: Sequence[Item], context: ExportContext, fmt: str) -> str:
    import yaml

    data = {"pretty_name": context.dataset_name or "Curated image subset"}
    data.update(hf_license([it.record.get("license") for it in items]))
    data["task_categories"] = ["text-to-image"]
    data["size_categories"] = [size_category(len(items))]
    data.update(yaml_fields(items, context))
    data["tags"] = ["palette-workbench", "curated", "fine-tuning", fmt]
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n"


def _quality_section(quality: Mapping, excluded: Mapping[str, int]) -> str:
    """The collection's quality flags, how each threshold was set, and what was excluded."""
    rows = [(check, count, excluded.get(f"quality:{check}", 0),
             quality.get("basis", {}).get(check, ""))
            for check, count in quality.get("flagged", {}).items()]
    return ("\n## Quality\n\n"
            f"Every image of the collection ({quality.get('checked', 0)}) was checked against "
            "the collection's own distribution (an absolute floor only for blank images).\n\n"
            + _table(["check", "flagged in the collection", "excluded from this selection",
                      "threshold"], rows))


def _signals_section(acc: Mapping) -> str:
    """The rights signals read from the files, and what they excluded (counts only)."""
    n = acc.get("candidates") or 0
    excluded = acc.get("excluded_by") or {}
    ai = acc.get("ai_from_file_metadata", 0)
    lines = ["\n### Rights signals in the files\n\n",
             "Checked for every image: " + "; ".join(md(c) for c in acc.get("checked", []))
             + ".\n\n"]
    if excluded:
        lines.append("Excluded by the rights filter, by where the decisive signal came from:\n\n")
        lines.append(_table(["signal", "images excluded"], sorted(excluded.items())))
    else:
        lines.append("No image was excluded by a rights signal.\n")
    share = f" ({100 * ai / n:.1f}% of the {n} candidates)" if n else ""
    lines.append(f"\nDetected as AI-generated from file metadata: {ai}{share}.\n")
    lines.append(f"\nManifest and file metadata disagreed for {acc.get('conflicts', 0)} "
                 "candidate(s); no conflict was resolved toward inclusion.\n")
    return "".join(lines)


ATLAS_NAME = "atlas.png"


def _write_atlas(assets: Path, items: Sequence[Item], context: ExportContext) -> bool:
    """The exported images' atlas (``card/atlas.png``) when the context holds their map."""
    if context.atlas is None or not items:
        return False
    from .atlas import atlas_of, preview

    drawn = atlas_of([it.id for it in items], [str(it.record.get("filepath")) for it in items],
                     context.atlas)
    if drawn is None:
        return False
    # 1,600 px wide, 256 colours: a card's picture, not a copy of the images.
    (assets / ATLAS_NAME).write_bytes(preview(drawn[1], 1600))
    return True


def write_card(stage: Path, items: Sequence[Item], *, fmt: str, config: ExportConfig,
               context: ExportContext | None, dropped: Sequence[Mapping],
               failed: Sequence[Mapping], below: Sequence[Mapping], caption_summary: str,
               details: Mapping) -> list[str]:
    """Write ``README.md`` and its charts; return the files written (relative)."""
    from .charts import bar_chart

    context = context or ExportContext()
    n = len(items)
    written = [CARD_NAME]
    assets = stage / ASSET_DIR
    assets.mkdir(exist_ok=True)
    after = as_counts(context.counts_after, "counts_after") or dict(
        Counter("(none)" if it.group is None else it.group for it in items))
    before = as_counts(context.counts_before, "counts_before")
    series = {"before selection": before, "exported": after} if before else {"exported": after}
    bar_chart(series, assets / "composition.png",
              title=f"Images per {context.group_field or 'group'}")
    written.append(f"{ASSET_DIR}/composition.png")
    licences = Counter(it.record.get("license") or "unknown" for it in items)
    bar_chart({"images": dict(licences)}, assets / "licenses.png", title="Licences")
    written.append(f"{ASSET_DIR}/licenses.png")

    out: list[str] = [front_matter(items, context, fmt)]
    title = context.dataset_name or "Curated image subset"
    out.append(f"\n# {md(title)}\n\n")
    out.append((md(context.description) if context.description else
                f"A curated set of {n} images for fine-tuning text-to-image models, exported "
                f"by palette-workbench in the `{fmt}` format.") + "\n")
    if context.created is not None:
        created = context.created.isoformat() if hasattr(context.created, "isoformat") else context.created
        out.append(f"\nCreated: {md(created)}\n")

    out.append("\n## Composition\n\n")
    field = md(context.group_field or "group")
    out.append(f"Images per {field}, before and after selection.\n\n")
    groups = sorted(set(after) | set(before or {}), key=lambda g: (-after.get(g, 0), g))
    out.append(_table([field, "before selection", "exported"],
                      [(g, (before or {}).get(g, "—") if before else "—", after.get(g, 0))
                       for g in groups]))
    out.append(f"\n![Images per {field}]({ASSET_DIR}/composition.png)\n")
    if _write_atlas(assets, items, context):
        written.append(f"{ASSET_DIR}/{ATLAS_NAME}")
        framed = " (framed by cluster)" if context.atlas.groups else ""
        out.append(f"\nThe exported images on the collection's map, each in a cell of its "
                   f"own{framed}:\n\n![Atlas of the exported images]({ASSET_DIR}/{ATLAS_NAME})\n")
    if details.get("repeats"):
        out.append(repeats_section(details, after, field, _table))
    out.append(annotation_section(items, context, _table))

    out.append("\n## Provenance\n\n")
    sources = Counter(it.record.get("source") or "unknown" for it in items)
    out.append(_count_table(sources, n, "source"))
    out.append("\nLicences (SPDX ids; the per-image licence is in `CREDITS.csv`):\n\n")
    out.append(_count_table(licences, n, "licence"))
    out.append(f"\n![Licences]({ASSET_DIR}/licenses.png)\n")
    status = Counter(it.record.get("license_status") or "unknown" for it in items)
    if set(status) - {"valid"}:
        out.append("\nLicence checks: " + ", ".join(f"{k}: {v}" for k, v in sorted(status.items()))
                   + "\n")
    if n:
        ai = Counter(str(it.record.get("ai_generated") or "unknown").lower() for it in items)
        shares = ", ".join(f"{k} {v} ({100 * v / n:.1f}%)" for k, v in sorted(ai.items()))
        out.append(f"\nAI-generated: {shares}\n")
    creators = Counter(it.record.get("creator") for it in items if it.record.get("creator"))
    if creators:
        top = max(creators.values())
        out.append(f"\nCreators: {len(creators)} credited; the largest share is {top} images "
                   f"({100 * top / n:.1f}%).\n")

    out.append("\n## Consent\n\n")
    opt = context.optout_excluded
    out.append("- Opted-out samples excluded during selection: "
               f"{opt if opt is not None else 'not recorded'}\n")
    late = Counter(d["reason"] for d in dropped if "opt" in d["reason"])
    out.append(f"- Removed at export because consent was withdrawn after selection: "
               f"{sum(late.values())}\n")
    consent = Counter(it.record.get("consent") or "unknown" for it in items)
    out.append("- Consent of exported images: " + ", ".join(
        f"{k} {v}" for k, v in sorted(consent.items())) + "\n")
    if context.rights_signals:
        out.append(_signals_section(context.rights_signals))
    out.append("\nOnly counts are recorded here; no opted-out identity or file appears in this "
               "export.\n")

    if context.quality:
        out.append(_quality_section(context.quality, context.excluded or {}))

    out.append("\n## Curation log\n\n")
    rows = [("group field", context.group_field), ("seed", context.seed),
            ("embedding model", context.embedding_model)]
    out.append(_table(["step", "value"], [(k, "—" if v is None else v) for k, v in rows]))
    if context.selection_params:
        out.append("\nSelection parameters:\n\n```json\n" + json.dumps(
            dict(context.selection_params), sort_keys=True, indent=2, default=str) + "\n```\n")
    if context.excluded:
        out.append("\nExcluded during selection, by reason:\n\n")
        out.append(_table(["reason", "count"], sorted(
            ((k, int(v)) for k, v in context.excluded.items()), key=lambda kv: (-kv[1], kv[0]))))
    img, cap = config.images, config.captions
    out.append("\nExport settings:\n\n")
    out.append(_table(["setting", "value"], [
        ("format", fmt), ("image mode", img.mode), ("resolution", img.resolution),
        ("encoding", img.encoding), ("caption template", cap.template),
        ("trigger", cap.trigger or "—"), ("sample captions preferred", cap.prefer_sample_caption),
        ("caption form", form_for(fmt, cap.form)), ("balance", config.balance),
    ]))
    issues = Counter(d["reason"] for d in list(dropped) + list(failed))
    out.append(f"\nAt export: {len(dropped)} dropped, {len(failed)} failed to read, "
               f"{len(below)} below {img.resolution} px (kept at their size, never upscaled); "
               f"{md(caption_summary)}.\n")
    if issues:
        out.append("\n" + _table(["reason", "count"], sorted(issues.items())))
    versions = _versions(context)
    if versions:
        out.append("\nPackage versions:\n\n" + _table(["package", "version"], sorted(versions.items())))

    out.append("\n## Intended use\n\n" + (context.intended_use or _DEFAULT_USE) + "\n")
    out.append("\n## Limitations\n\n" + (context.limitations or _DEFAULT_LIMITS))
    out.append("\n## Files\n\n")
    out.append(f"- {_LAYOUT[fmt]}\n- `CREDITS.csv`: file, creator, source, licence, attribution "
               "for every image\n- `card/`: the charts (and the atlas) above\n- "
               "`MANIFEST.sha256`: checksums of "
               "every file; verify with `sha256sum -c MANIFEST.sha256`\n\n" + _USAGE[fmt] + "\n")
    (stage / CARD_NAME).write_text("".join(out), encoding="utf-8", newline="\n")
    return written
