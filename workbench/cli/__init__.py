"""The ``workbench`` command line.

Every command takes ``--json``: it then prints one JSON object on stdout and its
human-readable text on stderr. Exit codes: 0 success, 1 failure, 2 bad usage or input.
One module per command group; each registers its sub-commands on the parser.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence

from . import (annotate, app, atlas, buckets, doctor, embed, explore, export, load, plugin, run,
               select)
from .base import USAGE_ERRORS, CommandResult

#: Command groups, in the order ``workbench --help`` lists them.
GROUPS = (doctor, load, embed, explore, atlas, select, annotate, buckets, export, run, app, plugin)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error asked for with ``--json`` also prints the JSON object."""

    want_json = False

    def error(self, message: str):
        if _Parser.want_json:
            print(json.dumps({"error": f"{self.prog}: {message}", "type": "UsageError"}))
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    """The whole ``workbench`` parser."""
    parser = _Parser(
        prog="workbench",
        description="Palette Workbench: curate small, diverse, rights-clean image datasets.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true",
                        help="print one JSON object on stdout; human text goes to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=lambda **kw: _Parser(parents=[common], **kw))
    for group in GROUPS:
        group.register(sub)
    return parser


def _emit(result: CommandResult, as_json: bool, out) -> None:
    if as_json:
        print(result.text, file=sys.stderr)
        print(json.dumps(result.payload, default=str), file=out)
    elif result.text:
        print(result.text, file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    _Parser.want_json = "--json" in (sys.argv[1:] if argv is None else list(argv))
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
        print(f"workbench {args.command}: interrupted; what was done is saved, and running "
              "the same command again resumes", file=sys.stderr)
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
