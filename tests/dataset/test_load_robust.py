"""Loading holds on real collections: bombs refused, huge images shrunk, crashes contained,
interrupted loads resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import workbench as wb
from helpers.bigimages import big_png, png_bomb
from helpers.cli import json_out, run_cli_measured
from helpers.images import pattern, save

#: The memory budget for loading or embedding any collection (MB of RSS).
BUDGET_MB = 1536


@pytest.mark.slow
def test_a_30000_square_png_bomb_is_reported_through_the_cli_and_not_decoded(tmp_path,
                                                                               dataset_name):
    root = tmp_path / "src"
    root.mkdir()
    png_bomb(root / "bomb.png")  # 900 megapixels in about 100 kB
    save(pattern(1), root / "fine.jpg")
    t = time.perf_counter()
    proc, peak = run_cli_measured("load", str(root), "--name", dataset_name, "--json")
    seconds = time.perf_counter() - t
    payload = json_out(proc)
    assert proc.returncode == 0, proc.stderr
    assert payload["added"] == 1
    [skipped] = payload["skipped"]
    assert Path(skipped["path"]).name == "bomb.png"
    assert skipped["reason"] == "decompression_bomb"
    assert "900000000 pixels" in skipped["detail"]
    # Decoding it would take 900 MB for 1-bit pixels alone, and many seconds.
    print(f"bomb: refused in {seconds:.1f}s, peak RSS {peak:.0f} MB")
    assert peak < 700, f"peak RSS {peak:.0f} MB: the bomb was decoded"


@pytest.mark.slow
def test_a_170_megapixel_png_loads_and_embeds_within_the_memory_budget(tmp_path, dataset_name):
    root = tmp_path / "src"
    root.mkdir()
    big_png(root / "museum-scan.png", 13040, 13040)  # 170 MP RGBA: 680 MB decoded in full
    for i in range(3):
        save(pattern(9000 + i), root / f"small-{i}.png")
    proc, load_peak = run_cli_measured("load", str(root), "--name", dataset_name, "--json",
                                       "--no-progress")
    payload = json_out(proc)
    assert proc.returncode == 0, proc.stderr
    assert payload["added"] == 4 and payload["skipped"] == []
    proc, embed_peak = run_cli_measured("embed", dataset_name, "--model", "bundled", "--json",
                                        "--no-progress")
    assert proc.returncode == 0, proc.stderr
    embedded = json_out(proc)
    assert embedded["computed"] + embedded["cached"] == 4 and embedded["failed"] == []
    print(f"170 MP PNG: load peak {load_peak:.0f} MB, embed peak {embed_peak:.0f} MB")
    assert load_peak < BUDGET_MB and embed_peak < BUDGET_MB

    big = wb.get_dataset(dataset_name).match({"filepath": str(root / "museum-scan.png")}).first()
    assert (big.width, big.height) == (13040, 13040), "size comes from the header"
    assert "reduced_on_load" in big.load_issues and "alpha_flattened" in big.load_issues


def _crash_on(name: str):
    """An inspect_file that kills its own worker process on one file (a decoder crash)."""
    from workbench.core.intake import inspect as inspect_module

    real = inspect_module.inspect_file

    def inspect_file(path, *args, **kwargs):
        if os.path.basename(path) == name:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(path, *args, **kwargs)

    return inspect_file


def test_a_decode_worker_killed_mid_load_costs_only_its_file(tmp_path, dataset_name,
                                                              monkeypatch):
    root = tmp_path / "src"
    for i in range(40):
        save(pattern(i, (48, 40)), root / f"{i:02d}.png")
    monkeypatch.setattr("workbench.core.intake.inspect.inspect_file", _crash_on("17.png"))
    report = wb.load(root, name=dataset_name, config=wb.LoadConfig(progress=False, workers=2))
    assert [(Path(s["path"]).name, s["reason"]) for s in report.skipped] == [
        ("17.png", "worker_crashed")]
    assert report.added == 39 == report.total


RESUMABLE_LOAD = textwrap.dedent("""
    import sys
    import workbench as wb
    wb.load(sys.argv[1], name=sys.argv[2],
            config=wb.LoadConfig(progress=False, workers=0, commit_every=20))
    print("finished", flush=True)
""")


@pytest.mark.slow
def test_a_load_killed_with_sigkill_resumes_inspecting_only_the_rest(tmp_path, dataset_name):
    root = tmp_path / "src"
    n = 240
    for i in range(n):
        save(pattern(i, (900, 700)), root / f"{i:03d}.png")
    proc = subprocess.Popen([sys.executable, "-c", RESUMABLE_LOAD, str(root), dataset_name],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import fiftyone as fo

    committed = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if fo.dataset_exists(dataset_name):
            committed = len(fo.load_dataset(dataset_name))
            if committed >= 40:
                break
        time.sleep(0.05)
    assert proc.poll() is None, f"the load finished before it could be killed:\n{proc.stderr.read()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = len(fo.load_dataset(dataset_name))
    assert 40 <= committed < n

    report = wb.load(root, name=dataset_name, config=wb.LoadConfig(progress=False, workers=0))
    assert report.unchanged == committed
    assert report.inspected == n - committed, "committed files are not read again"
    assert report.added == n - committed and report.total == n
