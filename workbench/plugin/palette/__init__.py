"""The Palette plugin: a panel and operators over the public ``workbench`` API.

FiftyOne imports this file from its plugins directory under a name of its own, so the
modules are imported by their package names.
"""

from __future__ import annotations


def register(p) -> None:
    """Register the Palette panel and the workbench's operators with FiftyOne."""
    from workbench.plugin.palette.operators import OPERATORS
    from workbench.plugin.palette.panel import PalettePanel

    p.register(PalettePanel)
    for operator in OPERATORS:
        p.register(operator)
