# %% [markdown]
# # 4. A balanced, deduplicated, rights-clean subset
#
# The pipeline runs in a fixed order: rights filter, duplicates, per-creator cap, balance across groups. Every excluded image gets a reason, and the seed makes it reproducible.

# %% tags=["parameters"]
SOURCE = "../sample_data"   # the collection notebook 1 loaded (or any folder)
DATASET = "palette-sample"  # the FiftyOne dataset
BY = None                   # the field to balance by (None: the labels, else the map's clusters)
N = 120                     # how many images to select
STRATEGY = "cap"            # "cap", "quota" or "diverse"
SEED = 0                    # the same seed gives the same selection

# %%
import workbench as wb
wb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))
ds = wb.get_dataset(DATASET)
wb.embed(ds)

# %% [markdown]
# Choose the field to balance by, how many images and the strategy; the cell after the controls reads them.

# %%
by = wb.field_choice(ds, BY)
by

# %%
n = wb.number(N, 1, len(ds), "images to select")
strategy = wb.choice(["cap", "quota", "diverse"], STRATEGY, "strategy")
wb.controls(n, strategy)

# %%
sel = wb.select_balanced(ds, n=n.value, by=by.value, config=wb.SelectConfig(
    strategy=strategy.value, seed=SEED, allow_fewer=True))
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
# Pairs that look alike but were both kept: a recolour, another skin tone, a mirror image. Their structure agrees but their colours do not (quite), so removing one could remove exactly the variety a curated set is for. Look at them and remove one by hand if they really are copies.

# %%
wb.show_review_pairs(ds, sel)

# %% [markdown]
# Other strategies: `quota` (explicit counts or shares per group) and `diverse` (k-center greedy inside each group, to cover its variety).

# %%
diverse = wb.select_balanced(ds, n=60, by=by.value, tag="diverse", config=wb.SelectConfig(strategy="diverse", seed=0, creator_cap=0.2))
diverse.counts

# %% [markdown]
# ## Hand edits
# Tag or untag samples in the App (tag `selected`), or with the map widget's lasso, then sync: statistics are recomputed. Rights exclusions need an explicit, recorded override; opt-outs can never be added.

# %%
first = sel.ids[0]
ds.select([first]).untag_samples("selected")
edited = wb.sync_hand_edits(ds)
len(edited), edited.excluded[first]

# %% [markdown]
# ## The review queue, here or in the App
# Pairs kept for review and quality-flagged images, each with its possible decisions (keep both, drop one, not a problem). The App's Palette panel (`workbench app palette-sample`) lists the same queue; a decision made there or here is the same hand edit as above, recorded with who, when and the tool, so the next export writes it.

# %%
queue = wb.review_queue(ds)
edited = wb.decide_review(ds, queue[0], queue[0]["decisions"][0], tool="notebook") if queue else edited
len(queue), len(edited), queue[:1]
