"""Shared helpers for the export tests: a seeded synthetic selection as plain records.

The records look like what the FiftyOne glue passes to ``export_records``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from helpers.images import pattern, save

from workbench.exporters import CaptionConfig, ExportConfig, ImageConfig

GROUPS = ("ink", "weave", "dye")


def fast_config(**kw) -> ExportConfig:
    """In-process, no tokenizer: the quick configuration most tests use."""
    kw.setdefault("captions", CaptionConfig(tokenizer=None, trigger="plwb"))
    kw.setdefault("images", ImageConfig(workers=1))
    return ExportConfig(**kw)


def make_records(root: Path, counts: dict[str, int] | None = None, size=(96, 72)) -> list[dict]:
    """Seeded images on disk plus one record each; every third image is a PNG."""
    counts = counts or {"ink": 6, "weave": 3, "dye": 2}
    records = []
    i = 0
    for group, n in counts.items():
        for _ in range(n):
            ext = "png" if i % 3 == 0 else "jpg"
            path = save(pattern(i, size), root / "src" / group / f"img{i:03d}.{ext}",
                        **({"quality": 90} if ext == "jpg" else {}))
            records.append({
                "id": f"s{i:03d}",
                "filepath": str(path),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "width": size[0],
                "height": size[1],
                "group": group,
                "creator": f"creator-{i % 4}",
                "source": "museum" if i % 2 else "archive",
                "license": "CC-BY-4.0" if i % 5 else "CC0-1.0",
                "license_status": "valid",
                "attribution": f"Photo {i} by creator-{i % 4}",
                "consent": "granted",
                "ai_generated": "false",
                "region": "Andes" if i % 2 else None,
                "style": group,
                "technique": "woodblock" if i % 3 == 1 else None,
                "caption": None,
                "accession": i,
            })
            i += 1
    return records


def test_make_records_is_seeded(tmp_path):
    a = make_records(tmp_path / "a")
    b = make_records(tmp_path / "b")
    assert [r["sha256"] for r in a] == [r["sha256"] for r in b]
    assert len({r["sha256"] for r in a}) == len(a)
