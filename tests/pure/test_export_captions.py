"""Captions: templates with missing fields, the trigger, sample captions, and checks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.exporters import CaptionConfig, render_caption
from workbench.exporters import captions as cap_mod
from workbench.exporters.captions import check_captions, render_captions
from workbench.models import tokens as tokens_mod

TEMPLATE = "{trigger}, {style} pattern, {technique}, from {region}"
MISSING = [None, "", "   ", math.nan]


@settings(max_examples=200, deadline=None)
@given(style=st.sampled_from(MISSING + ["ink", "geo metric"]),
       technique=st.sampled_from(MISSING + ["weaving"]),
       region=st.sampled_from(MISSING + ["Andes"]),
       trigger=st.sampled_from([None, "plwb"]))
def test_missing_fields_leave_no_debris(style, technique, region, trigger):
    cfg = CaptionConfig(template=TEMPLATE, trigger=trigger, tokenizer=None)
    caption = render_caption({"style": style, "technique": technique, "region": region}, cfg)
    assert "None" not in caption and "nan" not in caption
    assert ", ," not in caption and ",," not in caption
    assert not caption.startswith((",", " ")) and not caption.endswith((",", " "))
    assert "  " not in caption
    present = [v for v in (style, technique, region) if isinstance(v, str) and v.strip()]
    for value in present:
        assert value in caption
    if isinstance(style, str) and style.strip():
        assert f"{style} pattern" in caption
    else:
        assert "pattern" not in caption  # the part went with its field
    if trigger:
        assert caption.split(", ")[0] == trigger


def test_examples_render_as_documented():
    cfg = CaptionConfig(template=TEMPLATE, trigger="plwb", tokenizer=None)
    assert render_caption({"style": "ink", "technique": None, "region": "Andes"}, cfg) == \
        "plwb, ink pattern, from Andes"
    assert render_caption({}, cfg) == "plwb"


def test_trigger_is_prepended_when_the_template_lacks_it_and_survives_a_dropped_part():
    cfg = CaptionConfig(template="{style}, {technique}", trigger="sks", tokenizer=None)
    assert render_caption({"style": "ink", "technique": "dye"}, cfg) == "sks, ink, dye"
    cfg = CaptionConfig(template="{trigger} {style}, {technique}", trigger="sks", tokenizer=None)
    assert render_caption({"style": None, "technique": "dye"}, cfg) == "sks, dye"


def test_sample_caption_preferred_and_trigger_not_doubled():
    cfg = CaptionConfig(template="{style}", trigger="sks", tokenizer=None)
    rec = {"style": "ink", "caption": "a  blue,\nwoven   cloth"}
    assert render_caption(rec, cfg) == "sks, a blue, woven cloth"
    assert render_caption({"caption": "sks, already here"}, cfg) == "sks, already here"
    off = CaptionConfig(template="{style}", trigger="sks", prefer_sample_caption=False,
                        tokenizer=None)
    assert render_caption(rec, off) == "sks, ink"


def test_template_typo_is_an_error_that_lists_valid_fields():
    with pytest.raises(ValueError, match="stlye") as info:
        render_captions([{"style": "ink", "motif": "bird"}], CaptionConfig(template="{stlye}"))
    assert "'style'" in str(info.value) and "'motif'" in str(info.value)
    with pytest.raises(ValueError, match="template"):
        CaptionConfig(template="{style")
    with pytest.raises(ValueError, match="plain field name"):
        CaptionConfig(template="{style.upper}")


def test_checks_find_empty_missing_trigger_and_shared():
    cfg = CaptionConfig(trigger="plwb", tokenizer=None, shared_max_count=10, shared_max_share=0.2)
    ids = [f"s{i}" for i in range(30)]
    captions = ["plwb, ink"] * 12 + ["plwb, dye"] * 3 + ["", "a cloth"] + [
        f"plwb, unique {i}" for i in range(13)]
    issues = check_captions(ids, captions, cfg)
    assert issues.empty == ["s15"]
    assert issues.missing_trigger == ["s16"]
    assert issues.shared == [{"caption": "plwb, ink", "count": 12}]  # 3/30 = 10%: fine
    assert "tokenizer=None" in issues.note
    small = check_captions(["a", "b", "c"], ["plwb, x", "plwb, x", "plwb, y"], cfg)
    assert small.shared == [{"caption": "plwb, x", "count": 2}]  # 67% of a small set


def test_unavailable_tokenizer_is_a_note_not_a_failure(monkeypatch):
    def boom(name):
        raise ImportError("No module named 'open_clip'")

    monkeypatch.setattr(tokens_mod, "_tokenizer", boom)
    cfg = CaptionConfig(trigger="plwb")
    # Short ASCII captions are settled by a bound; no tokenizer needed, no note.
    settled = check_captions(["a"], ["plwb, ink"], cfg)
    assert settled.too_long == [] and settled.note is None
    issues = check_captions(["a", "b"], ["plwb, ink", "plwb, ñandutí lace"], cfg)
    assert issues.too_long == [] and "open_clip" in issues.note and "unavailable" in issues.note


@pytest.mark.slow
def test_clip_token_limit_uses_the_bundled_tokenizer():
    long = ", ".join(f"motif{i} in indigo" for i in range(40))
    issues = check_captions(["short", "long"], ["plwb, ink pattern", long],
                            CaptionConfig(trigger=None))
    assert issues.note is None
    assert [d["id"] for d in issues.too_long] == ["long"]
    assert issues.too_long[0]["tokens"] > 77
    assert cap_mod.count_tokens(["plwb, ink pattern"])[0] < 10


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=75))
def test_short_ascii_bound_holds_for_the_real_tokenizer(caption):
    assert cap_mod.surely_fits(caption, 77)
    assert cap_mod.count_tokens([caption])[0] <= len(caption) + 2


# ------------------------------------------------------- sources, forms, file-name words

def test_template_captions_drop_creator_ids_dates_and_numbers():
    cfg = CaptionConfig(tokenizer=None)
    rec = {"filepath": "/c/animals/acquila_architetto_franc.png", "group": "animals",
           "creator": "Architetto Francesco Rollandin"}
    caption, fallback = cap_mod.captions_with_fallback([rec], cfg)
    assert fallback == [True] and caption == ["animals, acquila"]
    # without the creator the name stays (only the creator's own words are dropped)
    assert cap_mod.file_words(rec["filepath"]) == "acquila architetto franc"
    assert cap_mod.file_words("heron_2021-03-04_a3f9c2e1_x7k2p9_0042.jpg") == "heron"
    assert cap_mod.file_words("12jan2021_red-fox_DSC01234.jpg") == "red fox"
    assert cap_mod.file_words("yen100.png") == "yen"
    assert cap_mod.file_words("may_flowers.png") == "may flowers"  # no date near: a word


def test_expert_caption_outranks_everything_and_sources_are_reported():
    cfg = CaptionConfig(template="{style}", trigger="sks", tokenizer=None,
                        prefer_sample_caption=False)
    records = [{"style": "ink", "caption": "a heron by the river", "caption_source": "expert"},
               {"style": "ink", "caption": "from the manifest"},  # no source: the manifest's
               {"style": "ink", "caption": "suggested words", "caption_source": "suggested"},
               {"style": "ink"}]
    caps, _, sources = cap_mod.captions_with_sources(records, cfg)
    assert caps == ["sks, a heron by the river", "sks, ink", "sks, ink", "sks, ink"]
    assert sources == ["expert", "template", "template", "template"]
    prefer = CaptionConfig(template="{style}", trigger="sks", tokenizer=None)
    caps, _, sources = cap_mod.captions_with_sources(records, prefer)
    assert sources == ["expert", "manifest", "suggested", "template"]
    assert caps[1] == "sks, from the manifest"
    with pytest.raises(ValueError, match="caption_source"):
        cap_mod.captions_with_sources([{"caption": "x", "caption_source": "robot"}], prefer)


def test_tag_captions_start_with_the_trigger_and_sentences_end_with_a_stop():
    cfg = CaptionConfig(template="{style}, {trigger}, {technique}", trigger="plwb, style",
                        tokenizer=None)
    rec = {"style": "ink", "technique": "dye", "caption": "blue, plwb, style, cloth"}
    assert render_caption(rec, cfg, "tags") == "plwb, style, blue, cloth"
    rec.pop("caption")
    assert render_caption(rec, cfg, "tags") == "plwb, style, ink, dye"
    sentence = render_caption({"filepath": "/x/great_heron.png", "group": "birds",
                               "style": "ink", "region": "Andes"},
                              CaptionConfig(trigger="plwb", tokenizer=None), "sentence")
    assert sentence == "plwb, a picture of great heron, birds, ink style, from Andes."
    # a value already said is not repeated (the group equals the style here)
    same = render_caption({"group": "ink", "style": "ink"}, CaptionConfig(tokenizer=None),
                          "sentence")
    assert same == "ink."


def test_kohya_keep_tokens_cover_the_trigger():
    from workbench.exporters.kohya import KohyaConfig, dataset_config

    for trigger, keep in ((None, 0), ("plwb", 1), ("plwb, style", 2)):
        text = dataset_config([], config=KohyaConfig(), resolution=512, mode="keep",
                              trigger=trigger)
        assert f"keep_tokens = {keep}" in text and 'caption_extension = ".txt"' in text


def test_card_carries_annotation_fields_and_counts_annotators_without_ids(tmp_path):
    import yaml
    from helpers.export_records import fast_config, make_records

    from workbench.exporters import ExportContext, export_records

    records = make_records(tmp_path, {"ink": 4, "dye": 2})
    records[0].update(caption="a heron, checked", caption_source="expert")
    records[1].update(caption="as the manifest says")
    ctx = ExportContext(annotators=("ann-7", "ann-9", "ann-7"), review="every caption read twice",
                        agreement={"field": "style", "kappa": 0.8123, "items": 12,
                                   "annotators": ["ann-7", "ann-9"]})
    report = export_records(records, format="imagefolder", out=tmp_path / "out",
                            config=fast_config(), context=ctx)
    card = (report.out / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["annotations_creators"] == ["expert-generated", "found", "machine-generated"]
    assert meta["task_categories"] == ["text-to-image"] and meta["size_categories"] == ["n<1K"]
    assert meta["source_datasets"] == ["archive", "museum"]
    assert "Annotators: 2 " in card and "| style | Cohen's κ | 0.812 | 12 | 2 |" in card
    assert "Review: every caption read twice" in card
    assert "ann-7" not in card and "ann-9" not in card  # a count, never the ids
