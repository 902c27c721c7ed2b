"""The whole journey in one call: load, embed, map, gaps, select, export.

Used by ``workbench run`` and ``make demo``. Each step calls the public API; this module
only sequences them, checks what would fail late (an unknown ``by`` field, rights that
leave nothing to select) early, and collects where everything was written. Every step
saves as it goes, so an interrupted run resumes when it is run again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .core.rights.policy import RightsPolicy
from .errors import NothingToLoadError
from .exporters.config import FORMATS
from .glue.load import LoadConfig

#: The exports a run writes unless told otherwise.
DEFAULT_FORMATS = ("imagefolder", "kohya")


@dataclass(frozen=True)
class JourneyConfig:
    """Settings for :func:`run_journey`.

    Attributes
    ----------
    n
        Images to select. When fewer are rights-clean, all of those are taken.
    by
        Field to balance across; ``None`` uses the labels field when one is given
        (``labels_from_folders``), else a manifest label column (``style``, ``region``,
        ``technique``), else the map's clusters (``"cluster"``), a proxy for styles.
        A ``by`` that does not exist or has fewer than 2 values falls back to the
        clusters with a warning.
    formats
        Export formats, each written to ``OUT/export-<format>``.
    model
        Embedding model (see :class:`workbench.EmbedConfig`).
    backend
        What runs the embedding model: ``auto``, ``torch``, ``onnx`` or ``onnx-int8``
        (see :class:`workbench.EmbedConfig`).
    seed
        Seed for the map and the selection.
    overwrite
        Replace earlier exports of this run in ``OUT``.
    progress
        Show progress bars.
    load
        How to load, including collection-wide rights (``LoadConfig(license=...)``).
    rights
        Which rights records may be selected (licence allowlist, AI-generated, consent).
    """

    n: int = 120
    by: str | None = None
    formats: tuple[str, ...] = DEFAULT_FORMATS
    model: str = "auto"
    backend: str = "auto"
    seed: int = 0
    overwrite: bool = True
    progress: bool = True
    load: LoadConfig = field(default_factory=LoadConfig)
    rights: RightsPolicy = field(default_factory=RightsPolicy)

    def __post_init__(self) -> None:
        if isinstance(self.formats, str):
            object.__setattr__(self, "formats", (self.formats,))
        unknown = [f for f in self.formats if f not in FORMATS + ("fiftyone",)]
        if unknown or not self.formats:
            raise ValueError(f"formats must be one or more of {list(FORMATS) + ['fiftyone']}; "
                             f"got {list(self.formats)}")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"n must be a positive int; got {self.n!r}")
        from .models.backends import check_backend

        check_backend(self.backend)


@dataclass
class JourneyResult:
    """What each step reported, and where the outputs are."""

    dataset: str
    steps: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "steps": self.steps, "outputs": self.outputs,
                "seconds": self.seconds}

    def summary(self) -> str:
        total = sum(self.seconds.values()) or 1.0
        lines = [f"dataset {self.dataset!r}: outputs"]
        lines += [f"  {k:<16} {v}" for k, v in self.outputs.items()]
        lines.append("time per step: " + ", ".join(
            f"{k} {v:.1f}s ({v / total:.0%})" for k, v in self.seconds.items()))
        return "\n".join(lines)

    @contextlib.contextmanager
    def step(self, name: str, title: str | None = None):
        """Announce a step on stderr and record how long it took."""
        print(f"\n=== {title or name} ===", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0)
                                       + time.perf_counter() - start, 3)


class NothingSelectableError(ValueError):
    """The rights records leave no image that may be selected; ``result`` holds what was
    written before (the map and the coverage report)."""

    def __init__(self, message: str, result: JourneyResult) -> None:
        super().__init__(message)
        self.result = result


def _rights_advice(source: Path, why: dict[str, int], licenses: list[str]) -> str:
    found = ", ".join(f"{k} {v}" for k, v in sorted(why.items(), key=lambda kv: -kv[1]))
    advice = []
    if why.get("rights:license"):
        advice.append(f"their licence ({', '.join(licenses[:5])}) is valid but not in the "
                      "allowed list: if it fits your use, allow it with "
                      f"`--allow-license {licenses[0] if licenses else 'SPDX'}`")
    if why.get("rights:license_unknown") or why.get("rights:consent_unknown"):
        advice.append("declare the collection's licence and source if they hold for every "
                      "image, e.g. `--license CC-BY-4.0 --source \"...\"`, or record rights per "
                      f"image: `workbench manifest init {source} > {source / 'manifest.csv'}`, "
                      "fill it in, and run again")
    if why.get("rights:opted_out") or why.get("rights:ai_generated"):
        advice.append("opted-out images are never selected; AI-generated ones only with a "
                      "RightsPolicy that admits them")
    return (f"no image may be selected: the rights filter excludes all of them ({found}). "
            + "; ".join(advice) + ". The map and the coverage report were written.")


def run_journey(source: str | os.PathLike, out: str | os.PathLike, *, name: str | None = None,
                manifest: str | os.PathLike | None = None,
                labels_from_folders: str | None = None,
                optout: str | os.PathLike | None = None,
                config: JourneyConfig = JourneyConfig(), echo=print) -> JourneyResult:
    """Load ``source`` into dataset ``name`` and carry it through to exports under ``out``.

    ``echo`` receives each step's human summary (``print`` by default).

    Raises
    ------
    NothingSelectableError
        The rights records exclude every image; the map and the coverage report are
        written first, and the message says how to supply rights.

    Examples
    --------
    >>> res = run_journey("sample_data", "out", name="palette-sample")  # doctest: +SKIP
    """
    from .core.selection.select import SelectConfig
    from .exporters import ExportConfig
    from .glue.embed import EmbedConfig, embed
    from .glue.export import export
    from .glue.fields import resolve_group_field
    from .glue.fo import get_dataset
    from .glue.gaps import find_gaps
    from .glue.load import load
    from .glue.maps import compute_map
    from .glue.quality import check_quality
    from .glue.select import rights_eligibility, select_balanced

    source = Path(source).expanduser()
    name = name or source.resolve().name
    out = Path(out).expanduser()
    res = JourneyResult(dataset=name)
    by = config.by or labels_from_folders

    with res.step("load"):
        load_config = dataclasses.replace(config.load, progress=config.progress,
                                          check_quality=False)
        rep = load(source, name, manifest=manifest, labels_from_folders=labels_from_folders,
                   optout=optout, config=load_config)
        echo(rep.summary())
        res.steps["load"] = {k: rep.to_dict()[k] for k in
                             ("added", "updated", "unchanged", "total", "filled_from_defaults")}
        if rep.total == 0:
            raise NothingToLoadError(f"no usable image in {source}: {len(rep.skipped)} "
                                     "file(s) skipped (see the load report); nothing to curate")
        ds = get_dataset(name)
        by = resolve_group_field(ds, by, fallback=True, echo=echo)
        res.steps["load"]["by"] = by

    with res.step("quality"):
        quality = check_quality(ds)
        echo(quality.summary())
        res.steps["quality"] = {"checked": len(quality.result), "flagged": quality.result.counts}

    with res.step("embed", f"embed (model={config.model})"):
        emb = embed(ds, config=EmbedConfig(model=config.model, backend=config.backend,
                                             progress=config.progress))
        echo(emb.summary())
        res.steps["embed"] = {"model": emb.model, "computed": emb.computed,
                              "cached": emb.cached, "failed": len(emb.failed)}

    with res.step("map"):
        m = compute_map(ds)
        echo(m.summary())
        res.steps["map"] = m.to_dict()

    with res.step("gaps", f"gaps by {by}"):
        gaps = find_gaps(ds, by=by)
        echo(gaps.summary())
        # Without atlases for now: they are drawn once, with the selection's, below.
        html = gaps.to_html(out / "coverage.html", atlases=False)
        res.outputs["coverage_report"] = str(html.resolve())
        summary = gaps.to_dict()
        res.steps["gaps"] = {key: summary[key] for key in ("groups", "clusters", "label_issues",
                                                           "label_issues_note")
                             if key in summary}

    with res.step("select", f"select {config.n} balanced by {by}"):
        eligible, why = rights_eligibility(ds, config.rights)
        if eligible == 0:
            gaps.to_html(out / "coverage.html")  # the collection's atlas, nothing beside it
            licenses = sorted(set(ds.distinct("license")) - set(config.rights.allowed_licenses))
            raise NothingSelectableError(_rights_advice(source, why, licenses), res)
        sel = select_balanced(ds, config.n, by=by, config=SelectConfig(
            seed=config.seed, rights=config.rights, allow_fewer=True))
        if len(sel) < config.n:
            echo(f"only {len(sel)} image(s) are eligible (rights, duplicates, quality); "
                 "all are selected")
        echo(sel.summary())
        res.steps["select"] = sel.summary_dict()
        # The report again, now with the selection's atlas beside the collection's.
        gaps.to_html(out / "coverage.html", selection_ids=list(sel.ids))

    with res.step("export"):
        for fmt in config.formats:
            print(f"--- {fmt} ---", file=sys.stderr, flush=True)
            report = export(ds, format=fmt, out=out / f"export-{fmt}",
                            config=ExportConfig(overwrite=config.overwrite))
            echo(report.summary())
            res.outputs[f"export_{fmt}"] = str(Path(report.out).resolve())
            card = Path(report.out) / "README.md"
            if card.exists():
                res.outputs[f"card_{fmt}"] = str(card.resolve())
    return res
