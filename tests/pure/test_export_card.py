"""The dataset card: HF front matter, datasheet sections, charts, credits."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
import yaml
from PIL import Image
from helpers.export_records import fast_config, make_records

from workbench.exporters import ExportContext, export_records
from workbench.exporters.card import hf_license, md, size_category


def front_matter(text: str) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, text[:200]
    return yaml.safe_load(match.group(1))


def test_card_front_matter_datasheet_and_charts(tmp_path):
    records = make_records(tmp_path)
    records[0]["creator"] = "Name | with pipes ![x](http://evil)"
    context = ExportContext(
        dataset_name="Andean textiles v1", group_field="style", seed=11,
        embedding_model="ViT-B-32/laion2b",
        counts_before=pd.DataFrame({"value": ["ink", "weave", "dye"], "count": [60, 12, 5]}),
        excluded={"near_duplicate": 9}, optout_excluded=2,
        selection_params={"strategy": "diverse", "n": 11})
    report = export_records(records, format="csv", out=tmp_path / "out", config=fast_config(),
                            context=context)
    text = (report.out / "README.md").read_text(encoding="utf-8")
    meta = front_matter(text)
    assert meta["pretty_name"] == "Andean textiles v1"
    assert meta["task_categories"] == ["text-to-image"] and meta["size_categories"] == ["n<1K"]
    assert meta["license"] == "other" and "CC-BY-4.0" in meta["license_details"]
    for heading in ("## Composition", "## Provenance", "## Consent", "## Curation log",
                    "## Intended use", "## Limitations"):
        assert heading in text
    assert "| ink | 60 | 6 |" in text and "| dye | 5 | 2 |" in text
    assert '"strategy": "diverse"' in text and "ViT-B-32/laion2b" in text
    assert "| near_duplicate | 9 |" in text and "during selection: 2" in text
    assert "![x](http://evil)" not in text  # creator text is escaped, never markup
    for link in re.findall(r"!\[[^\]]*\]\((card/[^)]+\.png)\)", text):
        with Image.open(report.out / link) as chart:
            assert chart.format == "PNG" and chart.width > 100
    assert len(re.findall(r"\]\(card/", text)) == 2
    with open(report.out / "CREDITS.csv", encoding="utf-8", newline="") as fh:
        credits = list(csv.DictReader(fh))
    assert [c["file"] for c in credits] == sorted(c["file"] for c in credits)
    assert len(credits) == report.images
    assert all((report.out / c["file"]).is_file() for c in credits)
    by_license = {c["license"] for c in credits}
    assert by_license == {"CC-BY-4.0", "CC0-1.0"}


@pytest.mark.parametrize("licenses, expected", [
    (["CC0-1.0", "CC0-1.0"], {"license": "cc0-1.0"}),
    ([None, None], {"license": "unknown"}),
    (["MIT OR Apache-2.0"], {"license": "other"}),
    (["CC-BY-4.0", None], {"license": "other"}),
])
def test_hf_license(licenses, expected):
    assert expected.items() <= hf_license(licenses).items()


def test_small_helpers():
    assert [size_category(n) for n in (0, 999, 1000, 50_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K"]
    assert md("a|b\nc <script>") == "a\\|b c &lt;script&gt;"
    assert md(None) == "—"
