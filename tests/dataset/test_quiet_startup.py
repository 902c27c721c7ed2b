"""FiftyOne's start-up notice about the bundled MongoDB stays out of the CLI's stderr (and of
notebook outputs, see test_notebooks.py); real warnings still show."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

NOTICE = "oldest supported major version"
LOGGER = "fiftyone.core.odm.database"
#: What FiftyOne logs on the first connection to a MongoDB 6 (fiftyone/core/odm/database.py).
NOTICE_TEXT = (
    "You are running the oldest supported major version of MongoDB. "
    "Please refer to https://deprecation.voxel51.com for deprecation notices. You can suppress "
    "this exception by setting your `database_validation` config parameter to `False`. See "
    "https://docs.voxel51.com/user_guide/config.html#configuring-a-mongodb-connection "
    "for more information")
#: Another warning of the same logger, one a user must see.
REAL_WARNING = (
    "Your MongoDB feature compatibility is greater than your server version. This may result "
    "in unexpected consequences.")


def test_fiftyone_alone_prints_the_notice_on_this_database():
    """The control: without the workbench, this database makes FiftyOne print the notice
    (so the next test would catch it coming back)."""
    code = "import fiftyone as fo; fo.list_datasets()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert NOTICE in proc.stdout + proc.stderr, (
        "FiftyOne no longer prints its MongoDB notice here; the filter in "
        "workbench/glue/fo.py may have become unnecessary")


def test_cli_error_opens_with_the_error_not_with_the_notice(cli):
    proc = cli("select", "no-such-dataset", "--n", "3", "--by", "style")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert NOTICE not in proc.stderr and NOTICE not in proc.stdout
    first = proc.stderr.splitlines()[0]
    assert first.startswith("workbench select: error: no dataset named 'no-such-dataset'"), (
        proc.stderr)


def test_cli_json_run_that_starts_the_database_is_quiet(cli):
    proc = cli("select", "no-such-dataset", "--n", "3", "--by", "style", "--json")
    assert proc.returncode == 2
    assert NOTICE not in proc.stderr and NOTICE not in proc.stdout


def test_the_filter_drops_the_notice_only_and_is_added_once(caplog):
    from workbench.glue.fo import fiftyone

    logger = logging.getLogger(LOGGER)
    fiftyone()
    filters = list(logger.filters)
    fiftyone()
    assert logger.filters == filters and len(filters) == 1
    with caplog.at_level(logging.WARNING):
        logger.warning(NOTICE_TEXT)
        logger.warning(REAL_WARNING)
        logger.warning("MongoDB %s: %s", "notice", "the oldest supported version is 6")
        logging.getLogger("fiftyone.core.dataset").warning(NOTICE_TEXT)
    seen = [(r.name, r.getMessage()) for r in caplog.records]
    assert seen == [(LOGGER, REAL_WARNING),
                    (LOGGER, "MongoDB notice: the oldest supported version is 6"),
                    ("fiftyone.core.dataset", NOTICE_TEXT)]


def test_import_workbench_installs_no_filter():
    code = (f"import logging, workbench; "
            f"print(len(logging.getLogger({LOGGER!r}).filters))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "0"
