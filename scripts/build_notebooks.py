"""Write the guided notebooks from the cell lists below (run after editing them).

Notebook cells only call the workbench API; they hold no logic. Outputs are not stored.
Usage: .venv/bin/python scripts/build_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

NB = Path(__file__).resolve().parent.parent / "notebooks"
DATASET = "palette-sample"

SETUP = f"""import workbench as wb
DATASET = "{DATASET}"   # your FiftyOne dataset name
SOURCE = "../sample_data"  # or the folder with your own images"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_load_and_rights.ipynb": [
        ("md", "# 1. Load a collection with its rights record\n\n"
               "Every image gets a rights record: creator, source, licence (checked against "
               "the SPDX list), attribution, consent and whether it is AI-generated. Bad files "
               "are reported with a reason and never become usable samples; your source files "
               "are only read."),
        ("code", SETUP),
        ("code", "report = wb.load(SOURCE, name=DATASET)\nprint(report.summary())"),
        ("md", "## What could not be used, and why\nThe load report lists every file it "
               "passed over. Exact duplicates (same bytes) are kept but flagged."),
        ("code", "report.frame(\"skipped\")"),
        ("code", "report.frame(\"duplicates\")"),
        ("md", "## The rights picture\nLicences that are not SPDX ids are flagged `unknown` "
               "or `invalid`; they will be excluded from exports by default."),
        ("code", "ds = wb.get_dataset(DATASET)\n"
                 "ds.count_values(\"license_status\"), ds.count_values(\"consent\"), "
                 "ds.count_values(\"ai_generated\")"),
        ("code", "report.frame(\"unknown_license\")"),
        ("md", "## Look before you curate\nOpted-out images stay in the dataset for the "
               "record, but no export will ever contain them."),
        ("code", "wb.show_samples(ds.match({\"consent\": \"opted_out\"}), label=\"creator\", "
                 "title=\"opted out\")"),
        ("code", "ds.count_values(\"style\")"),
        ("md", "Loading again is safe: nothing is duplicated, changed files are updated."),
        ("code", "print(wb.load(SOURCE, name=DATASET).summary().splitlines()[0])"),
    ],
    "02_embed_and_map.ipynb": [
        ("md", "# 2. Embed the images and look at their neighbourhoods\n\n"
               "`model=\"auto\"` uses CLIP (open_clip) when its weights are cached or "
               "downloadable, and otherwise the bundled offline EfficientNet-Lite0. Results are "
               "cached by content hash, so a second run is instant and an interrupted run "
               "resumes."),
        ("code", SETUP + "\nwb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))\n"
                         "ds = wb.get_dataset(DATASET)"),
        ("code", "emb = wb.embed(ds, model=\"auto\")\nprint(emb.summary())"),
        ("md", "## Nearest neighbours\nEach strip starts with a query image, followed by its "
               "closest images and their cosine similarity. Neighbours from the same family "
               "mean the embedding sees the style."),
        ("code", "nb = wb.neighbors(ds, n=4, k=6, seed=0, label=\"style\")\nnb.show()"),
        ("code", "nb.table.head(12)"),
    ],
}


def build() -> None:
    NB.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md"
                    else nbformat.v4.new_code_cell(src) for kind, src in cells]
        for i, cell in enumerate(nb.cells):  # stable ids: no churn in git diffs
            cell["id"] = f"{Path(name).stem[:2]}-{i:02d}"
        nbformat.write(nb, NB / name)
        print(f"wrote {NB / name}")


if __name__ == "__main__":
    build()
