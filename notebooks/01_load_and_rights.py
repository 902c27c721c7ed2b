# %% [markdown]
# # 1. Load a collection with its rights record
#
# Every image gets a rights record: creator, source, licence (checked against the SPDX list), attribution, consent and whether it is AI-generated. Bad files are reported with a reason and never become usable samples; your source files are only read.

# %%
import workbench as wb
DATASET = "palette-sample"   # your FiftyOne dataset name
SOURCE = "../sample_data"  # or the folder with your own images

# %%
report = wb.load(SOURCE, name=DATASET)
print(report.summary())

# %% [markdown]
# ## What could not be used, and why
# The load report lists every file it passed over. Exact duplicates (same bytes) are kept but flagged.

# %%
report.frame("skipped")

# %%
report.frame("duplicates")

# %% [markdown]
# ## The rights picture
# Licences that are not SPDX ids are flagged `unknown` or `invalid`; they will be excluded from exports by default.

# %%
ds = wb.get_dataset(DATASET)
ds.count_values("license_status"), ds.count_values("consent"), ds.count_values("ai_generated")

# %%
report.frame("unknown_license")

# %% [markdown]
# ## Look before you curate
# Opted-out images stay in the dataset for the record, but no export will ever contain them.

# %%
wb.show_samples(ds.match({"consent": "opted_out"}), label="creator", title="opted out")

# %%
ds.count_values("style")

# %% [markdown]
# Loading again is safe: nothing is duplicated, changed files are updated.

# %%
print(wb.load(SOURCE, name=DATASET).summary().splitlines()[0])
