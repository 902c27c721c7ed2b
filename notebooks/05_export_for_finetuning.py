# %% [markdown]
# # 5. Export for fine-tuning
#
# kohya folders with captions and `dataset_config.toml`, or an HF imagefolder with `metadata.jsonl` for diffusers. Every export carries a dataset card, `CREDITS.csv` and a checksummed manifest; consent is re-checked at export time.
#
# This notebook exports the selection that notebook 4 saved under the tag `selected`, hand edits included, so run `04_select_balanced.ipynb` first.

# %% tags=["parameters"]
SOURCE = "../sample_data"   # the collection notebook 1 loaded (or any folder)
DATASET = "palette-sample"  # the FiftyOne dataset
TAG = "selected"            # the selection saved by 04_select_balanced.ipynb
OUT = "../out"              # the exports go to OUT/nb-imagefolder and OUT/nb-kohya
FORMAT = "imagefolder"      # the format shown in the last section: "imagefolder" or "kohya"

# %%
import workbench as wb
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
hf = wb.export(ds, format="imagefolder", tag=TAG, out=f"{OUT}/nb-imagefolder", config=config)
print(hf.summary())

# %%
kohya = wb.export(ds, format="kohya", tag=TAG, out=f"{OUT}/nb-kohya", config=config)
print(kohya.summary())

# %% [markdown]
# ## Look inside an export
# Pick the format, then run the cells below: the folder as it will be trained on, and its dataset card.

# %%
fmt = wb.choice(["imagefolder", "kohya"], FORMAT, "format")
fmt

# %%
wb.show_folder(f"{OUT}/nb-{fmt.value}")

# %%
wb.show_card(f"{OUT}/nb-{fmt.value}")

# %% [markdown]
# The imagefolder export loads straight into Hugging Face `datasets`:

# %%
import datasets
hfds = datasets.load_dataset("imagefolder", data_dir=f"{OUT}/nb-imagefolder", split="train")
hfds
