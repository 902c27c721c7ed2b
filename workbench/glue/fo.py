"""Importing FiftyOne with the workbench's defaults, and small dataset helpers.

The defaults are applied when FiftyOne is first needed, never at ``import workbench``.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType

from ..errors import DatasetNotFoundError

#: Samples tagged with this are kept for the record but never offered to later steps.
UNUSABLE_TAG = "unusable"


def fiftyone() -> ModuleType:
    """Import and return ``fiftyone``, with privacy-preserving defaults.

    Sets ``FIFTYONE_DO_NOT_TRACK=true`` unless the user chose otherwise. Honours
    ``FIFTYONE_DATABASE_URI`` (an external MongoDB) and ``FIFTYONE_DATABASE_DIR``.
    """
    os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
    quiet_startup()
    import fiftyone as fo

    return fo


#: FiftyOne's start-up notices that tell the user nothing they can act on: logged at
#: WARNING by this logger on the first connection, because the bundled ``mongod`` (6.0)
#: is the oldest major version FiftyOne supports.
STARTUP_NOISE_LOGGER = "fiftyone.core.odm.database"
STARTUP_NOISE = ("You are running the oldest supported major version of MongoDB.",)


class _StartupNoise(logging.Filter):
    """Drops the records of :data:`STARTUP_NOISE` on :data:`STARTUP_NOISE_LOGGER`;
    every other record, warnings included, passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == STARTUP_NOISE_LOGGER and isinstance(record.msg, str)
                    and record.msg.startswith(STARTUP_NOISE))


_STARTUP_FILTER = _StartupNoise()


def quiet_startup() -> None:
    """Keep FiftyOne's start-up notices out of notebook outputs and the CLI's stderr.

    A filter on the one logger that emits them, added once (called by :func:`fiftyone`,
    before the first connection). The filter sits on the logger, not on a handler, so no
    handler (FiftyOne's own, the CLI's, a notebook's) sees those records.
    """
    logger = logging.getLogger(STARTUP_NOISE_LOGGER)
    if _STARTUP_FILTER not in logger.filters:
        logger.addFilter(_STARTUP_FILTER)


def get_dataset(name: str):
    """Load a persistent dataset by name, with a message listing the ones that exist."""
    fo = fiftyone()
    if not fo.dataset_exists(name):
        existing = sorted(fo.list_datasets())
        raise DatasetNotFoundError(
            f"no dataset named {name!r}; existing datasets: {existing or 'none'}. "
            "Create one with `workbench load SOURCE --name NAME`."
        )
    return fo.load_dataset(name)


def usable(collection):
    """The samples later steps may use: everything not tagged ``unusable``."""
    return collection.match_tags(UNUSABLE_TAG, bool=False)


def filepaths(collection, ids=None) -> dict[str, str]:
    """``{sample id: filepath}`` for ``ids`` (default: every sample of the collection)."""
    view = collection if ids is None else collection.select(list(ids))
    return dict(zip(*view.values(["id", "filepath"])))


def first_samples(collection, n: int, label: str | None = None
                  ) -> tuple[list[str], list[str] | None]:
    """File paths of the first ``n`` samples, and their ``label`` values as text."""
    view = collection.limit(n)
    paths = view.values("filepath")
    captions = [str(v) if v is not None else "" for v in view.values(label)] if label else None
    return paths, captions


def database_status() -> dict:
    """Which database FiftyOne uses and whether it answers. Starts it if needed."""
    fo = fiftyone()
    uri = os.environ.get("FIFTYONE_DATABASE_URI") or fo.config.database_uri
    info: dict = {
        "kind": "external" if uri else "bundled",
        "uri": uri,
        "database_dir": None if uri else fo.config.database_dir,
    }
    try:
        from fiftyone.core import odm

        server = odm.get_db_conn().client.server_info()
        info.update(ok=True, version=server.get("version"), datasets=len(fo.list_datasets()))
    except Exception as exc:  # report any failure to start or connect, with its text
        info.update(ok=False, error=f"{type(exc).__name__}: {exc}")
    return info
