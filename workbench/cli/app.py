"""``workbench app``: the FiftyOne App on 127.0.0.1."""

from __future__ import annotations

import argparse

from ..glue.app import open_in_app
from .base import CommandResult, bound


def _cmd_app(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset

    open_in_app(get_dataset(args.name), port=args.port, wait=True)
    return CommandResult({"port": args.port}, "App closed")


def register(sub) -> None:
    p = sub.add_parser("app", help="serve the FiftyOne App on 127.0.0.1")
    p.add_argument("name", help="dataset name")
    bound(p, "--port", owner=open_in_app, field="port", type=int, help="port to serve on")
    p.set_defaults(func=_cmd_app)
