"""All-or-nothing exports: refusal, atomic replace, checksums, determinism, kills, opt-outs."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers.export_records import fast_config, make_records

from workbench.core.rights.optout import read_optout
from workbench.exporters import (
    ExportContext,
    ExportTargetError,
    ImageConfig,
    export_records,
    integrity,
    verify_manifest,
)

REPO = Path(__file__).resolve().parents[2]
CONTEXT = ExportContext(dataset_name="Ink test", group_field="style", seed=7,
                        embedding_model="bundled-efficientnet-lite0",
                        selection_params={"n": 11, "strategy": "cap"},
                        counts_before={"ink": 20, "weave": 5, "dye": 2},
                        excluded={"near_duplicate": 3, "license_unknown": 2},
                        optout_excluded=4, package_versions={"palette-workbench": "0.1.0"},
                        created="2026-01-01T00:00:00Z")


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_non_empty_target_is_refused_and_left_alone(tmp_path):
    records = make_records(tmp_path, {"ink": 2})
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExportTargetError, match="not empty") as info:
        export_records(records, format="csv", out=out, config=fast_config())
    assert "overwrite=True" in str(info.value) and str(out) in str(info.value)
    with pytest.raises(ExportTargetError, match="not a previous"):
        export_records(records, format="csv", out=out, config=fast_config(overwrite=True))
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert siblings(out) == []
    (out / "notes.txt").unlink()  # an empty folder is fine
    assert export_records(records, format="csv", out=out, config=fast_config()).images == 2


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename-away"])
def test_overwrite_replaces_a_previous_export_whole(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(integrity, "_rename_exchange", lambda a, b: False)
    records = make_records(tmp_path, {"ink": 3, "dye": 2})
    out = tmp_path / "out"
    export_records(records, format="kohya", out=out, config=fast_config())
    old_dirs = {p.name for p in (out / "img").iterdir()}
    export_records(records[:2], format="kohya", out=out, config=fast_config(overwrite=True))
    new_dirs = {p.name for p in (out / "img").iterdir()}
    assert len(new_dirs) == 1 and new_dirs != old_dirs
    assert verify_manifest(out) == [] and siblings(out) == []


def test_overwriting_an_export_that_holds_the_sources_is_refused(tmp_path):
    records = make_records(tmp_path, {"ink": 2})
    out = tmp_path / "out"
    export_records(records, format="csv", out=out, config=fast_config())
    # A collection loaded from that export, re-exported over it, would delete its own sources.
    reloaded = [dict(r, filepath=str(p)) for r, p in zip(records, sorted(out.glob("images/*")))]
    before = (out / "MANIFEST.sha256").read_bytes()
    with pytest.raises(ValueError, match="contains source image"):
        export_records(reloaded, format="csv", out=out, config=fast_config(overwrite=True))
    assert (out / "MANIFEST.sha256").read_bytes() == before and verify_manifest(out) == []


def test_manifest_passes_sha256sum_and_catches_tampering(tmp_path):
    records = make_records(tmp_path)
    report = export_records(records, format="kohya", out=tmp_path / "out", config=fast_config(),
                            context=CONTEXT)
    out = report.out
    proc = subprocess.run(["sha256sum", "--check", "--strict", "MANIFEST.sha256"], cwd=out,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = (out / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines()
    paths = [line.split("  ", 1)[1] for line in lines]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert paths == sorted(paths) == [f for f in files if f != "MANIFEST.sha256"]
    assert report.files == len(files)
    assert {"README.md", "CREDITS.csv", "dataset_config.toml", "card/composition.png"} <= set(paths)
    caption = next(out.rglob("*.txt"))
    caption.write_text("tampered", encoding="utf-8")
    assert verify_manifest(out) == [f"changed: {caption.relative_to(out).as_posix()}"]
    assert subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=out,
                          capture_output=True, check=False).returncode != 0


def test_reexport_is_byte_identical_whatever_the_order_or_workers(tmp_path):
    records = make_records(tmp_path, {"ink": 8, "weave": 4, "dye": 4})
    a = export_records(records, format="imagefolder", out=tmp_path / "a", context=CONTEXT,
                       config=fast_config())
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    b = export_records(shuffled, format="imagefolder", out=tmp_path / "b", context=CONTEXT,
                       config=fast_config(images=ImageConfig(workers=2)))
    manifest_a = (a.out / "MANIFEST.sha256").read_bytes()
    assert manifest_a == (b.out / "MANIFEST.sha256").read_bytes()
    export_records(records, format="imagefolder", out=a.out, context=CONTEXT,
                   config=fast_config(overwrite=True))
    assert (a.out / "MANIFEST.sha256").read_bytes() == manifest_a
    card = (a.out / "README.md").read_text(encoding="utf-8")
    assert "2026-01-01T00:00:00Z" in card and "near_duplicate" in card and "seed" in card


def test_late_optout_never_reaches_the_export(tmp_path):
    records = make_records(tmp_path)
    records[0]["consent"] = "opted_out"
    records[1]["creator"] = "Withdrawn Artist"
    registry_file = tmp_path / "optout.txt"
    registry_file.write_text(
        f"creator:Withdrawn Artist\nsha256:{records[2]['sha256']}\npath:{records[3]['filepath']}\n")
    report = export_records(records, format="imagefolder", out=tmp_path / "out",
                            config=fast_config(), context=CONTEXT,
                            optout=read_optout(registry_file))
    assert sorted((d["id"], d["reason"]) for d in report.dropped) == [
        ("s000", "opted_out"), ("s001", "optout_registry:creator"),
        ("s002", "optout_registry:sha256"), ("s003", "optout_registry:path")]
    assert all(set(d) == {"id", "reason"} for d in report.dropped)
    assert report.images == len(records) - 4
    rows = [json.loads(x) for x in (report.out / "train/metadata.jsonl").read_text().splitlines()]
    assert {r["sample_id"] for r in rows}.isdisjoint({"s000", "s001", "s002", "s003"})
    gone = {records[i]["filepath"] for i in range(4)}
    for path in report.out.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".csv", ".jsonl", ".toml", ".sha256"):
            text = path.read_text(encoding="utf-8")
            assert "Withdrawn Artist" not in text and not any(g in text for g in gone)
    card = (report.out / "README.md").read_text(encoding="utf-8")
    assert "after selection: 4" in card and "during selection: 4" in card


def test_unreadable_images_are_reported_and_the_export_goes_on(tmp_path):
    records = make_records(tmp_path, {"ink": 3})
    truncated = tmp_path / "src" / "cut.jpg"
    truncated.write_bytes(Path(records[1]["filepath"]).read_bytes()[:300])
    text = tmp_path / "src" / "note.png"
    text.write_text("not an image")
    records += [dict(records[1], id="cut", filepath=str(truncated)),
                dict(records[1], id="gone", filepath=str(tmp_path / "nope.jpg")),
                dict(records[1], id="txt", filepath=str(text)),
                dict(records[1], id="nofile", filepath=None)]
    report = export_records(records, format="csv", out=tmp_path / "out", config=fast_config())
    assert report.images == 3
    assert sorted((f["id"], f["reason"]) for f in report.failed) == [
        ("cut", "truncated"), ("gone", "missing"), ("nofile", "no_filepath"),
        ("txt", "not_an_image")]
    assert verify_manifest(report.out) == []


_CHILD = """
import json, sys, time
sys.path[:0] = [{repo!r}]
from workbench.exporters import CaptionConfig, ExportConfig, ImageConfig, export_records
from workbench.exporters import images

_real = images.process_image

def slow(job):
    time.sleep(0.15)
    return _real(job)

if __name__ == "__main__":
    images.process_image = slow
    records = json.load(open({records!r}))
    export_records(records, format="imagefolder", out={out!r}, config=ExportConfig(
        images=ImageConfig(workers=1), captions=CaptionConfig(tokenizer=None), overwrite=True))
    print("finished")
"""


@pytest.mark.slow
@pytest.mark.parametrize("previous", [False, True], ids=["fresh", "over-previous"])
def test_killed_export_leaves_no_half_written_out(tmp_path, previous):
    records = make_records(tmp_path, {"ink": 30}, size=(64, 48))
    out = tmp_path / "out"
    if previous:
        export_records(records[:3], format="imagefolder", out=out, config=fast_config())
        before = (out / "MANIFEST.sha256").read_bytes()
    (tmp_path / "records.json").write_text(json.dumps(records))
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(_CHILD.format(
        repo=str(REPO), records=str(tmp_path / "records.json"), out=str(out))))
    child = subprocess.Popen([sys.executable, str(script)], cwd=REPO, env=os.environ.copy(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    stage = None
    try:
        while time.monotonic() < deadline and child.poll() is None:
            stages = list(tmp_path.glob(f".out.tmp-{child.pid}-*"))
            if stages and len(list((stages[0] / "train").glob("*"))) >= 3:
                stage = stages[0]
                break
            time.sleep(0.05)
        assert stage is not None, child.communicate(timeout=5)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        stdout, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL and b"finished" not in stdout
    assert stage.is_dir()  # it really was killed half-way
    if previous:
        assert (out / "MANIFEST.sha256").read_bytes() == before and verify_manifest(out) == []
        assert len(list((out / "train").glob("*.jpg")) + list((out / "train").glob("*.png"))) == 3
    else:
        assert not out.exists()
    # The next export cleans up what the killed one left.
    report = export_records(records, format="imagefolder", out=out,
                            config=fast_config(overwrite=True))
    assert str(stage) in report.removed_stale and not stage.exists()
    assert siblings(out) == [] and verify_manifest(out) == [] and report.images == 30
    shutil.rmtree(out)


def test_a_failed_export_leaves_no_staging_folder(tmp_path):
    from workbench.exporters.integrity import staged

    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk full"), staged(out) as stage:
        (stage / "half-written.png").write_bytes(b"\x89PNG")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == [] and not out.exists()
