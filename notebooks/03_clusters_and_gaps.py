# %% [markdown]
# # 3. Clusters and gaps
#
# Which styles, regions and creators dominate, and which are thin or missing? Clusters are found on the embeddings (not the 2-D map) and named from the model (CLIP zero-shot terms, or ImageNet classes with the bundled model) and from the metadata that dominates them.

# %%
import workbench as wb
DATASET = "palette-sample"   # your FiftyOne dataset name
SOURCE = "../sample_data"  # or the folder with your own images
wb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))
ds = wb.get_dataset(DATASET)
wb.embed(ds)
wb.compute_map(ds)

# %%
gaps = wb.find_gaps(ds, by="style")
gaps.table

# %%
gaps.representation.plot()

# %% [markdown]
# Targets need not be uniform: give shares per value (they are rescaled if they do not sum to 1; a value you expect but do not have shows up as a gap).

# %%
wb.find_gaps(ds, by="region", clusters=False, targets={"East Asia": 1, "West Africa": 1, "South Asia": 1, "Mediterranean": 1, "North Africa": 1, "Andes": 1}).table

# %% [markdown]
# ## Who made what
# A group that mostly comes from one creator teaches the model that creator's hand, not the style.

# %%
gaps.creators

# %% [markdown]
# ## Named clusters

# %%
gaps.clusters.table[["cluster", "size", "share", "name"]]

# %%
explorer = wb.map_widget(ds, color_by="cluster")
explorer.show()

# %% [markdown]
# ## Concept probes
# Is "Andean textile" there at all? Probes compare text with images, so they need CLIP; with the bundled model the result says so.

# %%
probe = wb.find_gaps(ds, by="style", clusters=False, concepts=["Andean textile", "Javanese batik", "ink wash painting"])
probe.probes if probe.probes is not None else probe.probe_note

# %% [markdown]
# ## One file to share
# The coverage report holds the maps, the charts, the named clusters with thumbnails and the probe table.

# %%
gaps.to_html("../out/coverage.html")
