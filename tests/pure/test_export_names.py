"""Output names: untrusted labels never escape the export or break a file system."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import tomllib
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers.images import pattern, save
from helpers.export_records import fast_config, make_records

from workbench.exporters import export_records, safe_component
from workbench.exporters.names import FORBIDDEN_CHARS, WINDOWS_RESERVED, NameAllocator

HOSTILE = [
    "../../x", "..", ".", "", "   ", "CON", "nul", "aux.txt", "Com1", "LPT9.tar.gz",
    'a/b\\c:d*e?f"g<h>i|j', "x\x00y\x1fz\x7f", "trailing dots. . .", "é" * 300,
    "-rf", "=cmd|' /C calc'!A0", "\u202egnp.exe", ".hidden", "__pycache__", "/etc/passwd",
    "C:\\Windows\\system32", "a\nb\rc\td",
]


def assert_safe(name: str, max_bytes: int = 120) -> None:
    assert name and name not in (".", "..")
    assert not (set(name) & FORBIDDEN_CHARS), name
    assert all(unicodedata.category(c) not in ("Cc", "Cs") for c in name), repr(name)
    assert len(name.encode("utf-8")) <= max_bytes
    assert name == unicodedata.normalize("NFC", name)
    assert not name.endswith((".", " ")) and not name.startswith((".", "-", "=", "+", "@", " "))
    assert name.split(".", 1)[0].rstrip(" ").upper() not in WINDOWS_RESERVED, name


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_become_safe_components(label):
    assert_safe(safe_component(label))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.integers(min_value=8, max_value=200))
def test_any_text_gives_a_safe_component(label, max_bytes):
    assert_safe(safe_component(label, max_bytes=max_bytes), max_bytes)


def test_allocator_is_unique_ignoring_case_and_normalisation():
    names = NameAllocator()
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    got = [names.claim(x, ext=".jpg") for x in ("Ink", "ink", "INK", composed, decomposed,
                                                 "x" * 300, "x" * 300)]
    keys = {unicodedata.normalize("NFC", g).casefold() for g in got}
    assert len(keys) == len(got)
    assert all(len((g + ".jpg").encode()) <= 120 for g in got)


def test_hostile_groups_and_file_names_stay_inside_the_export(tmp_path):
    records = make_records(tmp_path, {"x": 1})
    labels = ["../../evil", "CON", "", None, "a" * 300, "Ink", "ink", "..\\..\\win", "nul.txt"]
    for i, label in enumerate(labels):
        # Sources named like reserved devices, in different folders, same name twice.
        src = save(pattern(50 + i), tmp_path / "src" / f"d{i}" / ("CON.png" if i % 2 else "aux.txt.png"))
        records.append(dict(records[0], id=f"h{i}", filepath=str(src), sha256=f"{i:064x}",
                            group=label, style=label))
    out = tmp_path / "out"
    report = export_records(records, format="kohya", out=out, config=fast_config())
    assert report.images == len(records) and not report.failed
    files = [p for p in out.rglob("*")]
    for p in files:
        assert p.resolve().is_relative_to(out.resolve())
        assert_safe(p.name)
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()
    # Unique per folder, ignoring case.
    for folder in {p.parent for p in files}:
        names = [p.name.casefold() for p in folder.iterdir()]
        assert len(names) == len(set(names))
    config = tomllib.loads((out / "dataset_config.toml").read_text(encoding="utf-8"))
    dirs = [s["image_dir"] for s in config["datasets"][0]["subsets"]]
    assert len(dirs) == len({d.casefold() for d in dirs}) == 9  # None and "" share one folder
    for d in dirs:
        assert not Path(d).is_absolute() and (out / d).is_dir()
