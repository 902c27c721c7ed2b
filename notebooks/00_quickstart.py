# %% [markdown]
# # 0. Quickstart: the whole journey in one page
#
# Load a collection with its rights records, embed and map it, look at what is crowded and what is thin, select a balanced, rights-clean subset and export it for fine-tuning, with its dataset card. To run it on your own folder, change the first code cell (or run `papermill 00_quickstart.ipynb out.ipynb -p SOURCE ~/pictures/batik -p BY style`).

# %% tags=["parameters"]
SOURCE = "../sample_data"       # a folder of images, a CSV/JSONL manifest, or an HF imagefolder
DATASET = "palette-quickstart"  # the FiftyOne dataset to create or update
OUT = "../out/quickstart"       # where the coverage report and the export go
BY = None                       # the field to balance by (None: the labels, else the map's clusters)
N = 60                          # how many images to select
LICENSE = None                  # an SPDX licence for every image the manifest gives none
LABELS_FROM_FOLDERS = None      # e.g. "category": each file's sub-folder becomes that field
ALLOW_LICENSES = []             # licences allowed beyond public domain, CC0, CC BY, CC BY-SA
MODEL = "auto"                  # CLIP when its weights are here, else the bundled model

# %%
import workbench as wb
report = wb.load(SOURCE, name=DATASET, labels_from_folders=LABELS_FROM_FOLDERS,
                 config=wb.LoadConfig(license=LICENSE))
print(report.summary(details=False))

# %%
ds = wb.get_dataset(DATASET)
print(wb.embed(ds, config=wb.EmbedConfig(model=MODEL)).summary())
print(wb.compute_map(ds).summary())

# %% [markdown]
# Choose the field to balance by and how many images to keep (the next cell reads both).

# %%
by = wb.field_choice(ds, BY)
by

# %%
n = wb.number(N, 1, len(ds), "images to select")
n

# %%
BY, N = by.value, n.value
explorer = wb.map_widget(ds, color_by=BY)
explorer.show()

# %% [markdown]
# The same map as pictures: each thumbnail at its place on the map, in a cell of its own. Unlike the interactive map above, it stays in a saved, printed or rendered notebook.

# %%
wb.atlas(ds, by=BY).show()

# %%
gaps = wb.find_gaps(ds, by=BY)
gaps.representation.plot()

# %%
sel = wb.select_balanced(ds, N, by=BY, config=wb.SelectConfig(
    rights=wb.RightsPolicy().also_allow(*ALLOW_LICENSES), allow_fewer=True))
print(sel.summary())

# %%
export = wb.export(ds, format="imagefolder", out=f"{OUT}/export-imagefolder",
                   config=wb.ExportConfig(overwrite=True))
wb.show_folder(export.out)

# %%
wb.show_card(export.out)

# %%
wb.show_report(gaps.to_html(f"{OUT}/coverage.html", selection_ids=sel.ids))

# %% [markdown]
# Next: the notebooks 1 to 5 take each step in depth, and notebook 6 shows why curation matters, for teaching.
