"""`make demo`: the main job on sample_data/, printing what each step found.

Uses the dataset name ``palette-sample`` in your FiftyOne database (re-running updates it
in place) and writes outputs under ``out/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATASET = "palette-sample"


def banner(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def main() -> int:
    import workbench as wb
    from workbench.doctor import format_doctor

    banner("doctor")
    report = wb.doctor()
    print(format_doctor(report))
    if not report["ok"]:
        return 1

    banner("load sample_data")
    load = wb.load(REPO / "sample_data", name=DATASET)
    print(load.summary())

    banner("embed (model=auto)")
    ds = wb.get_dataset(DATASET)
    emb = wb.embed(ds, model="auto")
    print(emb.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
