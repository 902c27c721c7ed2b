# %% [markdown]
# # 4. A balanced, deduplicated, rights-clean subset
#
# The pipeline runs in a fixed order: rights filter, duplicates, per-creator cap, balance across groups. Every excluded image gets a reason, and the seed makes it reproducible.

# %%
import workbench as wb
DATASET = "palette-sample"   # your FiftyOne dataset name
SOURCE = "../sample_data"  # or the folder with your own images
wb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))
ds = wb.get_dataset(DATASET)
wb.embed(ds)

# %%
sel = wb.select_balanced(ds, n=120, by="style", config=wb.SelectConfig(strategy="cap", seed=0))
sel.balance_before, sel.balance_after

# %%
sel.plot_balance()

# %%
sel.counts

# %%
sel.excluded_counts()

# %% [markdown]
# Each excluded duplicate beside the image that was kept (higher resolution, then the better-documented rights record).

# %%
wb.show_duplicates(ds, sel)

# %% [markdown]
# Other strategies: `quota` (explicit counts or shares per group) and `diverse` (k-center greedy inside each group, to cover its variety).

# %%
diverse = wb.select_balanced(ds, n=60, by="style", tag="diverse", config=wb.SelectConfig(strategy="diverse", seed=0, creator_cap=0.2))
diverse.counts

# %% [markdown]
# ## Hand edits
# Tag or untag samples in the App (tag `selected`), or with the map widget's lasso, then sync: statistics are recomputed. Rights exclusions need an explicit, recorded override; opt-outs can never be added.

# %%
first = sel.ids[0]
ds.select([first]).untag_samples("selected")
edited = wb.sync_hand_edits(ds)
len(edited), edited.excluded[first]
