"""The Ray engine gives what the local engine gives, and a killed Ray load resumes.

Ray runs locally here (2 CPUs): the same Ray Data pipelines a cluster would run through
``RAY_ADDRESS``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import workbench as wb
from helpers.images import pattern, save

pytestmark = [pytest.mark.slow]

#: The fields inspection writes; the Ray engine must write the same values.
INSPECTED = ("sha256", "phash", "color_signature", "quality_scores", "width", "height",
             "file_size", "load_issues", "rights_signals", "license", "consent",
             "ai_generated", "inspect_version")


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray (2 CPUs) for the module: each step joins it instead of starting its own."""
    from workbench.glue.ray_engine import ray_session

    with ray_session(num_cpus=2) as ray:
        yield ray


@pytest.fixture(scope="module")
def stamps(real_items, tmp_path_factory) -> Path:
    """32 real stamps, two from each of 16 categories, in category folders."""
    root = tmp_path_factory.mktemp("stamps")
    taken: dict[str, int] = {}
    for item in real_items:
        if taken.get(item.category, 0) < 2:
            taken[item.category] = taken.get(item.category, 0) + 1
            target = root / item.category / Path(item.path).name
            target.parent.mkdir(exist_ok=True)
            shutil.copy(item.path, target)
    return root


def _by_path(ds, fields):
    fields = [f for f in fields if ds.has_sample_field(f)]
    rows = zip(*ds.values(["filepath", *fields]))
    return {row[0]: dict(zip(fields, row[1:])) for row in rows}


def _canonical(ds, fields) -> dict[str, str]:
    """Each file's inspected values as JSON text: a NaN score (a blank image's) equals NaN."""
    return {path: json.dumps(values, sort_keys=True, default=str)
            for path, values in _by_path(ds, fields).items()}


@pytest.mark.realdata
def test_ray_engine_results_equal_the_local_engine(local_ray, stamps, tmp_path,
                                                    dataset_name):
    local_name, ray_name = f"{dataset_name}-local", f"{dataset_name}-ray"
    config = dict(progress=False, license="GPL-2.0-or-later")
    wb.load(stamps, name=local_name, labels_from_folders="category",
            config=wb.LoadConfig(**config))
    rep = wb.load(stamps, name=ray_name, labels_from_folders="category",
                  config=wb.LoadConfig(**config, engine="ray", workers=2))
    assert rep.added == 32 and rep.skipped == []
    local, ray = wb.get_dataset(local_name), wb.get_dataset(ray_name)
    assert _canonical(ray, INSPECTED) == _canonical(local, INSPECTED)

    wb.embed(local, config=wb.EmbedConfig(model="bundled", progress=False))
    report = wb.embed(ray, config=wb.EmbedConfig(model="bundled", progress=False, engine="ray",
                                                 engine_workers=2,
                                                 cache_dir=str(tmp_path / "ray-cache")))
    assert report.computed == 32 and report.cached == 0 and report.failed == []
    field = report.field
    a, b = _by_path(local, [field]), _by_path(ray, [field])
    cosine = [float(np.dot(a[p][field], b[p][field])) for p in a]
    print(f"\nray vs local: {len(cosine)} embeddings, lowest cosine {min(cosine):.6f}")
    assert min(cosine) >= 0.999


RESUMABLE_RAY_LOAD = textwrap.dedent("""
    import sys
    import workbench as wb
    wb.load(sys.argv[1], name=sys.argv[2],
            config=wb.LoadConfig(progress=False, workers=2, commit_every=10, engine="ray"))
    print("finished", flush=True)
""")


def test_a_ray_load_killed_with_sigkill_resumes(local_ray, tmp_path, dataset_name):
    root = tmp_path / "src"
    n = 160
    for i in range(n):
        save(pattern(i, (600, 480)), root / f"{i:03d}.png")
    proc = subprocess.Popen([sys.executable, "-c", RESUMABLE_RAY_LOAD, str(root), dataset_name],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    import fiftyone as fo

    committed = 0
    started = time.monotonic()
    deadline = started + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if fo.dataset_exists(dataset_name):
                committed = len(fo.load_dataset(dataset_name))
                if committed >= 20:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, f"the load ended before it was killed:\n{proc.stderr.read()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:  # the local Ray the killed driver started goes with it
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    committed = len(fo.load_dataset(dataset_name))
    print(f"\nkilled after {time.monotonic() - started:.0f} s with {committed} committed")
    assert 20 <= committed < n

    report = wb.load(root, name=dataset_name,
                     config=wb.LoadConfig(progress=False, workers=2, engine="ray"))
    print(f"resumed after {time.monotonic() - started:.0f} s")
    assert report.unchanged == committed
    assert report.inspected == n - committed, "committed files are not read again"
    assert report.added == n - committed and report.total == n
    assert len(set(wb.get_dataset(dataset_name).values("filepath"))) == n, "no duplicates"


def test_without_ray_the_engine_says_how_to_install_it(monkeypatch):
    from workbench.glue import ray_engine

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"pip install 'palette-workbench\[scale\]'"):
        ray_engine.require_ray()
    with pytest.raises(ValueError, match=r"engine must be one of \['local', 'ray'\]; got 'dask'"):
        wb.LoadConfig(engine="dask")
