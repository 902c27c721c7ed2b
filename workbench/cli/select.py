"""``workbench select``: a balanced, deduplicated, rights-clean subset."""

from __future__ import annotations

import argparse

from ..core.dedup.candidates import DedupConfig
from ..core.rights.policy import RightsPolicy
from ..core.selection.select import STRATEGIES, SelectConfig
from ..glue.select import select_balanced
from .base import CommandResult, bound, bound_options, by_option, embeddings_option, positive_int


def rights_policy(args: argparse.Namespace) -> RightsPolicy:
    """The :class:`RightsPolicy`: the default allowlist plus any ``--allow-license``."""
    return RightsPolicy().also_allow(*(args.allow_license or ()))


def add_rights_policy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-license", action="append", metavar="SPDX",
                        help="also allow this licence (repeatable); by default public domain, "
                             "CC0, CC BY and CC BY-SA are allowed")


def select_config(args: argparse.Namespace) -> SelectConfig:
    """The :class:`SelectConfig` the options describe."""
    dedup = None if args.no_dedup else DedupConfig(threshold=args.threshold,
                                                   mirrors_are_copies=args.mirrors_are_copies)
    quality = () if args.keep_quality_flagged else SelectConfig().exclude_quality
    return SelectConfig(strategy=args.strategy, seed=args.seed, creator_cap=args.creator_cap,
                        dedup=dedup, rights=rights_policy(args), exclude_quality=quality)


def _cmd_select(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset

    sel = select_balanced(get_dataset(args.name), args.n, by=args.by,
                          config=select_config(args), tag=args.tag, model=args.model,
                          optout=args.optout)
    registry = sel.params.get("optout_registry") or {}
    payload = {**sel.summary_dict(), "tag": args.tag, "optout_registry": registry}
    text = sel.summary(tag=args.tag)
    if registry.get("removed"):
        text += (f"\nthe opt-out registry removed {registry['removed']} more since loading "
                 f"({registry['matched_since_load']})")
    return CommandResult(payload, text)


def add_balance_options(parser: argparse.ArgumentParser) -> None:
    """``--strategy``, ``--seed``, ``--creator-cap``, ``--dedup-threshold``,
    ``--mirrors-are-copies``, ``--no-dedup``, ``--keep-quality-flagged``."""
    bound_options(parser, SelectConfig, [
        ("--strategy", "strategy", None,
         "cap: even caps, random picks; diverse: even caps, spread-out picks; quota",
         {"choices": list(STRATEGIES)}),
        ("--seed", "seed", int, "random seed, recorded with the selection"),
        ("--creator-cap", "creator_cap", float,
         "at most this many images per creator: a fraction of N (< 1) or a count")])
    bound_options(parser, DedupConfig, [
        ("--dedup-threshold", "threshold", float,
         ("for images without a colour signature (loaded by an older version): "
          "embedding cosine at or above which two may be near duplicates")),
        ("--mirrors-are-copies", "mirrors_are_copies", None,
         ("count a mirror image as a copy (for training with flip augmentation); by "
          "default mirror pairs are kept and listed for review"), {"action": "store_true"})])
    parser.add_argument("--no-dedup", action="store_true",
                        help="skip near-duplicate removal (exact copies still collapse)")
    parser.add_argument("--keep-quality-flagged", action="store_true",
                        help="keep images the quality checks flag as blank, dark, washed out "
                             "or blurry (by default they are excluded, reason quality:<check>)")


def register(sub) -> None:
    p = sub.add_parser("select", help="balanced, deduplicated, rights-clean subset")
    p.add_argument("name", help="dataset name")
    p.add_argument("--n", type=positive_int, required=True, help="how many images to select")
    by_option(p, "field to balance across")
    add_balance_options(p)
    add_rights_policy_options(p)
    bound(p, "--tag", owner=select_balanced, field="tag",
          help="tag (and saved view) that holds the selection")
    embeddings_option(p, select_balanced)
    p.add_argument("--optout", metavar="F",
                   help="opt-out registry to apply (default: the one given at load)")
    p.set_defaults(func=_cmd_select)
