"""``workbench atlas``: the collection's thumbnails on its map, each in a cell of its own."""

from __future__ import annotations

import argparse

from ..core.maps.atlas import AtlasConfig
from ..glue.atlas import atlas
from ..glue.maps import METHODS
from .base import CommandResult, bound, bound_options, positive_int


def atlas_config(args: argparse.Namespace) -> AtlasConfig:
    """The :class:`AtlasConfig` the options describe."""
    return AtlasConfig(n=args.n, cell_px=args.cell_px, seed=args.seed)


def _cmd_atlas(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset

    config = atlas_config(args)
    result = atlas(get_dataset(args.name), by=args.by, n=config.n, tag=args.tag,
                   cell_px=config.cell_px, seed=config.seed, method=args.method, config=config,
                   progress=not args.json)
    result.save(args.out)
    return CommandResult(result.to_dict(), result.summary())


def register(sub) -> None:
    p = sub.add_parser("atlas", help="thumbnails placed on the map without overlap, as one PNG")
    p.add_argument("name", help="dataset name")
    p.add_argument("--out", required=True, metavar="F", help="PNG file to write")
    bound_options(p, atlas, [
        ("--tag", "tag", None, "only the samples with this tag"),
        ("--by", "by", None, "frame thumbnails by this field (none: by cluster, when clustered)",
         {"metavar": "FIELD"})])
    bound_options(p, AtlasConfig, [
        ("--n", "n", positive_int, "at most this many thumbnails, sampled stratified by cluster"),
        ("--cell-px", "cell_px", positive_int,
         "cell size in pixels (none: fit the image to at least 2048 px wide)"),
        ("--seed", "seed", int, "random seed of the sample")])
    bound(p, "--method", owner=atlas, field="method", choices=list(METHODS),
          help="which stored map (none: UMAP when there is one)")
    p.set_defaults(func=_cmd_atlas)
