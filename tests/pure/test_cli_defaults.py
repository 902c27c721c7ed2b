"""One set of defaults: every CLI option that fills a config takes that config's default."""

from __future__ import annotations

import argparse

import pytest

import workbench as wb
from workbench.cli import build_parser
from workbench.cli.base import owner_default
from workbench.cli.embed import embed_config
from workbench.cli.explore import map_config
from workbench.cli.export import export_config
from workbench.cli.load import load_config
from workbench.cli.run import journey_config
from workbench.cli.select import select_config
from workbench.journey import JourneyConfig

#: Options that are the CLI's own (they fill no config): where output goes, what to read.
CLI_ONLY = {"help", "json", "name", "out", "manifest", "labels_from_folders", "optout",
            "targets", "concepts", "html", "no_dedup", "format", "allow_license"}


def _subparsers(parser: argparse.ArgumentParser, prefix: str = ""):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix}{name}", sub
                yield from _subparsers(sub, f"{prefix}{name} ")


def _all_options():
    for command, sub in _subparsers(build_parser()):
        for action in sub._actions:
            if action.option_strings:
                yield command, action


@pytest.mark.parametrize("argv,build,expected", [
    (["load", "SRC", "--name", "x"], load_config, wb.LoadConfig()),
    (["embed", "x"], embed_config, wb.EmbedConfig()),
    (["map", "x"], map_config, wb.MapConfig()),
    (["select", "x", "--n", "5", "--by", "style"], select_config, wb.SelectConfig()),
    (["export", "x", "--format", "kohya", "--out", "o"], export_config, wb.ExportConfig()),
    (["run", "SRC", "--out", "o"], journey_config, JourneyConfig()),
])
def test_a_command_without_options_builds_the_default_config(argv, build, expected):
    args = build_parser().parse_args(argv)
    assert build(args) == expected


def test_every_option_with_a_default_takes_it_from_the_config_it_fills():
    unbound, mismatched, checked = [], [], 0
    for command, action in _all_options():
        owner_field = getattr(action, "bound_to", None)
        if owner_field is None:
            if action.dest in CLI_ONLY or action.required or action.default in (None, False):
                continue
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            unbound.append(f"{command} {action.option_strings[0]} (default {action.default!r})")
            continue
        checked += 1
        owner, field = owner_field
        if action.default != owner_default(owner, field):
            mismatched.append(f"{command} {action.option_strings[0]}: {action.default!r} vs "
                              f"{owner.__name__}.{field} = {owner_default(owner, field)!r}")
    assert not unbound, f"options with a hand-written default: {unbound}"
    assert not mismatched, mismatched
    assert checked >= 30, f"only {checked} bound options found"


def test_every_option_and_argument_has_help_text():
    missing = [f"{command} {action.dest}" for command, sub in _subparsers(build_parser())
               for action in sub._actions if not action.help]
    assert not missing


def test_no_progress_is_offered_only_where_progress_is_shown():
    offered = {command for command, action in _all_options() if action.dest == "progress"}
    assert offered == {"load", "embed", "run"}
