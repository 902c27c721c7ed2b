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
        ("md", "## The map\nUMAP on the embeddings (cosine, seeded). It is stored as a "
               "FiftyOne Brain run, so the App's Embeddings panel shows it too, and the "
               "coordinates are kept on each sample (`map_umap`). PCA is a fast preview."),
        ("code", "preview = wb.compute_map(ds, method=\"pca\")\n"
                 "m = wb.compute_map(ds, config=wb.MapConfig(n_neighbors=15, min_dist=0.1, seed=0))\n"
                 "print(m.summary())"),
        ("md", "Hover for thumbnails; lasso (shift-drag) to select. The grid below shows what "
               "you selected, and `explorer.selected_ids` gives it back to Python."),
        ("code", "explorer = wb.map_widget(ds, color_by=\"style\")\nexplorer.show()"),
        ("code", "explorer.select(ds.match({\"style\": \"mosaic\"}).values(\"id\"))\n"
                 "view = explorer.to_view(ds)\nlen(view)"),
        ("md", "To look at the same map in the FiftyOne App (served on 127.0.0.1): "
               "`session = wb.open_in_app(ds)`."),
    ],
    "03_clusters_and_gaps.ipynb": [
        ("md", "# 3. Clusters and gaps\n\nWhich styles, regions and creators dominate, and "
               "which are thin or missing? Clusters are found on the embeddings (not the 2-D "
               "map) and named from the model (CLIP zero-shot terms, or ImageNet classes with "
               "the bundled model) and from the metadata that dominates them."),
        ("code", SETUP + "\nwb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))\n"
                         "ds = wb.get_dataset(DATASET)\nwb.embed(ds)\nwb.compute_map(ds)"),
        ("code", "gaps = wb.find_gaps(ds, by=\"style\")\ngaps.table"),
        ("code", "gaps.representation.plot()"),
        ("md", "Targets need not be uniform: give shares per value (they are rescaled if they "
               "do not sum to 1; a value you expect but do not have shows up as a gap)."),
        ("code", "wb.find_gaps(ds, by=\"region\", clusters=False, targets={\"East Asia\": 1, "
                 "\"West Africa\": 1, \"South Asia\": 1, \"Mediterranean\": 1, "
                 "\"North Africa\": 1, \"Andes\": 1}).table"),
        ("md", "## Who made what\nA group that mostly comes from one creator teaches the "
               "model that creator's hand, not the style."),
        ("code", "gaps.creators"),
        ("md", "## Named clusters"),
        ("code", "gaps.clusters.table[[\"cluster\", \"size\", \"share\", \"name\"]]"),
        ("code", "explorer = wb.map_widget(ds, color_by=\"cluster\")\nexplorer.show()"),
        ("md", "## Concept probes\nIs \"Andean textile\" there at all? Probes compare text "
               "with images, so they need CLIP; with the bundled model the result says so."),
        ("code", "probe = wb.find_gaps(ds, by=\"style\", clusters=False, "
                 "concepts=[\"Andean textile\", \"Javanese batik\", \"ink wash painting\"])\n"
                 "probe.probes if probe.probes is not None else probe.probe_note"),
        ("md", "## One file to share\nThe coverage report holds the maps, the charts, the "
               "named clusters with thumbnails and the probe table."),
        ("code", "gaps.to_html(\"../out/coverage.html\")"),
    ],
    "04_select_balanced.ipynb": [
        ("md", "# 4. A balanced, deduplicated, rights-clean subset\n\nThe pipeline runs in a "
               "fixed order: rights filter, duplicates, per-creator cap, balance across groups. "
               "Every excluded image gets a reason, and the seed makes it reproducible."),
        ("code", SETUP + "\nwb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))\n"
                         "ds = wb.get_dataset(DATASET)\nwb.embed(ds)"),
        ("code", "sel = wb.select_balanced(ds, n=120, by=\"style\", "
                 "config=wb.SelectConfig(strategy=\"cap\", seed=0))\n"
                 "sel.balance_before, sel.balance_after"),
        ("code", "sel.plot_balance()"),
        ("code", "sel.counts"),
        ("code", "sel.excluded_counts()"),
        ("md", "Each excluded duplicate beside the image that was kept (higher resolution, "
               "then the better-documented rights record)."),
        ("code", "wb.show_duplicates(ds, sel)"),
        ("md", "Other strategies: `quota` (explicit counts or shares per group) and `diverse` "
               "(k-center greedy inside each group, to cover its variety)."),
        ("code", "diverse = wb.select_balanced(ds, n=60, by=\"style\", tag=\"diverse\", "
                 "config=wb.SelectConfig(strategy=\"diverse\", seed=0, creator_cap=0.2))\n"
                 "diverse.counts"),
        ("md", "## Hand edits\nTag or untag samples in the App (tag `selected`), or with the "
               "map widget's lasso, then sync: statistics are recomputed. Rights exclusions "
               "need an explicit, recorded override; opt-outs can never be added."),
        ("code", "first = sel.ids[0]\nds.select([first]).untag_samples(\"selected\")\n"
                 "edited = wb.sync_hand_edits(ds)\nlen(edited), edited.excluded[first]"),
    ],
    "05_export_for_finetuning.ipynb": [
        ("md", "# 5. Export for fine-tuning\n\nkohya folders with captions and "
               "`dataset_config.toml`, or an HF imagefolder with `metadata.jsonl` for diffusers. "
               "Every export carries a dataset card, `CREDITS.csv` and a checksummed manifest; "
               "consent is re-checked at export time."),
        ("code", SETUP + "\nwb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))\n"
                         "ds = wb.get_dataset(DATASET)\nwb.embed(ds)\n"
                         "sel = wb.select_balanced(ds, n=120, by=\"style\")"),
        ("code", "config = wb.ExportConfig(captions=wb.CaptionConfig(template=\"{trigger}, {style} "
                 "pattern, {technique}\", trigger=\"plwb\"), overwrite=True)\n"
                 "hf = wb.export(ds, format=\"imagefolder\", out=\"../out/nb-imagefolder\", "
                 "config=config)\nprint(hf.summary())"),
        ("code", "kohya = wb.export(ds, format=\"kohya\", out=\"../out/nb-kohya\", config=config)\n"
                 "print(kohya.summary())"),
        ("code", "print(open(\"../out/nb-imagefolder/README.md\").read()[:1500])"),
        ("md", "The imagefolder export loads straight into Hugging Face `datasets`:"),
        ("code", "import datasets\nhfds = datasets.load_dataset(\"imagefolder\", "
                 "data_dir=\"../out/nb-imagefolder\", split=\"train\")\nhfds"),
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
