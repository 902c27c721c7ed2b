"""``workbench export``: a selection, written for fine-tuning."""

from __future__ import annotations

import argparse

from ..exporters.captions import CaptionConfig
from ..exporters.config import BALANCE_MODES, ExportConfig
from ..exporters.images import MODES, ImageConfig
from ..glue.export import EXPORT_FORMATS, export
from .base import CommandResult, bound, positive_int


def image_config(args: argparse.Namespace) -> ImageConfig:
    """The :class:`ImageConfig` the options describe."""
    return ImageConfig(mode=args.mode, resolution=args.resolution)


def export_config(args: argparse.Namespace) -> ExportConfig:
    """The :class:`ExportConfig` the options describe."""
    return ExportConfig(images=image_config(args), overwrite=args.overwrite,
                        balance=args.balance, captions=CaptionConfig(trigger=args.trigger))


def _cmd_export(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset

    report = export(get_dataset(args.name), format=args.format, out=args.out, tag=args.tag,
                    config=export_config(args))
    return CommandResult(report.to_dict(), report.summary())


def add_image_options(parser: argparse.ArgumentParser) -> None:
    """``--resize``, ``--resolution`` and ``--overwrite``."""
    bound(parser, "--resize", owner=ImageConfig, field="mode", choices=list(MODES),
          help="keep: original size for bucketing; resize: shorter side to RESOLUTION; "
               "center_crop: RESOLUTION squares")
    bound(parser, "--resolution", owner=ImageConfig, field="resolution", type=positive_int,
          help="training resolution in pixels (never upscaled)")
    bound(parser, "--overwrite", owner=ExportConfig, field="overwrite", action="store_true",
          help="replace OUT when it holds an earlier export")


def register(sub) -> None:
    p = sub.add_parser("export", help="export a selection for fine-tuning")
    p.add_argument("name", help="dataset name")
    bound(p, "--tag", owner=export, field="tag", help="the selection's tag")
    p.add_argument("--format", required=True, choices=list(EXPORT_FORMATS),
                   help="kohya folders + TOML, HF imagefolder, a CSV manifest, or FiftyOne")
    p.add_argument("--out", required=True, help="export folder (missing or empty)")
    add_image_options(p)
    bound(p, "--trigger", owner=CaptionConfig, field="trigger", metavar="TOKEN",
          help="a token put first in every caption (kohya keeps it there when shuffling)")
    bound(p, "--balance", owner=ExportConfig, field="balance", choices=list(BALANCE_MODES),
          help="drop: the selection as it is; repeats (kohya): every eligible image, with "
               "num_repeats set so the groups' effective shares meet the selection's targets")
    p.set_defaults(func=_cmd_export)
