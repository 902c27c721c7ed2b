"""What a load did: counts, every skipped file with its reason, and the rights it found."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class LoadReport:
    """What a load did. ``to_dict()`` is the CLI's ``--json`` output."""

    dataset: str
    source: str
    manifest: str | None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    inspected: int = 0
    filled_from_defaults: dict = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    unknown_license: list[dict] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)
    ai_generated: list[str] = field(default_factory=list)
    not_in_manifest: list[str] = field(default_factory=list)
    missing_from_source: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    signals: dict = field(default_factory=dict)
    rights_conflicts: list[dict] = field(default_factory=list)
    quality: dict = field(default_factory=dict)
    total: int = 0
    seconds: float = 0.0

    signals_summary: str = field(default="", repr=False)

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("signals_summary")
        return out

    def frame(self, key: str = "skipped"):
        """One of the report's lists as a pandas DataFrame (e.g. ``skipped``, ``duplicates``)."""
        import pandas as pd

        value = getattr(self, key)
        return pd.DataFrame([v if isinstance(v, dict) else {"path": v} for v in value])

    def summary(self, details: bool = True) -> str:
        """A few lines for people; with ``details``, one more per skipped file, duplicate,
        conflict and warning."""
        lines = [
            f"dataset {self.dataset!r}: {self.total} usable samples "
            f"(added {self.added}, updated {self.updated}, unchanged {self.unchanged}; "
            f"{self.inspected} file(s) read) in {self.seconds:.1f}s",
            f"skipped {len(self.skipped)} bad file(s); {len(self.duplicates)} exact duplicate(s); "
            f"{len(self.unknown_license)} unknown/invalid licence(s); "
            f"{len(self.opted_out)} opted out; {len(self.ai_generated)} AI-generated",
        ]
        if self.signals:
            lines.append(self.signals_summary)
        if self.quality:
            flagged = ", ".join(f"{k} {v}" for k, v in self.quality.items() if v) or "none"
            lines.append(f"quality flags (against this collection): {flagged}")
        if self.filled_from_defaults:
            filled = ", ".join(f"{k} {v}" for k, v in sorted(self.filled_from_defaults.items()))
            lines.append(f"filled from the collection defaults: {filled}")
        if not details:
            return "\n".join(lines)
        lines += [f"  skipped {s['path']}: {s['reason']}" for s in self.skipped]
        lines += [f"  duplicate {d['path']} of {d['duplicate_of']}" for d in self.duplicates]
        lines += [f"  conflict {c['path']}: {'; '.join(c['conflicts'])}"
                  for c in self.rights_conflicts]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)
