"""The examples in the public API's docstrings run (those marked ``+SKIP`` need a dataset)."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

import workbench as wb

#: Every module behind the public API, plus the shared vocabulary and the seams.
MODULES = sorted({module for module, _ in wb._API.values()}
                 | {"workbench.schema", "workbench.errors", "workbench.glue.state",
                    "workbench.core.intake.records", "workbench.core.pixels.largeimage",
                    "workbench.exporters.captions", "workbench.exporters.kohya"})


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"wb": wb, "np": np}, report=False,
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_public_api_has_examples():
    attempted = sum(doctest.testmod(importlib.import_module(m), extraglobs={"wb": wb, "np": np},
                                    report=False, optionflags=doctest.ELLIPSIS).attempted
                    for m in MODULES)
    assert attempted >= 40
