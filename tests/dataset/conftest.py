"""Tests that use FiftyOne: a private MongoDB for the session, and the datasets they share.

FiftyOne's own database service attaches to any FiftyOne database already running on
the machine, whatever ``FIFTYONE_DATABASE_DIR`` says, so the session starts its own
``mongod`` on a free loopback port and points ``FIFTYONE_DATABASE_URI`` at it.

``sample_dataset`` and ``sample_embedded`` are loaded once and only read; a test that
changes a dataset (tags, maps, clusters, selections) works on ``sample_workspace``, its
module's own clone.
"""

from __future__ import annotations

import os
import sys
from itertools import count

import pytest

from helpers.cli import run_cli


@pytest.fixture(scope="session", autouse=True)
def database(tmp_path_factory) -> str:
    """Start the private database before any FiftyOne work in this session."""
    from workbench.glue.privatedb import start_private_database

    uri = start_private_database(tmp_path_factory.mktemp("mongod"))
    if "fiftyone" in sys.modules:  # imported early: point its config at the new database
        sys.modules["fiftyone"].config.database_uri = uri
    assert os.environ["FIFTYONE_DATABASE_URI"] == uri
    return uri


@pytest.fixture
def cli():
    return run_cli


_counter = count()


@pytest.fixture
def dataset_name(request) -> str:
    """A unique dataset name, deleted after the test."""
    name = f"t-{request.node.name[:40]}-{next(_counter)}"
    yield name
    import fiftyone as fo

    if fo.dataset_exists(name):
        fo.delete_dataset(name)


@pytest.fixture(scope="session")
def sample_dataset(sample_data):
    """sample_data loaded once per test session (read-only for tests)."""
    import workbench as wb

    report = wb.load(sample_data, name="sample-session", config=wb.LoadConfig(progress=False))
    return wb.get_dataset("sample-session"), report


@pytest.fixture(scope="session")
def sample_embedded(sample_dataset):
    """sample_data embedded once with the bundled model (read-only for tests)."""
    import workbench as wb

    ds, _ = sample_dataset
    report = wb.embed(ds, config=wb.EmbedConfig(model="bundled", progress=False))
    return ds, report


@pytest.fixture(scope="module")
def sample_workspace(request, sample_embedded):
    """This test module's own clone of the embedded sample dataset, to change freely."""
    import fiftyone as fo

    ds, report = sample_embedded
    name = f"sample-session-{request.module.__name__.rsplit('.', 1)[-1]}"
    if fo.dataset_exists(name):
        fo.delete_dataset(name)
    clone = ds.clone(name)
    yield clone, report
    fo.delete_dataset(name)
