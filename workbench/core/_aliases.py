"""The flat module paths of ``workbench.core`` before it had rooms, kept for one release.

``import workbench.core.quality_scores`` (and every other module that moved into a room)
still works: it gives a thin module that forwards every attribute to the module's new home
and warns with a DeprecationWarning naming it. The four rooms that took an old module's name
(``quality``, ``rights``, ``dedup``, ``selection``) forward that module's names
themselves (see their ``__init__``). Written by hand rather than as 30 one-line files,
so that ``ls workbench/core`` shows the rooms and nothing else; the finder sits last
on ``sys.meta_path``, so it is asked only about names no real module has.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

_PREFIX = "workbench.core."

#: Old flat module -> its home now, relative to ``workbench.core``.
MOVED: dict[str, str] = {
    "dedup": "dedup.candidates",
    "dedup_keep": "dedup.keep",
    "dedup_rules": "dedup.rules",
    "cells": "intake.cells",
    "inspect": "intake.inspect",
    "manifest": "intake.manifest",
    "manifest_template": "intake.manifest_template",
    "records": "intake.records",
    "label_issues": "labels.label_issues",
    "cluster_names": "maps.cluster_names",
    "clustering": "maps.clustering",
    "density": "maps.density",
    "gaps": "maps.gaps",
    "probes": "maps.probes",
    "projection": "maps.projection",
    "embeddings": "neighbours.embeddings",
    "faiss_index": "neighbours.faiss_index",
    "knn": "neighbours.knn",
    "color": "pixels.color",
    "hashing": "pixels.hashing",
    "images": "pixels.images",
    "largeimage": "pixels.largeimage",
    "quality": "quality.checks",
    "quality_result": "quality.result",
    "quality_scores": "quality.scores",
    "rights": "rights.licenses",
    "optout": "rights.optout",
    "rights_filter": "rights.policy",
    "precedence": "rights.precedence",
    "provenance": "rights.provenance",
    "balance": "selection.balance",
    "compare": "selection.compare",
    "select_config": "selection.config",
    "diversity": "selection.diversity",
    "groups": "selection.groups",
    "selection_result": "selection.result",
    "selection": "selection.select",
}

#: Old names that are rooms now; their names resolve in the room itself, without a warning.
ROOMS_WITH_OLD_NAMES = ("dedup", "quality", "rights", "selection")


def _caller_stacklevel() -> int:
    """The stack level of the first frame outside importlib and this module, so that the
    warning points at the user's import line (Jupyter shows it there)."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename.startswith("<frozen importlib")
                                 or frame.f_code.co_filename == __file__):
        frame, level = frame.f_back, level + 1
    return level


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``workbench.core.<old>`` and loads it as a module that forwards to the new one."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(_PREFIX) or fullname[len(_PREFIX):] not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        new = _PREFIX + MOVED[module.__name__[len(_PREFIX):]]
        warnings.warn(f"{module.__name__} moved to {new}; import it from there (the old path "
                      "goes in the next release)", DeprecationWarning,
                      stacklevel=_caller_stacklevel())
        target = importlib.import_module(new)

        def __getattr__(name: str):
            return getattr(target, name)

        module.__getattr__ = __getattr__
        module.__all__ = list(getattr(target, "__all__",
                                      [n for n in vars(target) if not n.startswith("_")]))
        module.__doc__ = f"Moved to :mod:`{new}`."


def install() -> None:
    """Put the finder last on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
