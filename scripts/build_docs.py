"""`make docs`: run every notebook on sample_data and render it, outputs and charts
included, to docs/notebooks/NN_name.html for people to read without running anything.

Usage: .venv/bin/python scripts/build_docs.py [--out docs/notebooks] [NOTEBOOK ...]

The notebooks run in a private, throw-away FiftyOne database (your datasets are never
touched), from the notebooks/ folder, so their relative paths work. The stored .ipynb
files are not modified: executed copies live only in memory and in the HTML pages.
Widgets (the map, the controls) show as their text form in the pages: they need a
running kernel.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"


def execute(path: Path, timeout: int = 900):
    """The notebook at ``path``, executed in memory from its own folder."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def render(nb, out: Path, title: str) -> Path:
    """An executed notebook as one self-contained HTML page (images inline)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    # Paths in the outputs are absolute on the machine that built the page; readers see
    # them relative to the repository, as they would in their own clone.
    body = body.replace(f"{REPO}/", "")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to build (default: all)")
    parser.add_argument("--out", default=str(REPO / "docs" / "notebooks"))
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from workbench.glue.privatedb import start_private_database

    start_private_database(tempfile.mkdtemp(prefix="wb-docs-db-"))
    os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
    paths = [Path(p) for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        start = time.perf_counter()
        nb = execute(path.resolve())
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        if errors:
            print(f"{path.name}: {len(errors)} error cell(s): {errors[0].get('evalue')}",
                  file=sys.stderr)
            return 1
        page = render(nb, Path(args.out) / f"{path.stem}.html", path.stem)
        print(f"{page} ({page.stat().st_size / 1e6:.1f} MB, "
              f"{time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
