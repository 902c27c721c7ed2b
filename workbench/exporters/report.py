"""What an export did: files written, items dropped or failed, caption issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .captions import CaptionIssues


@dataclass
class ExportReport:
    """The result of :func:`workbench.exporters.export_records`.

    Attributes
    ----------
    out
        The export folder.
    format
        ``kohya``, ``imagefolder`` or ``csv``.
    files
        Number of files in the export (``MANIFEST.sha256`` included).
    images
        Number of images exported.
    dropped
        ``{id, reason}`` for records not exported on purpose (opted out since the
        selection, duplicate id). No creator or path is recorded for opt-outs.
    below_resolution
        ``{id, file, width, height}`` for images smaller than the target resolution,
        written at their own size (never upscaled).
    caption_issues
        Empty, over-long, trigger-less and widely shared captions.
    captions_from_fallback
        Captions made by the fallback template because the record gave none.
    failed
        ``{id, path, reason}`` for images that could not be read or written now.
    seconds
        Wall time of the export.
    details
        Format-specific facts (for kohya: ``repeats`` and ``folders`` per group).
    removed_stale
        Staging folders of earlier killed exports that were cleaned up.
    timings
        Seconds per phase: ``images`` (wall), ``images_cpu`` (CPU summed over
        workers), ``files`` (metadata, credits, card), ``manifest``.
    """

    out: Path
    format: str
    files: int = 0
    images: int = 0
    dropped: list[dict] = field(default_factory=list)
    below_resolution: list[dict] = field(default_factory=list)
    caption_issues: CaptionIssues = field(default_factory=CaptionIssues)
    captions_from_fallback: int = 0
    failed: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    details: dict = field(default_factory=dict)
    removed_stale: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dict; ``out``, ``files`` and ``format`` are the CLI's keys."""
        return {
            "out": str(self.out),
            "files": self.files,
            "format": self.format,
            "images": self.images,
            "dropped": list(self.dropped),
            "below_resolution": list(self.below_resolution),
            "caption_issues": self.caption_issues.to_dict(),
            "captions_from_fallback": self.captions_from_fallback,
            "failed": list(self.failed),
            "seconds": round(self.seconds, 3),
            "details": dict(self.details),
            "removed_stale": list(self.removed_stale),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def summary(self) -> str:
        """A few human-readable lines."""
        lines = [
            (f"exported {self.images} images ({self.files} files, {self.format}) to {self.out} "
             f"in {self.seconds:.1f}s"),
            (f"dropped {len(self.dropped)}, failed {len(self.failed)}, "
             f"below resolution {len(self.below_resolution)}"),
            self.caption_issues.summary()
            + (f"; {self.captions_from_fallback} made from the group, technique, region "
               "and file name (no caption or template field)"
               if self.captions_from_fallback else ""),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"ExportReport(out={str(self.out)!r}, format={self.format!r}, files={self.files}, "
                f"images={self.images}, dropped={len(self.dropped)}, failed={len(self.failed)})")
