# %% [markdown]
# # 2. Embed the images and look at their neighbourhoods
#
# `model="auto"` uses CLIP (open_clip) when its weights are cached or downloadable, and otherwise the bundled offline EfficientNet-Lite0. Results are cached by content hash, so a second run is instant and an interrupted run resumes.

# %% tags=["parameters"]
SOURCE = "../sample_data"   # the collection notebook 1 loaded (or any folder)
DATASET = "palette-sample"  # the FiftyOne dataset
MODEL = "auto"              # "clip", "bundled", or "auto": CLIP when its weights are here
COLOR_BY = "style"          # the field the map is coloured by

# %%
import workbench as wb
wb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))
ds = wb.get_dataset(DATASET)

# %%
emb = wb.embed(ds, model=MODEL)
print(emb.summary())

# %% [markdown]
# ## Nearest neighbours
# Each strip starts with a query image, followed by its closest images and their cosine similarity. Neighbours from the same family mean the embedding sees the style.

# %%
nb = wb.neighbors(ds, n=4, k=6, seed=0, label=COLOR_BY)
nb.show()

# %%
nb.table.head(12)

# %% [markdown]
# ## The map
# UMAP on the embeddings (cosine, seeded). It is stored as a FiftyOne Brain run, so the App's Embeddings panel shows it too, and the coordinates are kept on each sample (`map_umap`). PCA is a fast preview.

# %%
preview = wb.compute_map(ds, method="pca")
m = wb.compute_map(ds, config=wb.MapConfig(n_neighbors=15, min_dist=0.1, seed=0))
print(m.summary())

# %% [markdown]
# Hover for thumbnails; lasso (shift-drag) to select. The grid below shows what you selected, and `explorer.selected_ids` gives it back to Python.

# %% [markdown]
# Pick the field to colour the map by, then run the cell below it.

# %%
color_by = wb.field_choice(ds, COLOR_BY, "colour by")
color_by

# %%
explorer = wb.map_widget(ds, color_by=color_by.value)
explorer.show()

# %% [markdown]
# The same map as pictures: each thumbnail at its place on the map, in a cell of its own. Unlike the interactive map above, it stays in a saved, printed or rendered notebook.

# %%
wb.atlas(ds, by=color_by.value).show()

# %%
explorer.select(ds.match({"style": "mosaic"}).values("id"))
view = explorer.to_view(ds)
len(view)

# %% [markdown]
# ## The same map in the FiftyOne App
# In a terminal, `workbench app palette-sample` serves the App on 127.0.0.1 with the **Palette** panel beside the grid: this map (a lasso or box shows those samples in the grid), representation against targets, the clusters, the review queue and the selection (`session = wb.open_in_app(ds)` does the same from Python). The panel draws what `wb.curation_overview` returns:

# %%
overview = wb.curation_overview(ds, by=color_by.value)
print(f"{len(overview['map']['ids'])} points coloured by {overview['map']['by']}; in a terminal: workbench app {DATASET}")
