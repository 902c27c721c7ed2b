# %% [markdown]
# # 3. Clusters and gaps
#
# Which styles, regions and creators dominate, and which are thin or missing? Clusters are found on the embeddings (not the 2-D map) and named from the model (CLIP zero-shot terms, or ImageNet classes with the bundled model) and from the metadata that dominates them.

# %% tags=["parameters"]
SOURCE = "../sample_data"   # the collection notebook 1 loaded (or any folder)
DATASET = "palette-sample"  # the FiftyOne dataset
BY = "style"                # the field whose representation we look at
OUT = "../out"              # where the coverage report goes

# %%
import workbench as wb
wb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))
ds = wb.get_dataset(DATASET)
wb.embed(ds)
wb.compute_map(ds)

# %%
gaps = wb.find_gaps(ds, by=BY)
gaps.table

# %%
gaps.representation.plot()

# %% [markdown]
# Targets need not be uniform. Set a target share per group with the sliders (they are rescaled if they do not sum to 1), then run the cell below them.

# %%
targets = wb.targets_choice(ds, BY)
targets

# %%
wb.find_gaps(ds, by=BY, clusters=False, targets=targets.value).table

# %% [markdown]
# A value you expect but do not have shows up as a gap:

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
# The same map as pictures: each thumbnail at its place on the map, in a cell of its own. Unlike the interactive map above, it stays in a saved, printed or rendered notebook.

# %%
wb.atlas(ds, by="cluster").show()

# %% [markdown]
# ## Quality checks
# Blank, dark, washed-out, blurry and mostly-padding images are judged against this collection's own distribution: each threshold sits a set distance below the collection's median. Flagged images are left out of selections by default (reason `quality:<check>`); `below_resolution` and `extreme_aspect` are reported only.

# %%
quality = wb.check_quality(ds)
print(quality.summary())

# %%
wb.show_flagged(ds)

# %% [markdown]
# ## Labels that disagree with their neighbours
# An image whose `style` differs from most of its nearest neighbours' may be mislabelled (or a real outlier). Each one is shown with the label its neighbourhood suggests; a person decides.

# %%
labels = wb.find_label_issues(ds, BY)
print(labels.summary())
labels.show()

# %% [markdown]
# ## Concept probes
# Is "Andean textile" there at all? Probes compare text with images, so they need CLIP; with the bundled model the result says so.

# %%
probe = wb.find_gaps(ds, by=BY, clusters=False, concepts=["Andean textile", "Javanese batik", "ink wash painting"])
probe.probes if probe.probes is not None else probe.probe_note

# %% [markdown]
# ## One file to share
# The coverage report holds the maps, the charts, the named clusters with thumbnails and the probe table.

# %%
gaps.to_html(f"{OUT}/coverage.html")
