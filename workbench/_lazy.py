"""Public names resolved on first use, so importing a package imports nothing heavy.

Used by ``workbench`` and ``workbench.exporters``: each keeps a table of public name ->
(module, attribute), and this builds the module-level ``__getattr__`` and ``__dir__``
(PEP 562) that import the module when a name is first asked for.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_attributes(package: str, table: Mapping[str, tuple[str, str]],
                    public: list[str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package`` that resolve the names in ``table``."""

    def __getattr__(name: str):
        try:
            module, attr = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attr)
        setattr(sys.modules[package], name, value)  # resolved once
        return value

    def __dir__() -> list[str]:
        return public

    return __getattr__, __dir__


def forward_attributes(package: str, module: str) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package`` that resolve any public name of ``module``.

    A room of ``workbench.core`` whose name an earlier flat module had
    (``workbench.core.quality`` was one module, now a sub-package) keeps that module's
    names importable from the room, resolved on first use.
    """

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            value = getattr(importlib.import_module(module), name)
        except AttributeError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        target = importlib.import_module(module)
        return sorted(getattr(target, "__all__", [n for n in vars(target) if not n.startswith("_")]))

    return __getattr__, __dir__
