"""Test isolation: a throw-away FiftyOne database, embedding cache and numba cache.

Set before anything imports fiftyone, so no test touches the user's database.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="wb-tests-"))
# Exit hooks run last-in first-out: this one runs after the private mongod has stopped.
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ["FIFTYONE_DATABASE_DIR"] = str(_TMP / "db")
# Our own mongod: FiftyOne would otherwise attach to any FiftyOne database already
# running on the machine, whatever FIFTYONE_DATABASE_DIR says.
from workbench.glue.privatedb import start_private_database  # noqa: E402

start_private_database(_TMP / "db")
os.environ["FIFTYONE_DO_NOT_TRACK"] = "true"
os.environ["WORKBENCH_CACHE_DIR"] = str(_TMP / "cache")
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


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run ``workbench ARGS`` in a subprocess with the test environment."""
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        capture_output=True, text=True, env=os.environ.copy(), timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"workbench {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


@pytest.fixture
def cli():
    return run_cli


_counter = iter(range(10**6))


@pytest.fixture
def dataset_name(request) -> str:
    """A unique dataset name, deleted after the test."""
    name = f"t-{request.node.name[:40]}-{next(_counter)}"
    yield name
    import fiftyone as fo

    if fo.dataset_exists(name):
        fo.delete_dataset(name)


@pytest.fixture(scope="session")
def sample_dataset():
    """sample_data loaded once per test session (read-only for tests)."""
    import workbench as wb

    report = wb.load(SAMPLE_DATA, name="sample-session", config=wb.LoadConfig(progress=False))
    return wb.get_dataset("sample-session"), report


@pytest.fixture(scope="session")
def sample_embedded(sample_dataset):
    """sample_data embedded once with the bundled model (auto picks it offline)."""
    import workbench as wb

    ds, _ = sample_dataset
    report = wb.embed(ds, config=wb.EmbedConfig(model="bundled", progress=False))
    return ds, report
