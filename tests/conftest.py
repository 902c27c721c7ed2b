"""Test isolation for every test: throw-away caches, offline model hubs, no database.

Tests under ``pure/`` never start a database. Tests under ``dataset/`` get a private
MongoDB from ``dataset/conftest.py``. Until then FiftyOne is pointed at an address where
nothing listens, so a test that reached it by mistake fails at once instead of touching
a user's database. Helpers shared by the tests live in ``tests/helpers/``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

TMP = Path(tempfile.mkdtemp(prefix="wb-tests-"))
# Exit hooks run last-in first-out: this one runs after a private mongod has stopped.
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
os.environ["FIFTYONE_DATABASE_DIR"] = str(TMP / "db")
os.environ["FIFTYONE_DATABASE_URI"] = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=2000"
os.environ["FIFTYONE_DO_NOT_TRACK"] = "true"
os.environ["WORKBENCH_CACHE_DIR"] = str(TMP / "cache")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "palette-workbench" / "numba"))
os.environ["HF_HUB_OFFLINE"] = os.environ.get("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_data() -> Path:
    return SAMPLE_DATA


@pytest.fixture(scope="session")
def real_corpus() -> Path:
    """The Tux Paint stamps (about 800 real clip-art PNGs in 16 category folders).

    ``make setup`` fetches them; a fresh machine without them fetches them here.
    """
    import importlib.util

    spec = importlib.util.spec_from_file_location("real_corpus", REPO / "scripts" / "real_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        return module.fetch()
    except (OSError, RuntimeError) as exc:
        pytest.fail(f"the real corpus could not be fetched ({exc}); run "
                    "`python scripts/real_corpus.py` on a machine that reaches Debian's archive")


@pytest.fixture(scope="session")
def real_items(real_corpus):
    """Every real stamp as a :class:`helpers.realdata.RealItem` (path, category, caption)."""
    from helpers.realdata import real_items as items

    return items(real_corpus)


@pytest.fixture(scope="session")
def real_embeddings(real_items):
    """Bundled-model unit embeddings of ``real_items``, in the same order (no database)."""
    from helpers.realdata import embed_paths

    return embed_paths([it.path for it in real_items], TMP / "cache")
