# %% [markdown]
# # 1. Load a collection with its rights record
#
# Every image gets a rights record: creator, source, licence (checked against the SPDX list), attribution, consent and whether it is AI-generated. Bad files are reported with a reason and never become usable samples; your source files are only read.

# %% tags=["parameters"]
SOURCE = "../sample_data"      # a folder of images, a CSV/JSONL manifest, or an HF imagefolder
DATASET = "palette-sample"     # the FiftyOne dataset to create or update
LICENSE = None                 # an SPDX licence for every image the manifest gives none
LABELS_FROM_FOLDERS = None     # e.g. "category": each file's sub-folder becomes that field

# %%
import workbench as wb
report = wb.load(SOURCE, name=DATASET, labels_from_folders=LABELS_FROM_FOLDERS,
                 config=wb.LoadConfig(license=LICENSE))
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
# ## Rights written inside the files
# Files often carry their own rights statements: an XMP packet (IPTC and the PLUS data-mining property), PNG text chunks, EXIF copyright and artist, or a signed C2PA manifest. The load reads them and weighs them against the manifest: an opt-out found anywhere wins, and a disagreement is listed as a conflict. A file without any says "no embedded signal", which never means "consented".

# %%
print(report.signals_summary)
ds.count_values("embedded_rights")

# %%
report.frame("rights_conflicts")

# %% [markdown]
# ## Look before you curate
# Opted-out images stay in the dataset for the record, but no export will ever contain them.

# %%
wb.show_samples(ds.match({"consent": "opted_out"}), label="creator", title="opted out")

# %% [markdown]
# How is the collection spread over a field of your choice? Pick it, then run the cell below.

# %%
field = wb.field_choice(ds, "style", "count by")
field

# %%
ds.count_values(field.value)

# %% [markdown]
# Loading again is safe: nothing is duplicated, changed files are updated.

# %%
print(wb.load(SOURCE, name=DATASET).summary().splitlines()[0])
