# %% [markdown]
# # 5. Export for fine-tuning
#
# kohya folders with captions and `dataset_config.toml`, or an HF imagefolder with `metadata.jsonl` for diffusers. Every export carries a dataset card, `CREDITS.csv` and a checksummed manifest; consent is re-checked at export time.
#
# This notebook exports the selection that notebook 4 saved under the tag `selected`, hand edits included, so run `04_select_balanced.ipynb` first.

# %%
import workbench as wb
DATASET = "palette-sample"   # your FiftyOne dataset name
SOURCE = "../sample_data"  # or the folder with your own images
TAG = "selected"  # the selection saved by 04_select_balanced.ipynb
wb.load(SOURCE, name=DATASET, config=wb.LoadConfig(progress=False))
ds = wb.get_dataset(DATASET)

# %% [markdown]
# ## What will be exported
# The saved selection as it stands now: its balance, the count per group and every exclusion by reason (an image removed by hand shows as `manual:removed`), then the hand edits themselves.

# %%
sel = wb.load_selection(ds, TAG)
print(sel.summary(TAG))

# %%
sel.params.get("edits", [])

# %% [markdown]
# ## Export by tag
# Both exports take the samples tagged `selected`, grouped as the selection grouped them.

# %%
config = wb.ExportConfig(captions=wb.CaptionConfig(template="{trigger}, {style} pattern, {technique}", trigger="plwb"), overwrite=True)
hf = wb.export(ds, format="imagefolder", tag=TAG, out="../out/nb-imagefolder", config=config)
print(hf.summary())

# %%
kohya = wb.export(ds, format="kohya", tag=TAG, out="../out/nb-kohya", config=config)
print(kohya.summary())

# %%
print(open("../out/nb-imagefolder/README.md").read()[:1500])

# %% [markdown]
# The imagefolder export loads straight into Hugging Face `datasets`:

# %%
import datasets
hfds = datasets.load_dataset("imagefolder", data_dir="../out/nb-imagefolder", split="train")
hfds
