"""Exporting a curated selection for fine-tuning: kohya, HF imagefolder, CSV.

Pure Python on plain records (no FiftyOne here; the glue passes dicts). Names are
resolved on first use, so importing a submodule such as
``workbench.core.intake.cells`` stays cheap.

Examples
--------
>>> from workbench.exporters import export_records, ExportConfig, ImageConfig, CaptionConfig
>>> cfg = ExportConfig(images=ImageConfig(mode="resize", resolution=512),
...                    captions=CaptionConfig(trigger="plwb"))
>>> report = export_records(records, format="kohya", out="exports/ink-v1", config=cfg)
... # doctest: +SKIP
"""

from __future__ import annotations

from workbench._lazy import lazy_attributes

_API = {
    "export_records": ("workbench.exporters.writer", "export_records"),
    "ExportConfig": ("workbench.exporters.config", "ExportConfig"),
    "ExportContext": ("workbench.exporters.config", "ExportContext"),
    "FORMATS": ("workbench.exporters.config", "FORMATS"),
    "ExportReport": ("workbench.exporters.report", "ExportReport"),
    "CaptionConfig": ("workbench.exporters.captions", "CaptionConfig"),
    "CaptionIssues": ("workbench.exporters.captions", "CaptionIssues"),
    "render_caption": ("workbench.exporters.captions", "render_caption"),
    "ImageConfig": ("workbench.exporters.images", "ImageConfig"),
    "KohyaConfig": ("workbench.exporters.kohya", "KohyaConfig"),
    "balance_repeats": ("workbench.exporters.kohya", "balance_repeats"),
    "escape_cell": ("workbench.core.intake.cells", "escape_cell"),
    "unescape_cell": ("workbench.core.intake.cells", "unescape_cell"),
    "read_export_csv": ("workbench.exporters.csvfile", "read_export_csv"),
    "safe_component": ("workbench.exporters.names", "safe_component"),
    "verify_manifest": ("workbench.exporters.integrity", "verify_manifest"),
    "ExportTargetError": ("workbench.exporters.integrity", "ExportTargetError"),
}

__all__ = [
    "FORMATS",
    "CaptionConfig",
    "CaptionIssues",
    "ExportConfig",
    "ExportContext",
    "ExportReport",
    "ExportTargetError",
    "ImageConfig",
    "KohyaConfig",
    "balance_repeats",
    "escape_cell",
    "export_records",
    "read_export_csv",
    "render_caption",
    "safe_component",
    "unescape_cell",
    "verify_manifest",
]


__getattr__, __dir__ = lazy_attributes(__name__, _API, __all__)
