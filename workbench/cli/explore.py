"""``workbench map`` and ``workbench gaps``: see where a collection is crowded and empty."""

from __future__ import annotations

import argparse

from ..core.maps.projection import MapConfig
from ..core.quality.checks import CHECKS, QualityPolicy
from ..glue.gaps import find_gaps
from ..glue.maps import METHODS, compute_map
from .base import CommandResult, bound, bound_options, by_option, embeddings_option


def map_config(args: argparse.Namespace) -> MapConfig:
    """The :class:`MapConfig` the options describe."""
    return MapConfig(n_neighbors=args.n_neighbors, min_dist=args.min_dist, seed=args.seed)


def _cmd_map(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset

    result = compute_map(get_dataset(args.name), method=args.method, config=map_config(args),
                         model=args.model)
    return CommandResult(result.to_dict(), result.summary())


def _cmd_gaps(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset

    gaps = find_gaps(get_dataset(args.name), by=args.by, targets=args.targets,
                     concepts=args.concepts, clusters=args.clusters, model=args.model)
    payload = gaps.to_dict()
    text = gaps.summary()
    if args.html:
        payload["html"] = str(gaps.to_html(args.html).resolve())
        text += f"\ncoverage report: {payload['html']}"
    return CommandResult(payload, text)


def _cmd_quality(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset
    from ..glue.quality import check_quality

    policy = QualityPolicy(resolution=args.resolution, max_aspect=args.max_aspect,
                           exclude=tuple(args.exclude) if args.exclude is not None
                           else QualityPolicy().exclude)
    report = check_quality(get_dataset(args.name), policy)
    return CommandResult(report.to_dict(), report.summary())


def register(sub) -> None:
    p = sub.add_parser("map", help="2-D map of the embeddings (UMAP, or PCA preview)")
    p.add_argument("name", help="dataset name")
    bound(p, "--method", owner=compute_map, field="method", choices=list(METHODS),
          help="umap, or pca for a fast preview")
    bound_options(p, MapConfig, [
        ("--n-neighbors", "n_neighbors", int,
         "UMAP neighbourhood size: larger keeps more global structure"),
        ("--min-dist", "min_dist", float, "UMAP minimum distance between points on the map"),
        ("--seed", "seed", int, "random seed: the same seed gives the same map")])
    embeddings_option(p, compute_map)
    p.set_defaults(func=_cmd_map)

    p = sub.add_parser("gaps", help="representation, creator concentration, clusters, probes")
    p.add_argument("name", help="dataset name")
    by_option(p, "metadata field to group by")
    p.add_argument("--targets", metavar="F",
                   help="target shares: a JSON object {value: share} or a CSV value,target")
    p.add_argument("--concepts", metavar="F", help="text file, one concept per line (needs CLIP)")
    p.add_argument("--html", metavar="F", help="write the HTML coverage report here")
    bound(p, "--no-clusters", owner=find_gaps, field="clusters", action="store_false",
          help="skip clustering")
    embeddings_option(p, find_gaps)
    p.set_defaults(func=_cmd_gaps)

    p = sub.add_parser("quality", help="blank, dark, washed out, blurry, padded, small or "
                                       "extreme-aspect images, judged against the collection")
    p.add_argument("name", help="dataset name")
    bound_options(p, QualityPolicy, [
        ("--resolution", "resolution", int,
         "training resolution: smaller images are flagged below_resolution"),
        ("--max-aspect", "max_aspect", float,
         "long side / short side above which an image is flagged extreme_aspect")])
    p.add_argument("--exclude", nargs="*", choices=list(CHECKS), metavar="CHECK",
                   help="checks whose flag excludes an image from selection (default: "
                        f"{' '.join(QualityPolicy().exclude)}; any of {', '.join(CHECKS)})")
    p.set_defaults(func=_cmd_quality)
