"""FiftyOne on a shared MongoDB with authentication, written to by two processes at once.

A class or a lab shares one database: a second ``mongod`` (the binary FiftyOne installs)
with ``--auth`` on a loopback port, reached through ``FIFTYONE_DATABASE_URI`` with
``?authSource=admin``. Two ``workbench load`` commands write into one dataset at the same
time, from overlapping folders; every file ends up there exactly once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from helpers.images import pattern, save

pytestmark = [pytest.mark.slow]

PASSWORD = "s3cret-for-tests"


@pytest.fixture(scope="module")
def shared_uri(tmp_path_factory):
    """An authenticated mongod on 127.0.0.1; yields the URI with the admin's credentials."""
    from pymongo import MongoClient

    from workbench.glue.privatedb import bundled_mongod

    db_dir = tmp_path_factory.mktemp("shared-mongod")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(bundled_mongod()), "--auth", "--dbpath", str(db_dir), "--port",
                             str(port), "--bind_ip", "127.0.0.1", "--nounixsocket", "--logpath",
                             str(db_dir / "mongod.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "mongod did not start"
                time.sleep(0.1)
        # The localhost exception lets the first user be created without credentials.
        with MongoClient(f"mongodb://127.0.0.1:{port}") as client:
            client.admin.command("createUser", "lab-admin", pwd=PASSWORD, roles=["root"])
        yield f"mongodb://lab-admin:{PASSWORD}@127.0.0.1:{port}/?authSource=admin"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _env(uri: str) -> dict:
    return dict(os.environ, FIFTYONE_DATABASE_URI=uri)


def _workbench(uri: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workbench.cli", *args], env=_env(uri),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _rows(uri: str, name: str) -> dict:
    code = ("import json, fiftyone as fo; ds = fo.load_dataset(%r); "
            "paths = ds.values('filepath'); "
            "print(json.dumps({'rows': len(paths), 'distinct': len(set(paths))}))" % name)
    proc = subprocess.run([sys.executable, "-c", code], env=_env(uri), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_without_credentials_the_shared_database_refuses(shared_uri, tmp_path):
    uri = shared_uri.replace(f"lab-admin:{PASSWORD}@", "")
    save(pattern(1), tmp_path / "a.png")
    proc = _workbench(uri, "load", str(tmp_path), "--name", "nobody", "--json", "--no-progress")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode != 0
    assert "auth" in err.lower() or "unauthorized" in err.lower(), err[-2000:]


def test_two_concurrent_loads_into_one_dataset_lose_and_duplicate_nothing(shared_uri, tmp_path):
    images = tmp_path / "images"
    for i in range(60):
        save(pattern(i, (160, 120)), images / f"{i:03d}.png")
    # Two manifests over one folder: files 20..39 are in both, so the loads overlap.
    for name, files in (("first.csv", range(0, 40)), ("second.csv", range(20, 60))):
        (tmp_path / name).write_text("filepath,license\n" + "".join(
            f"images/{i:03d}.png,CC0-1.0\n" for i in files))
    procs = [_workbench(shared_uri, "load", str(tmp_path / name), "--name", "class-2027",
                        "--json", "--no-progress")
             for name in ("first.csv", "second.csv")]
    outs = [p.communicate(timeout=600) for p in procs]
    for proc, (_, err) in zip(procs, outs):
        assert proc.returncode == 0, err[-3000:]
    reports = [json.loads(out) for out, _ in outs]
    counts = _rows(shared_uri, "class-2027")
    print(f"\nshared database: {counts}; reports: "
          + "; ".join(str({k: r[k] for k in ("added", "updated", "unchanged")}) for r in reports))
    assert counts == {"rows": 60, "distinct": 60}
    for report in reports:  # each process accounts for every file it was given
        assert report["added"] + report["updated"] + report["unchanged"] == 40
    assert sum(r["added"] for r in reports) <= 60
