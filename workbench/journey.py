"""The whole journey in one call: load, embed, map, gaps, select, export.

Used by ``workbench run`` and ``make demo``. Each step calls the public API; this module
only sequences them and collects where everything was written.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class JourneyConfig:
    """Settings for :func:`run_journey`."""

    n: int = 120
    by: str = "style"
    formats: tuple[str, ...] | None = ("imagefolder", "kohya")
    model: str = "auto"
    seed: int = 0
    overwrite: bool = True
    progress: bool = True


@dataclass
class JourneyResult:
    """What each step reported, and where the outputs are."""

    dataset: str
    steps: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "steps": self.steps, "outputs": self.outputs}

    def summary(self) -> str:
        lines = [f"dataset {self.dataset!r}: outputs"]
        lines += [f"  {k:<16} {v}" for k, v in self.outputs.items()]
        return "\n".join(lines)


def _say(title: str) -> None:
    print(f"\n=== {title} ===", file=sys.stderr, flush=True)


def run_journey(source: str | Path, out: Path, *, name: str | None = None,
                config: JourneyConfig = JourneyConfig(), echo=print) -> JourneyResult:
    """Load ``source`` into dataset ``name`` and carry it through to exports under ``out``.

    ``echo`` receives each step's human summary (``print`` by default).

    Examples
    --------
    >>> res = run_journey("sample_data", Path("out"), name="palette-sample")  # doctest: +SKIP
    """
    from .core.selection import SelectConfig
    from .exporters import ExportConfig
    from .glue.embed import EmbedConfig, embed
    from .glue.export import export
    from .glue.fo import get_dataset
    from .glue.gaps import find_gaps
    from .glue.load import LoadConfig, load
    from .glue.maps import compute_map
    from .glue.select import select_balanced

    source = Path(source)
    name = name or source.resolve().name
    out = Path(out)
    res = JourneyResult(dataset=name)

    _say("load")
    rep = load(source, name, config=LoadConfig(progress=config.progress))
    echo(rep.summary())
    res.steps["load"] = {k: rep.to_dict()[k] for k in ("added", "updated", "unchanged", "total")}
    ds = get_dataset(name)

    _say(f"embed (model={config.model})")
    emb = embed(ds, config=EmbedConfig(model=config.model, progress=config.progress))
    echo(emb.summary())
    res.steps["embed"] = {"model": emb.model, "computed": emb.computed, "cached": emb.cached,
                          "failed": len(emb.failed)}

    _say("map")
    m = compute_map(ds)
    echo(m.summary())
    res.steps["map"] = m.to_dict()

    _say(f"gaps by {config.by}")
    gaps = find_gaps(ds, by=config.by)
    echo(gaps.summary())
    html = gaps.to_html(out / "coverage.html")
    res.outputs["coverage_report"] = str(html.resolve())
    res.steps["gaps"] = {"groups": gaps.representation.to_dict()["groups"]}

    _say(f"select {config.n} balanced by {config.by}")
    sel = select_balanced(ds, config.n, by=config.by, config=SelectConfig(seed=config.seed))
    echo(f"selected {len(sel)}; balance {sel.balance_before:.3f} -> {sel.balance_after:.3f}")
    echo(sel.counts.to_string(index=False))
    echo(f"excluded by reason: {sel.excluded_counts()}")
    res.steps["select"] = {"selected": len(sel), "balance_before": sel.balance_before,
                           "balance_after": sel.balance_after,
                           "excluded": sel.excluded_counts()}

    for fmt in config.formats or ("imagefolder", "kohya"):
        _say(f"export {fmt}")
        target = out / f"export-{fmt}"
        report = export(ds, format=fmt, out=target, config=ExportConfig(overwrite=config.overwrite))
        echo(report.summary())
        res.outputs[f"export_{fmt}"] = str(Path(report.out).resolve())
        card = Path(report.out) / "README.md"
        if card.exists():
            res.outputs[f"card_{fmt}"] = str(card.resolve())
    return res
