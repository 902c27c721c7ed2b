"""``workbench doctor``: versions, database, which embedders work offline."""

from __future__ import annotations

import argparse

from .base import CommandResult


def _cmd_doctor(args: argparse.Namespace) -> CommandResult:
    from ..diagnostics import format_doctor, run_doctor

    report = run_doctor()
    return CommandResult(report, format_doctor(report), 0 if report["ok"] else 1)


def register(sub) -> None:
    p = sub.add_parser("doctor", help="versions, database, which embedders work offline")
    p.set_defaults(func=_cmd_doctor)
