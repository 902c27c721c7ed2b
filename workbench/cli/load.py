"""``workbench load`` and ``workbench manifest init``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.intake.records import RightsDefaults
from ..glue.load import LoadConfig
from .base import CommandResult, bound, bound_options, positive_int, progress_option

_RIGHTS_HELP = {
    "license": "SPDX licence id for every image the manifest gives none (e.g. CC-BY-4.0)",
    "source": "where the images come from, where the manifest says nothing",
    "creator": "creator id for images without one in the manifest",
    "attribution": "how to credit the images, where the manifest says nothing",
    "consent": "granted | opted_out | unknown, where the manifest says nothing",
    "ai_generated": "true | false | unknown, where the manifest says nothing",
}


def add_rights_options(parser: argparse.ArgumentParser, owner=LoadConfig) -> None:
    """``--license``, ``--source``, ``--creator``, ``--attribution``, ``--consent``,
    ``--ai-generated``: collection-wide rights that fill what a manifest leaves empty."""
    for name, help_text in _RIGHTS_HELP.items():
        extra = {"metavar": "SPDX"} if name == "license" else {}
        if name == "consent":
            extra = {"choices": ["granted", "opted_out", "unknown"]}
        if name == "ai_generated":
            extra = {"choices": ["true", "false", "unknown"]}
        bound(parser, f"--{name.replace('_', '-')}", owner=owner, field=name, help=help_text,
              **extra)


def add_engine_option(parser: argparse.ArgumentParser, owner) -> None:
    """``--engine local|ray`` for the per-image work of ``owner`` (a config with ``engine``)."""
    from ..glue.ray_engine import ENGINES

    bound(parser, "--engine", owner=owner, field="engine", choices=list(ENGINES),
          help="where the per-image work runs: local processes, or Ray Data (RAY_ADDRESS, "
               "else a local Ray; needs palette-workbench[scale])")


def rights_values(args: argparse.Namespace) -> dict:
    """The rights options as keyword arguments."""
    return {name: getattr(args, name) for name in _RIGHTS_HELP}


def load_config(args: argparse.Namespace) -> LoadConfig:
    """The :class:`LoadConfig` the options describe."""
    return LoadConfig(max_pixels=args.max_pixels, workers=args.workers, progress=args.progress,
                      engine=args.engine, **rights_values(args))


def _cmd_load(args: argparse.Namespace) -> CommandResult:
    from ..glue.load import load

    report = load(args.src, args.name, manifest=args.manifest,
                  labels_from_folders=args.labels_from_folders, optout=args.optout,
                  config=load_config(args))
    return CommandResult(report.to_dict(), report.summary())


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """The options that say how to read a collection: manifest, folder labels, opt-outs."""
    parser.add_argument("--manifest", metavar="F",
                        help="CSV/JSONL manifest (default: the folder's own manifest.csv, "
                             "manifest.jsonl or metadata.jsonl, if any)")
    parser.add_argument("--labels-from-folders", metavar="FIELD",
                        help="store each file's top-level sub-folder name in FIELD")
    parser.add_argument("--optout", metavar="F", help="opt-out registry file")


def _cmd_manifest_init(args: argparse.Namespace) -> CommandResult:
    from ..core.intake.manifest_template import template_csv, template_rows

    out = Path(args.out) if args.out else None
    defaults = RightsDefaults(**rights_values(args))
    columns, rows = template_rows(args.folder, labels_from_folders=args.labels_from_folders,
                                  defaults=defaults,
                                  relative_to=out.absolute().parent if out else None)
    text = template_csv(columns, rows)
    where = f"FOLDER's root ({Path(args.folder) / 'manifest.csv'})"
    if out is not None:
        if out.exists() and not args.overwrite:
            raise FileExistsError(f"{out} exists; pass --overwrite to replace it")
        out.write_text(text, encoding="utf-8")
        where = str(out)
    elif not args.json:
        sys.stdout.write(text)
    note = (f"manifest template: {len(rows)} image(s), columns {', '.join(columns)}. "
            f"Fill it in a spreadsheet, save it as CSV at {where}, then run "
            f"`workbench load {args.folder} --name NAME"
            + ("" if out is None else f" --manifest {out}") + "`.")
    print(note, file=sys.stderr)
    payload = {"rows": len(rows), "columns": columns, "out": str(out) if out else None}
    if args.json and out is None:
        payload["csv"] = text
    return CommandResult(payload, "" if out is None and not args.json else note)


def register(sub) -> None:
    p = sub.add_parser("load", help="load a folder, manifest or HF imagefolder into a dataset")
    p.add_argument("src", metavar="SOURCE", help="folder (searched recursively), CSV/JSONL manifest, or HF "
                                  "imagefolder")
    p.add_argument("--name", required=True, help="FiftyOne dataset name (created or updated)")
    add_source_options(p)
    add_rights_options(p)
    bound_options(p, LoadConfig, [
        ("--max-pixels", "max_pixels", positive_int,
         "refuse images above this many pixels, judged from the header (bomb guard)"),
        ("--workers", "workers", int,
         "inspection processes (none: one per CPU; 0: in this process)")])
    add_engine_option(p, LoadConfig)
    progress_option(p, LoadConfig)
    p.set_defaults(func=_cmd_load)

    m = sub.add_parser("manifest", help="manifest tools (a template to fill in)")
    msub = m.add_subparsers(dest="manifest_command", required=True, metavar="ACTION",
                            help="init: a template for a folder",
                            parser_class=type(m))
    t = msub.add_parser("init", help="write a manifest template for FOLDER: one row per image "
                                     "with the rights columns, for a spreadsheet")
    t.add_argument("folder", help="folder of images (searched recursively)")
    t.add_argument("--labels-from-folders", metavar="FIELD",
                   help="fill FIELD with each file's top-level sub-folder name")
    add_rights_options(t, owner=RightsDefaults)
    t.add_argument("--out", metavar="F",
                   help="write the template to F (paths relative to F's folder) instead of "
                        "stdout (paths relative to FOLDER)")
    t.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    t.add_argument("--json", action="store_true",
                   help="print one JSON object on stdout (with the CSV text unless --out)")
    t.set_defaults(func=_cmd_manifest_init, command="manifest init")
