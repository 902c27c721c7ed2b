"""`make demo`: the whole journey on sample_data/, printing what each step found.

Uses the dataset ``palette-sample`` in your FiftyOne database (re-running updates it in
place) and writes the coverage report and the exports under ``out/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATASET = "palette-sample"


def main() -> int:
    import workbench as wb
    from workbench.diagnostics import format_doctor
    from workbench.journey import JourneyConfig, run_journey

    print("=== doctor ===")
    report = wb.doctor()
    print(format_doctor(report))
    if not report["ok"]:
        return 1
    result = run_journey(REPO / "sample_data", REPO / "out", name=DATASET,
                         config=JourneyConfig(n=120, by="style", seed=0))
    print("\n=== where everything is ===")
    print(result.summary())
    print(f"\nExplore it: .venv/bin/workbench app {DATASET}   or   "
          ".venv/bin/jupyter lab notebooks/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
