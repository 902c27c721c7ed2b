"""``workbench buckets``: kohya's aspect-ratio buckets for a selection, before training."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..exporters.buckets import BucketConfig
from ..glue.buckets import buckets
from .base import CommandResult, bound, bound_options, positive_int


def bucket_config(args: argparse.Namespace) -> BucketConfig:
    """The :class:`BucketConfig` the options describe."""
    return BucketConfig(resolution=args.resolution, min_reso=args.min_reso,
                        max_reso=args.max_reso, step=args.step, no_upscale=args.no_upscale,
                        batch_size=args.batch_size)


def _cmd_buckets(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset

    c = bucket_config(args)
    result = buckets(get_dataset(args.name), tag=args.tag, resolution=c.resolution,
                     min_reso=c.min_reso, max_reso=c.max_reso, step=c.step,
                     no_upscale=c.no_upscale, batch_size=c.batch_size, config=c)
    payload = result.to_dict()
    text = result.summary()
    if args.html:
        path = Path(args.html)
        path.parent.mkdir(parents=True, exist_ok=True)
        from ..exporters.html import fig_to_data_uri

        chart = fig_to_data_uri(result.plot().figure)
        path.write_text(f'<!doctype html><meta charset="utf-8"><title>kohya buckets</title>'
                        f'<pre>{_escape(text)}</pre><img src="{chart}">{result.plan.html()}',
                        encoding="utf-8")
        payload["html"] = str(path)
        text += f"\nchart and most-cut images: {path}"
    return CommandResult(payload, text)


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def register(sub) -> None:
    p = sub.add_parser("buckets", help="preview kohya's aspect-ratio buckets: images per bucket, "
                                       "scale and cut per image")
    p.add_argument("name", help="dataset name")
    bound(p, "--tag", owner=buckets, field="tag", help="the selection's tag")
    bound_options(p, BucketConfig, [
        ("--resolution", "resolution", positive_int,
         "training resolution (the bucket area is its square)"),
        ("--min-reso", "min_reso", positive_int, "smallest bucket side (--min_bucket_reso)"),
        ("--max-reso", "max_reso", positive_int, "largest bucket side (--max_bucket_reso)"),
        ("--step", "step", positive_int, "bucket side step (--bucket_reso_steps)"),
        ("--no-upscale", "no_upscale", None,
         "--bucket_no_upscale, as the workbench's kohya export writes it",
         {"action": "store_true"}),
        ("--batch-size", "batch_size", positive_int,
         "warn about buckets holding fewer images than this")])
    p.add_argument("--html", metavar="F", help="also write the chart and the most-cut images "
                                               "to this HTML file")
    p.set_defaults(func=_cmd_buckets)
