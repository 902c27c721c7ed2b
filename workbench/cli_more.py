"""CLI commands for the later steps: select, export, run (the whole journey) and app."""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli import CommandResult


def _cmd_select(args: argparse.Namespace) -> CommandResult:
    from .core.dedup import DedupConfig
    from .core.selection import SelectConfig
    from .glue.fo import get_dataset
    from .glue.select import select_balanced

    config = SelectConfig(strategy=args.strategy, seed=args.seed, creator_cap=args.creator_cap,
                          dedup=None if args.no_dedup else DedupConfig(threshold=args.dedup_threshold))
    sel = select_balanced(get_dataset(args.name), args.n, by=args.by, config=config, tag=args.tag,
                          model=args.model)
    payload = {"selected": len(sel), "excluded": sel.excluded_counts(),
               "balance_before": sel.balance_before, "balance_after": sel.balance_after,
               "seed": sel.seed, "tag": args.tag, "counts": sel.counts.to_dict(orient="records"),
               "shortfall": dict(sel.shortfall)}
    text = (f"selected {len(sel)} (tag {args.tag!r}, seed {sel.seed}); balance "
            f"{sel.balance_before:.3f} -> {sel.balance_after:.3f}\n"
            f"{sel.counts.to_string(index=False)}\nexcluded by reason: {sel.excluded_counts()}")
    return CommandResult(payload, text)


def _cmd_export(args: argparse.Namespace) -> CommandResult:
    from .exporters import ExportConfig, ImageConfig
    from .glue.export import export
    from .glue.fo import get_dataset

    images = ImageConfig(mode=args.resize, resolution=args.resolution)
    config = ExportConfig(images=images, overwrite=args.overwrite)
    report = export(get_dataset(args.name), format=args.format, out=args.out, tag=args.tag,
                    config=config)
    return CommandResult(report.to_dict(), report.summary())


def _cmd_app(args: argparse.Namespace) -> CommandResult:
    from .glue.app import open_in_app
    from .glue.fo import get_dataset

    open_in_app(get_dataset(args.name), port=args.port, wait=True)
    return CommandResult({"port": args.port}, "App closed")


def _cmd_run(args: argparse.Namespace) -> CommandResult:
    from .journey import JourneyConfig, run_journey

    config = JourneyConfig(n=args.n, by=args.by, formats=tuple(args.format), model=args.model,
                           seed=args.seed, overwrite=args.overwrite)
    result = run_journey(args.source, Path(args.out), name=args.name, config=config)
    return CommandResult(result.to_dict(), result.summary())


def register(sub) -> None:
    """Add the select, export, run and app sub-commands."""
    p = sub.add_parser("select", help="balanced, deduplicated, rights-clean subset")
    p.add_argument("name")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--by", required=True, metavar="FIELD")
    p.add_argument("--strategy", default="cap", choices=["cap", "quota", "diverse"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tag", default="selected")
    p.add_argument("--creator-cap", type=float, default=None,
                   help="max per creator: a fraction of N (< 1) or a count")
    p.add_argument("--dedup-threshold", type=float, default=0.95)
    p.add_argument("--no-dedup", action="store_true", help="skip near-duplicate removal")
    p.add_argument("--model", default=None, help="which embeddings (default: the latest)")
    p.set_defaults(func=_cmd_select)

    p = sub.add_parser("export", help="export a selection for fine-tuning")
    p.add_argument("name")
    p.add_argument("--tag", default="selected")
    p.add_argument("--format", required=True, choices=["kohya", "imagefolder", "fiftyone", "csv"])
    p.add_argument("--out", required=True)
    p.add_argument("--resize", default="keep", choices=["keep", "resize", "center_crop"])
    p.add_argument("--resolution", type=int, default=512)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("run", help="the whole journey: load, embed, map, gaps, select, export")
    p.add_argument("source")
    p.add_argument("--out", required=True)
    p.add_argument("--name", default=None, help="dataset name (default: the folder name)")
    p.add_argument("--n", type=int, default=120)
    p.add_argument("--by", default="style")
    p.add_argument("--format", action="append", default=None,
                   choices=["kohya", "imagefolder", "fiftyone", "csv"])
    p.add_argument("--model", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("app", help="serve the FiftyOne App on 127.0.0.1")
    p.add_argument("name")
    p.add_argument("--port", type=int, default=5151)
    p.set_defaults(func=_cmd_app)
