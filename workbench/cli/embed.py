"""``workbench embed``: image embeddings, cached and resumable."""

from __future__ import annotations

import argparse

from ..glue.embed import EmbedConfig
from .base import CommandResult, auto_or_positive_int, bound, progress_option
from .load import add_engine_option


def embed_config(args: argparse.Namespace) -> EmbedConfig:
    """The :class:`EmbedConfig` the options describe."""
    return EmbedConfig(model=args.model, device=args.device, batch_size=args.batch_size,
                       progress=args.progress, engine=args.engine,
                       backend=args.backend)


def _cmd_embed(args: argparse.Namespace) -> CommandResult:
    from ..glue.embed import embed
    from ..glue.fo import get_dataset

    report = embed(get_dataset(args.name), config=embed_config(args))
    return CommandResult(report.to_dict(), report.summary())


def add_model_option(parser: argparse.ArgumentParser, owner=EmbedConfig) -> None:
    bound(parser, "--model", owner=owner, field="model",
          help="auto | clip | bundled | OPENCLIP_NAME:PRETRAINED_TAG_OR_PATH")
    bound(parser, "--backend", owner=owner, field="backend",
          choices=["auto", "torch", "onnx", "onnx-int8"],
          help="what runs the image model: auto (torch on a GPU, ONNX Runtime on a CPU), "
               "torch, onnx (fp32) or onnx-int8 (dynamic int8, its own cache)")


def register(sub) -> None:
    p = sub.add_parser("embed", help="compute image embeddings (cached, resumable)")
    p.add_argument("name", help="dataset name")
    add_model_option(p)
    bound(p, "--device", owner=EmbedConfig, field="device",
          help="auto | cpu | cuda | cuda:N")
    bound(p, "--batch-size", owner=EmbedConfig, field="batch_size", type=auto_or_positive_int,
          help="images per forward pass; auto: the model's best on this device")
    add_engine_option(p, EmbedConfig)
    progress_option(p, EmbedConfig)
    p.set_defaults(func=_cmd_embed)
