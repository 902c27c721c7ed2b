"""The HF ``imagefolder`` layout, as used by diffusers' ``train_text_to_image_lora.py``.

Layout::

    OUT/train/<name>.jpg
    OUT/train/metadata.jsonl     # {"file_name": "<name>.jpg", "text": "<caption>", ...}

``file_name`` is relative to the metadata file, as ``datasets`` requires, and
``text`` holds the caption (diffusers' default ``--caption_column``; a sentence unless
``CaptionConfig.form`` says otherwise) and ``caption_source`` who gave it (``expert``,
``manifest``, ``suggested`` or ``template``). The rights and
descriptive fields follow as extra features, each column with a single JSON type
(``null`` allowed), because ``datasets`` infers one type per column. No extra key
ends in ``file_name`` (``datasets`` would read it as another image column).

Load it with ``datasets.load_dataset("imagefolder", data_dir=OUT)`` or train with
``train_text_to_image_lora.py --train_data_dir OUT``. ``train/`` has no sub-folders,
so no class labels are inferred.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .items import DESCRIPTIVE_FIELDS, RIGHTS_FIELDS, Item, harmonise

IMAGE_DIR = "train"
METADATA_NAME = "metadata.jsonl"


def metadata_rows(items: Sequence[Item], custom: Sequence[str]) -> list[dict]:
    """One dict per image, keys in a fixed order, each column consistently typed."""
    columns: dict[str, list] = {
        "file_name": [item.filename for item in items],
        "text": [item.caption for item in items],
        "caption_source": [item.caption_source for item in items],
    }
    for name in RIGHTS_FIELDS + DESCRIPTIVE_FIELDS:
        columns[name] = [item.record.get(name) for item in items]
    columns["group"] = [item.group for item in items]
    columns["width"] = [item.width for item in items]
    columns["height"] = [item.height for item in items]
    columns["sample_id"] = [item.id for item in items]
    columns["source_sha256"] = [item.record.get("sha256") for item in items]
    for name in custom:
        key = name if not name.endswith(("file_name", "file_names")) else f"{name}_"
        if key in columns:
            key = f"custom_{key}"
        columns[key] = [item.record.get(name) for item in items]
    typed = {k: harmonise(v) for k, v in columns.items()}
    return [{k: typed[k][i] for k in typed} for i in range(len(items))]


def write_imagefolder(stage: Path, items: Sequence[Item], custom: Sequence[str]) -> dict:
    """Write ``train/metadata.jsonl`` (rows sorted by file name)."""
    folder = stage / IMAGE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ordered = sorted(items, key=lambda it: it.filename)
    with open(folder / METADATA_NAME, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n"
                      for row in metadata_rows(ordered, custom))
    return {"metadata": f"{IMAGE_DIR}/{METADATA_NAME}", "columns": list(
        metadata_rows(ordered[:1], custom)[0]) if ordered else []}
