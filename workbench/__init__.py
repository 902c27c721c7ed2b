"""Palette Workbench: curate small, diverse, rights-clean image datasets for fine-tuning.

The public API. Everything heavy (FiftyOne, torch) is imported on first use, so
``import workbench`` is fast and starts nothing.

Examples
--------
>>> import workbench as wb
>>> report = wb.load("sample_data", name="sample")  # doctest: +SKIP
"""

from __future__ import annotations

from ._lazy import lazy_attributes

__version__ = "0.1.0"

# public name -> (module, attribute)
_API = {
    "load": ("workbench.glue.load", "load"),
    "LoadConfig": ("workbench.glue.load", "LoadConfig"),
    "LoadReport": ("workbench.glue.load", "LoadReport"),
    "get_dataset": ("workbench.glue.fo", "get_dataset"),
    "usable": ("workbench.glue.fo", "usable"),
    "embed": ("workbench.glue.embed", "embed"),
    "EmbedConfig": ("workbench.glue.embed", "EmbedConfig"),
    "get_embeddings": ("workbench.glue.embed", "get_embeddings"),
    "neighbors": ("workbench.glue.neighbors", "neighbors"),
    "check_quality": ("workbench.glue.quality", "check_quality"),
    "QualityPolicy": ("workbench.core.quality.policy", "QualityPolicy"),
    "resolve_embedder": ("workbench.models.choose", "resolve_embedder"),
    "compute_map": ("workbench.glue.maps", "compute_map"),
    "MapConfig": ("workbench.core.maps.projection", "MapConfig"),
    "atlas": ("workbench.glue.atlas", "atlas"),
    "find_clusters": ("workbench.glue.gaps", "find_clusters"),
    "ClusterConfig": ("workbench.core.maps.clustering", "ClusterConfig"),
    "find_gaps": ("workbench.glue.gaps", "find_gaps"),
    "find_label_issues": ("workbench.glue.labels", "find_label_issues"),
    "open_in_app": ("workbench.glue.app", "open_in_app"),
    "curation_overview": ("workbench.glue.curation", "curation_overview"),
    "review_queue": ("workbench.glue.curation", "review_queue"),
    "decide_review": ("workbench.glue.curation", "decide_review"),
    "install_plugin": ("workbench.glue.plugins", "install_plugin"),
    "map_widget": ("workbench.displays", "map_widget"),
    "select_balanced": ("workbench.glue.select", "select_balanced"),
    "SelectConfig": ("workbench.core.selection.select", "SelectConfig"),
    "RightsPolicy": ("workbench.core.rights.policy", "RightsPolicy"),
    "DedupConfig": ("workbench.core.dedup.candidates", "DedupConfig"),
    "load_selection": ("workbench.glue.select", "load_selection"),
    "sync_hand_edits": ("workbench.glue.select", "sync_hand_edits"),
    "show_duplicates": ("workbench.displays", "show_duplicates"),
    "buckets": ("workbench.glue.buckets", "buckets"),
    "export": ("workbench.glue.export", "export"),
    "ExportConfig": ("workbench.exporters.config", "ExportConfig"),
    "ImageConfig": ("workbench.exporters.images", "ImageConfig"),
    "CaptionConfig": ("workbench.exporters.captions", "CaptionConfig"),
    "doctor": ("workbench.diagnostics", "run_doctor"),
    "show_samples": ("workbench.displays", "show_samples"),
    "show_flagged": ("workbench.displays", "show_flagged"),
    "show_review_pairs": ("workbench.displays", "show_review_pairs"),
    "field_choice": ("workbench.displays", "field_choice"),
    "targets_choice": ("workbench.displays", "targets_choice"),
    "choice": ("workbench.viz.controls", "choice"),
    "choices": ("workbench.viz.controls", "choices"),
    "number": ("workbench.viz.controls", "number"),
    "controls": ("workbench.viz.controls", "controls"),
    "show_card": ("workbench.viz.documents", "show_card"),
    "show_report": ("workbench.viz.documents", "show_report"),
    "show_folder": ("workbench.viz.documents", "show_folder"),
    "RightsDefaults": ("workbench.core.intake.records", "RightsDefaults"),
    "uncurated_sample": ("workbench.glue.compare", "uncurated_sample"),
    "compare_subsets": ("workbench.glue.compare", "compare_subsets"),
    "subsets_map": ("workbench.displays", "subsets_map"),
    "read_manifest": ("workbench.core.intake.manifest", "read_manifest"),
    "check_license": ("workbench.core.rights.licenses", "check_license"),
    "read_optout": ("workbench.core.rights.optout", "read_optout"),
    "edit": ("workbench.glue.annotation", "edit"),
    "annotation_record": ("workbench.glue.annotation", "annotation_record"),
    "sync_outside_edits": ("workbench.glue.annotation", "sync_outside_edits"),
    "agreement": ("workbench.glue.annotation", "agreement"),
    "adjudicate": ("workbench.glue.annotation", "adjudicate"),
    "AnnotationConfig": ("workbench.core.annotation.record", "AnnotationConfig"),
    "annotate": ("workbench.displays", "annotate"),
}

__all__ = sorted(_API) + ["__version__"]


__getattr__, __dir__ = lazy_attributes(__name__, _API, __all__)
