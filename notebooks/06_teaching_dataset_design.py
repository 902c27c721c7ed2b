# %% [markdown]
# # 6. Teaching dataset design: a scrape and a curated set, side by side
#
# *For educators.* A generative model reproduces what it is fed. This notebook takes the same collection twice: once the way a scrape takes images (at random, with no rights check, no deduplication, no quality check and no balance), once curated (rights-clean, deduplicated, balanced). Students compare the two with their own eyes: the maps, the representation of each style, who made the images, what the quality checks caught and how balanced each set is. Six exercises follow, each with a worked answer folded away (click **Answer** to open it), and a short lesson on rights.
#
# Run it in class on the bundled `sample_data/`, or on a collection of your own (change the next cell).

# %% tags=["parameters"]
SOURCE = "../sample_data"     # the collection to teach with
DATASET = "palette-teaching"  # the FiftyOne dataset to create or update
BY = "style"                  # the field whose balance we study
N = 60                        # how many images each subset takes
SEED = 0                      # the same seed gives the same subsets

# %%
import workbench as wb
print(wb.load(SOURCE, name=DATASET).summary(details=False))
ds = wb.get_dataset(DATASET)
print(wb.embed(ds).summary())
print(wb.compute_map(ds).summary())

# %% [markdown]
# ## Two ways to take the same number of images

# %%
scraped = wb.uncurated_sample(ds, N, seed=SEED)
curated = wb.select_balanced(ds, N, by=BY, tag="curated",
                             config=wb.SelectConfig(seed=SEED, allow_fewer=True))
comparison = wb.compare_subsets(ds, {"scrape-like": scraped, "curated": curated.ids}, by=BY)
comparison.table

# %% [markdown]
# **Balance** is the normalised entropy of the group shares: 1.0 when every group has the same number of images, 0 when one group has them all. **Largest creator share** is how much of the subset one person made. The other rows count images that should never reach a training set (opted out, licence unknown) or that a person should look at first (AI-generated, quality flags, exact duplicates).

# %%
comparison.plot()

# %%
wb.subsets_map(ds, {"scrape-like": scraped, "curated": curated.ids}, BY)

# %% [markdown]
# Every point is an image; similar images sit close together. Grey points are the rest of the collection. Where does the scrape-like sample crowd, and which regions of the map does it leave empty?
#
# ## Exercises
#
# **1. Which style is missing, or nearly missing, from the scrape-like sample? Why does that matter for a model trained on it?**

# %% jupyter={"source_hidden": true}
comparison.counts

# %% [markdown]
# <details><summary>Answer</summary>
#
# The counts above show it: a random sample follows the collection's own skew, so the small families (on `sample_data`, `mosaic` and `stitch-embroidery`, under 5% of the collection each) get one or two images, or none. A model fine-tuned on that sample barely sees them and will not learn them; the curated set gives every family a fair share of the images it can.
# </details>
#
# **2. What does a creator cap change? Select again with at most 10% of the images from any one creator, and compare the largest creator's share.**

# %% jupyter={"source_hidden": true}
capped = wb.select_balanced(ds, N, by=BY, tag="capped",
                            config=wb.SelectConfig(seed=SEED, creator_cap=0.1, allow_fewer=True))
wb.compare_subsets(ds, {"curated": curated.ids, "capped": capped.ids}, by=BY).table

# %% [markdown]
# <details><summary>Answer</summary>
#
# One creator (`creator-01`) made two thirds of the largest family. Balancing by style alone still lets that one person dominate the style they work in; the cap limits any creator to 10% of the subset, so the model learns the style from several hands instead of one. The balance across styles stays close to what it was.
# </details>
#
# **3. Pick the target share of each style yourself.** Move the sliders, then run the cell below them: it selects with your targets (strategy `quota`).

# %%
targets = wb.targets_choice(ds, BY)
targets

# %%
quota = wb.select_balanced(ds, N, by=BY, tag="quota", config=wb.SelectConfig(
    strategy="quota", quotas=targets.value, seed=SEED, fill=True, allow_fewer=True))
print(quota.summary())

# %% [markdown]
# <details><summary>Answer</summary>
#
# With even targets, each style asks for the same share. A style with fewer eligible images than its target cannot be filled (the `shortfall`), and `fill=True` tops the subset up from styles that have spare images. Targets are a statement of intent: the data can only give what it holds, which is why the coverage report marks under-represented groups.
# </details>
#
# **4. Why were these pairs kept, though they look alike?** The selection sends pairs it is not sure about to a review list instead of dropping one of them.

# %% jupyter={"source_hidden": true}
wb.show_review_pairs(ds, curated)

# %% [markdown]
# <details><summary>Answer</summary>
#
# Two images count as near-duplicates only when their structure (the embedding and the perceptual hash) and their colours agree. A recolour, or the same motif with another skin tone or palette, keeps its structure but not its colours: removing it would remove exactly the diversity a curated set is for. Such pairs stay, and a person decides.
# </details>
#
# **5. What did the quality checks catch, and how were their thresholds set?**

# %% jupyter={"source_hidden": true}
quality = wb.check_quality(ds)
print(quality.summary())

# %% [markdown]
# <details><summary>Answer</summary>
#
# Each threshold comes from this collection's own distribution: a set distance below its median, measured in its spread. A photo collection and a clip-art collection therefore get different thresholds, and only the images that stand out from their own collection are flagged. The one absolute rule is physical: an image with nothing visible in it is blank in any collection. `below_resolution` compares each image with the training resolution and is reported, not excluded.
# </details>
#
# **6. How many opted-out images would the scrape have taken? Could a curator add one back by hand?**

# %% jupyter={"source_hidden": true}
comparison.table.loc[["opted out", "AI-generated", "licence unknown"]]

# %% [markdown]
# <details><summary>Answer</summary>
#
# The scrape takes opted-out images in proportion to how many there are; the curated set takes none. No override can add one back: an opt-out is the creator's no, and the export checks consent again, so a record corrected after the selection still keeps the image out.
# </details>
#
# ## A short lesson on rights
#
# - **Opt-out.** A creator can say no in a manifest, in the opt-out registry (by creator, source site, URL, file hash or perceptual hash, so copies are caught too) or in the file itself: the IPTC *Data Mining* property (`DMI-PROHIBITED-AIMLTRAINING` and its siblings) or a C2PA training-and-mining assertion. Any of these wins over a "yes" elsewhere.
# - **Licences.** Licences are checked against the SPDX list. By default only public domain, CC0, CC BY and CC BY-SA images are selected; a non-commercial licence (CC BY-NC) is valid but not allowed, and an unknown licence is never guessed.
# - **AI-generated images.** Image generators write their prompt into PNG text chunks; IPTC's *DigitalSourceType* and C2PA manifests say "trained algorithmic media". Training on generated images feeds a model its own kind's output; the workbench reads these labels and leaves such images out by default.
#
# Where each value of this collection came from:

# %%
ds.count_values("consent"), ds.count_values("ai_generated"), ds.count_values("license_status")
