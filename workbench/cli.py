"""The ``workbench`` command line.

Every command takes ``--json``: it then prints one JSON object on stdout and its
human-readable text on stderr. Exit codes: 0 success, 1 failure, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence

#: Errors that mean "the input or the request is wrong": exit 2 with the message.
USAGE_ERRORS: tuple[type[BaseException], ...] = (ValueError, LookupError, FileNotFoundError,
                                                 FileExistsError)


class CommandResult:
    """A command's machine-readable payload, its text for people, and its exit code."""

    def __init__(self, payload: dict, text: str, code: int = 0) -> None:
        self.payload, self.text, self.code = payload, text, code


def _cmd_doctor(args: argparse.Namespace) -> CommandResult:
    from .diagnostics import format_doctor, run_doctor

    report = run_doctor()
    return CommandResult(report, format_doctor(report), 0 if report["ok"] else 1)


def _cmd_load(args: argparse.Namespace) -> CommandResult:
    from .glue.load import LoadConfig, load

    config = LoadConfig(max_pixels=args.max_pixels, workers=args.workers,
                        progress=not args.no_progress)
    report = load(args.source, args.name, manifest=args.manifest,
                  labels_from_folders=args.labels_from_folders, optout=args.optout,
                  config=config)
    return CommandResult(report.to_dict(), report.summary())


def _add_load(sub) -> None:
    p = sub.add_parser("load", help="load a folder, manifest or HF imagefolder into a dataset")
    p.add_argument("source", help="folder, CSV/JSONL manifest, or HF imagefolder")
    p.add_argument("--name", required=True, help="FiftyOne dataset name (created or updated)")
    p.add_argument("--manifest", help="CSV/JSONL manifest (default: the folder's own, if any)")
    p.add_argument("--labels-from-folders", metavar="FIELD",
                   help="store each file's top-level sub-folder name in FIELD")
    p.add_argument("--optout", metavar="F", help="opt-out registry file")
    p.add_argument("--max-pixels", type=int, default=None,
                   help="refuse images above this many pixels (default 16384^2)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: CPUs)")
    p.set_defaults(func=_cmd_load)


def _cmd_embed(args: argparse.Namespace) -> CommandResult:
    from .glue.embed import EmbedConfig, embed
    from .glue.fo import get_dataset

    config = EmbedConfig(model=args.model, device=args.device, batch_size=args.batch_size,
                         progress=not args.no_progress)
    report = embed(get_dataset(args.name), config=config)
    return CommandResult(report.to_dict(), report.summary())


def _add_embed(sub) -> None:
    p = sub.add_parser("embed", help="compute image embeddings (cached, resumable)")
    p.add_argument("name", help="dataset name")
    p.add_argument("--model", default="auto",
                   help="auto | clip | bundled | OPENCLIP_NAME:PRETRAINED_TAG_OR_PATH")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--batch-size", type=_batch_size, default="auto",
                   help="images per forward pass (default auto: the model's best on this device)")
    p.set_defaults(func=_cmd_embed)


def _batch_size(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a positive integer, got {text!r}")
    return value


def _cmd_map(args: argparse.Namespace) -> CommandResult:
    from .core.projection import MapConfig
    from .glue.fo import get_dataset
    from .glue.maps import compute_map

    config = MapConfig(n_neighbors=args.n_neighbors, min_dist=args.min_dist, seed=args.seed)
    result = compute_map(get_dataset(args.name), method=args.method, config=config,
                         model=args.model)
    return CommandResult(result.to_dict(), result.summary())


def _add_map(sub) -> None:
    p = sub.add_parser("map", help="2-D map of the embeddings (UMAP, or PCA preview)")
    p.add_argument("name", help="dataset name")
    p.add_argument("--method", default="umap", choices=["umap", "pca"])
    p.add_argument("--n-neighbors", type=int, default=15)
    p.add_argument("--min-dist", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default=None, help="which embeddings (default: the latest)")
    p.set_defaults(func=_cmd_map)


def _cmd_gaps(args: argparse.Namespace) -> CommandResult:
    from .glue.fo import get_dataset
    from .glue.gaps import find_gaps

    gaps = find_gaps(get_dataset(args.name), by=args.by, targets=args.targets,
                     concepts=args.concepts, clusters=not args.no_clusters, model=args.model)
    payload = gaps.to_dict()
    text = gaps.summary()
    if args.html:
        payload["html"] = str(gaps.to_html(args.html).resolve())
        text += f"\ncoverage report: {payload['html']}"
    return CommandResult(payload, text)


def _add_gaps(sub) -> None:
    p = sub.add_parser("gaps", help="representation, creator concentration, clusters, probes")
    p.add_argument("name", help="dataset name")
    p.add_argument("--by", required=True, metavar="FIELD", help="metadata field to group by")
    p.add_argument("--targets", metavar="F", help="target shares: JSON object or CSV value,target")
    p.add_argument("--concepts", metavar="F", help="text file, one concept per line (needs CLIP)")
    p.add_argument("--html", metavar="F", help="write the HTML coverage report here")
    p.add_argument("--no-clusters", action="store_true", help="skip clustering")
    p.add_argument("--model", default=None, help="which embeddings (default: the latest)")
    p.set_defaults(func=_cmd_gaps)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Palette Workbench: curate small, diverse, rights-clean image datasets.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true",
                        help="print one JSON object on stdout; human text goes to stderr")
    common.add_argument("--no-progress", action="store_true", help="hide progress bars")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=lambda **kw: argparse.ArgumentParser(
                                    parents=[common], **kw))
    d = sub.add_parser("doctor", help="versions, database, which embedders work offline")
    d.set_defaults(func=_cmd_doctor)
    _add_load(sub)
    _add_embed(sub)
    _add_map(sub)
    _add_gaps(sub)
    from .cli_more import register

    register(sub)
    return parser


def _emit(result: CommandResult, as_json: bool, out) -> None:
    if as_json:
        print(result.text, file=sys.stderr)
        print(json.dumps(result.payload, default=str), file=out)
    else:
        print(result.text, file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING, format="workbench: %(levelname)s: %(message)s")
    out = sys.stdout
    try:
        # With --json, stdout carries exactly one JSON object: anything libraries print
        # (FiftyOne logs to stdout) goes to stderr instead.
        with contextlib.redirect_stdout(sys.stderr if args.json else out):
            result = args.func(args)
    except USAGE_ERRORS as exc:
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"workbench {args.command}: error: {message}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": message, "type": type(exc).__name__}), file=out)
        return 2
    except KeyboardInterrupt:
        print(f"workbench {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        print(f"workbench {args.command}: failed: {type(exc).__name__}: {exc}\n"
              "(set WORKBENCH_DEBUG=1 for the traceback)", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(exc), "type": type(exc).__name__}), file=out)
        return 1
    _emit(result, args.json, out)
    return result.code


if __name__ == "__main__":
    sys.exit(main())
