"""``workbench app``: the FiftyOne App on 127.0.0.1, opened on the Palette panel."""

from __future__ import annotations

import argparse

from ..glue.app import open_in_app
from ..glue.plugins import DEFAULT_EXPORTS
from .base import CommandResult, bound


def _cmd_app(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset

    open_in_app(get_dataset(args.name), port=args.port, color_by=args.color_by,
                exports=args.exports, wait=True)
    return CommandResult({"port": args.port}, "App closed")


def register(sub) -> None:
    p = sub.add_parser("app", help="serve the FiftyOne App on 127.0.0.1, opened on the "
                                   "Palette panel")
    p.add_argument("name", help="dataset name")
    bound(p, "--port", owner=open_in_app, field="port", type=int, help="port to serve on")
    bound(p, "--color-by", owner=open_in_app, field="color_by",
          help="the field that colours the map (none: the labels, else the clusters)")
    bound(p, "--exports", owner=open_in_app, field="exports",
          help=f"the only folder the App's export operator may write under (none: "
               f"$WORKBENCH_EXPORTS, else {DEFAULT_EXPORTS})")
    p.set_defaults(func=_cmd_app)
