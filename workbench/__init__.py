"""Palette Workbench: curate small, diverse, rights-clean image datasets for fine-tuning.

The public API. Everything heavy (FiftyOne, torch) is imported on first use, so
``import workbench`` is fast and starts nothing.

Examples
--------
>>> import workbench as wb
>>> report = wb.load("sample_data", name="sample")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> (module, attribute)
_API = {
    "load": ("workbench.glue.load", "load"),
    "LoadConfig": ("workbench.glue.load", "LoadConfig"),
    "LoadReport": ("workbench.glue.load", "LoadReport"),
    "get_dataset": ("workbench.glue.fo", "get_dataset"),
    "usable": ("workbench.glue.fo", "usable"),
    "doctor": ("workbench.doctor", "run_doctor"),
    "read_manifest": ("workbench.core.manifest", "read_manifest"),
    "check_license": ("workbench.core.rights", "check_license"),
    "read_optout": ("workbench.core.optout", "read_optout"),
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str):
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
