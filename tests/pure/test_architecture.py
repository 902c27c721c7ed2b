"""The package's shape: no import cycle anywhere, rooms in ``core``, old paths kept.

import-linter (run by ``make test``) checks the layers and the rooms' contracts; this
checks what a contract cannot say: that no group of modules imports itself round in a
circle, whatever layer they sit in.
"""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import numpy as np
import pytest

import workbench

PACKAGE_DIR = Path(workbench.__file__).parent


def import_cycles(package: str) -> list[list[str]]:
    """Every set of modules of ``package`` that import one another in a circle.

    The import graph comes from grimp (import-linter's graph, lazy imports inside functions
    included); its strongly connected components with more than one module are the cycles.
    """
    import grimp
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    graph = grimp.build_graph(package)
    modules = sorted(graph.modules)
    index = {m: i for i, m in enumerate(modules)}
    edges = [(index[a], index[b]) for a in modules
             for b in graph.find_modules_directly_imported_by(a) if b in index and b != a]
    rows, cols = zip(*edges) if edges else ((), ())
    adjacency = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(modules),) * 2)
    n, labels = connected_components(adjacency, directed=True, connection="strong")
    groups = [[modules[i] for i in np.flatnonzero(labels == k)] for k in range(n)]
    return [g for g in groups if len(g) > 1]


def test_no_import_cycle_in_the_package():
    assert import_cycles("workbench") == []


def test_the_cycle_check_finds_a_planted_cycle(tmp_path, monkeypatch):
    pkg = tmp_path / "circle"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .c import g\n")  # lazy imports count too
    (pkg / "c.py").write_text("from .a import b\n")
    (pkg / "d.py").write_text("from . import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("circle") == [["circle.a", "circle.b", "circle.c"]]


def test_core_holds_rooms_and_shared_helpers_only():
    core = PACKAGE_DIR / "core"
    rooms = sorted(p.name for p in core.iterdir() if p.is_dir() and p.name != "__pycache__")
    loose = sorted(p.name for p in core.glob("*.py"))
    assert rooms == ["annotation", "dedup", "intake", "labels", "maps", "neighbours", "pixels",
                     "quality", "rights", "selection"]
    assert loose == ["__init__.py", "_aliases.py", "_threads.py", "results.py", "versions.py"]
    for room in rooms:
        doc = importlib.import_module(f"workbench.core.{room}").__doc__
        assert doc and "import" in doc.lower(), f"workbench.core.{room} says what it holds and imports"


@pytest.mark.parametrize("old", sorted(__import__("workbench.core._aliases",
                                                  fromlist=["MOVED"]).MOVED))
def test_old_module_paths_still_import_with_a_deprecation_warning(old):
    from workbench.core._aliases import MOVED, ROOMS_WITH_OLD_NAMES

    new = importlib.import_module(f"workbench.core.{MOVED[old]}")
    public = getattr(new, "__all__", None) or [n for n in vars(new) if not n.startswith("_")
                                              and getattr(vars(new)[n], "__module__", "")
                                              == new.__name__]
    if old in ROOMS_WITH_OLD_NAMES:  # the room itself answers for the old module's names
        room = importlib.import_module(f"workbench.core.{old}")
        for name in public:
            assert getattr(room, name) is getattr(new, name)
        return
    import sys
    sys.modules.pop(f"workbench.core.{old}", None)
    with pytest.warns(DeprecationWarning, match=f"workbench.core.{old} moved to "
                                                f"workbench.core.{MOVED[old]}"):
        alias = importlib.import_module(f"workbench.core.{old}")
    for name in public:
        assert getattr(alias, name) is getattr(new, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(f"from workbench.core.{old} import *", {})  # noqa: S102


def test_public_api_resolves():
    for name in workbench.__all__:
        assert getattr(workbench, name) is not None
