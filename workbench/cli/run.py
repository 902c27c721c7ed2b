"""``workbench run``: the whole journey on any folder, in one command."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..glue.export import EXPORT_FORMATS
from ..journey import DEFAULT_FORMATS, JourneyConfig
from .base import CommandResult, bound, positive_int, progress_option
from .embed import add_model_option
from .load import add_rights_options, add_source_options, rights_values
from .select import add_rights_policy_options, rights_policy


def journey_config(args: argparse.Namespace) -> JourneyConfig:
    """The :class:`JourneyConfig` the options describe."""
    from ..glue.load import LoadConfig

    return JourneyConfig(n=args.n, by=args.by, formats=tuple(args.format or DEFAULT_FORMATS),
                         model=args.model, backend=args.backend, seed=args.seed, overwrite=args.overwrite,
                         progress=args.progress, load=LoadConfig(**rights_values(args)),
                         rights=rights_policy(args))


def _cmd_run(args: argparse.Namespace) -> CommandResult:
    from ..journey import NothingSelectableError, run_journey

    try:
        result = run_journey(args.src, Path(args.out), name=args.name, manifest=args.manifest,
                             labels_from_folders=args.labels_from_folders, optout=args.optout,
                             config=journey_config(args))
    except NothingSelectableError as exc:
        payload = {**exc.result.to_dict(), "error": str(exc)}
        return CommandResult(payload, f"{exc.result.summary()}\nworkbench run: {exc}", 2)
    return CommandResult(result.to_dict(), result.summary())


def register(sub) -> None:
    p = sub.add_parser("run", help="the whole journey: load, embed, map, gaps, select, export")
    p.add_argument("src", metavar="SOURCE", help="folder, CSV/JSONL manifest, or HF imagefolder")
    p.add_argument("--out", required=True, help="folder for the coverage report and exports")
    p.add_argument("--name", help="dataset name (default: the source folder's name)")
    add_source_options(p)
    add_rights_options(p)
    add_rights_policy_options(p)
    bound(p, "--n", owner=JourneyConfig, field="n", type=positive_int,
          help="images to select (all rights-clean ones when there are fewer)")
    bound(p, "--by", owner=JourneyConfig, field="by", metavar="FIELD",
          help="field to balance across (none: the --labels-from-folders field, else a label "
               "column (style, region, technique), else the map's clusters)")
    # Repeatable; no argparse default, so that a given --format replaces the defaults.
    p.add_argument("--format", action="append", choices=list(EXPORT_FORMATS),
                   help=f"export format, repeatable (default: {' and '.join(DEFAULT_FORMATS)})")
    add_model_option(p, JourneyConfig)
    bound(p, "--seed", owner=JourneyConfig, field="seed", type=int,
          help="seed for the map and the selection")
    bound(p, "--no-overwrite", owner=JourneyConfig, field="overwrite", action="store_false",
          help="refuse to replace earlier exports in OUT")
    progress_option(p, JourneyConfig)
    p.set_defaults(func=_cmd_run)
