"""Edits and their record on a dataset: the API, the notebook editor's callbacks (simulated
clicks and Enter, no browser), edits made in the App, agreement, adjudication, the CLI."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import numpy as np
import pytest

import workbench as wb
from workbench.core.annotation.record import AnnotatorMissingError


@pytest.fixture(scope="module")
def ds(sample_workspace):
    return sample_workspace[0]


def _ids(ds, n, skip=0):
    return ds.sort_by("filepath").values("id")[skip:skip + n]


def _press_enter(text_widget):
    """What the browser sends when Enter is pressed in an ipywidgets text box."""
    text_widget._handle_string_msg(None, {"event": "submit"}, [])


def _time(text):
    return datetime.fromisoformat(text)


def test_two_annotators_edits_through_the_api_and_the_editor_keep_the_history(ds, monkeypatch):
    monkeypatch.delenv("WORKBENCH_ANNOTATOR", raising=False)
    a, b, c = _ids(ds, 3)
    before, caption_c = ds[a]["caption"], ds[c]["caption"]
    # Expert 1, through the API.
    rec = wb.edit(ds, "caption", {a: "indigo dots on cotton", b: "resist dots"},
                  annotator="expert-1")
    assert len(rec) == 2 and rec.edits[0].previous == before
    # Expert 2, through the notebook editor: typed, then Enter; then a click on Save.
    editor = wb.annotate(ds.select([a, b, c], ordered=True), field="caption", order="random",
                         annotator="expert-2", seed=0)
    assert editor.progress.value.startswith("<b>1 / 3</b>")
    first = editor.item.id
    assert editor.entry.value == (ds[first]["caption"] or "")
    editor.entry.value = "fine indigo dots, hand dyed"
    _press_enter(editor.entry)
    assert editor.progress.value.startswith("<b>2 / 3</b>") and editor.saved == [first]
    second = editor.item.id
    editor.skip_button.click()
    third = editor.item.id
    editor.entry.value = "third caption"
    editor.save_button.click()
    assert editor.item is None and editor.save_button.disabled
    editor.back_button.click()
    assert editor.item.id == third and editor.entry.value == "third caption"
    # A third edit of the first item, through the API again.
    wb.edit(ds, "caption", {first: "indigo dots, third say"}, annotator="expert-1")

    ds.reload()
    assert ds[first]["caption"] == "indigo dots, third say"
    assert ds[first]["caption_source"] == "expert"
    history = wb.annotation_record(ds).history(first, "caption")
    assert [e.annotator for e in history][-2:] == ["expert-2", "expert-1"]
    assert [e.tool for e in history][-2:] == ["notebook", "api"]
    assert history[-1].previous == "fine indigo dots, hand dyed"
    assert history[-2].value == "fine indigo dots, hand dyed"
    times = [_time(e.time) for e in history]
    assert times == sorted(times) and all(t.utcoffset().total_seconds() == 0 for t in times)
    # The skipped item keeps what it had, and has no notebook edit.
    after_api = {a: "indigo dots on cotton", b: "resist dots", c: caption_c}
    assert ds[second]["caption"] == after_api[second]
    assert "notebook" not in {e.tool for e in wb.annotation_record(ds).history(second, "caption")}
    assert ds[third]["caption"] == "third caption"


def test_tags_labels_and_rights_are_edited_and_checked(ds):
    a, b = _ids(ds, 2, skip=10)
    wb.edit(ds, "tags", {a: ["review", "dots"]}, annotator="expert-1", tool="cli")
    wb.edit(ds, "style", {a: "shibori"}, annotator="expert-1")
    wb.edit(ds, "license", {b: "CC-BY-4.0"}, annotator="rights-1")
    wb.edit(ds, "consent", {b: "opt-out"}, annotator="rights-1")
    ds.reload()
    assert ds[a]["tags"] == ["review", "dots"] and ds[a]["style"] == "shibori"
    assert ds[b]["license"] == "CC-BY-4.0" and ds[b]["license_status"] == "valid"
    assert ds[b]["consent"] == "opted_out"
    wb.edit(ds, "needs_review", {a: True}, annotator="expert-1")  # a new field, typed
    wb.edit(ds, "review_note", {b: None}, annotator="expert-1")
    ds.reload()
    assert ds[a]["needs_review"] is True and ds[b]["review_note"] is None
    assert type(ds.get_field("needs_review")).__name__ == "BooleanField"
    assert type(ds.get_field("review_note")).__name__ == "StringField"
    tools = {(e.field, e.tool) for e in wb.annotation_record(ds).edits if e.sample_id in (a, b)}
    assert {("tags", "cli"), ("style", "api"), ("license", "api")} <= tools
    with pytest.raises(ValueError, match="'sha256' cannot be edited"):
        wb.edit(ds, "sha256", {a: "x"}, annotator="expert-1")
    with pytest.raises(ValueError, match="sample ids this dataset does not have"):
        wb.edit(ds, "caption", {"000000000000000000000000": "x"}, annotator="expert-1")
    with pytest.raises(ValueError, match="tool must be one of"):
        wb.edit(ds, "caption", {a: "x"}, annotator="expert-1", tool="browser")


def test_the_annotator_is_never_guessed(ds, monkeypatch):
    a = _ids(ds, 1, skip=20)[0]
    monkeypatch.delenv("WORKBENCH_ANNOTATOR", raising=False)
    with pytest.raises(AnnotatorMissingError, match="annotator is missing"):
        wb.edit(ds, "caption", {a: "x"})
    with pytest.raises(AnnotatorMissingError):
        wb.annotate(ds.select([a]), field="caption", order="random")
    monkeypatch.setenv("WORKBENCH_ANNOTATOR", "env-9")
    wb.edit(ds, "caption", {a: "from the environment"})
    wb.edit(ds, "caption", {a: "from the config"}, config=wb.AnnotationConfig(annotator="cfg-9"))
    assert [e.annotator for e in wb.annotation_record(ds).history(a, "caption")] == \
        ["env-9", "cfg-9"]


def test_edits_made_in_the_app_are_noticed_as_unknown(ds):
    a, b = _ids(ds, 2, skip=30)
    wb.edit(ds, "style", {a: "ink", b: "wash"}, annotator="expert-1")
    sample = ds[a]  # what FiftyOne's Annotate tab does: the field, written directly
    sample["style"] = "dye"
    sample.save()
    wb.edit(ds, "caption", {b: "next workbench step"}, annotator="expert-1")
    hist = wb.annotation_record(ds).history(a, "style")
    assert [(e.annotator, e.tool, e.previous, e.value) for e in hist][-1] == \
        ("unknown", "app", "ink", "dye")
    assert len(wb.annotation_record(ds).history(b, "style")) == 1
    assert len(wb.sync_outside_edits(ds)) == 0  # nothing new


def test_agreement_equals_scikit_learn_and_adjudication_is_recorded(ds):
    from sklearn.metrics import cohen_kappa_score

    ids = _ids(ds, 30, skip=40)
    rng = np.random.default_rng(0)
    styles = ["ink", "wash", "dye"]
    one = {i: styles[k] for i, k in zip(ids, rng.integers(0, 3, 30))}
    two = {i: (v if rng.random() < 0.7 else styles[rng.integers(0, 3)]) for i, v in one.items()}
    wb.edit(ds, "technique", one, annotator="a-1")
    wb.edit(ds, "technique", {i: two[i] for i in ids[:25]}, annotator="b-2")
    agr = wb.agreement(ds, "technique")
    expected = cohen_kappa_score([one[i] for i in ids[:25]], [two[i] for i in ids[:25]])
    assert agr.statistic == "cohen_kappa" and agr.n_items == 25
    assert agr.value == pytest.approx(expected, abs=1e-12)
    disagree = {i for i in ids[:25] if one[i] != two[i]}
    assert set(agr.queue.index) == disagree and agr.queue["filepath"].notna().all()
    decided = {i: two[i] for i in disagree}
    wb.adjudicate(ds, "technique", decided, annotator="lead-1")
    assert {e.tool for e in wb.annotation_record(ds, "technique").edits if e.annotator ==
            "lead-1"} == {"adjudication"}
    again = wb.agreement(ds, "technique")  # adjudications do not count as a third annotator
    assert again.annotators == ["a-1", "b-2"] and again.value == pytest.approx(expected)
    with pytest.raises(ValueError, match="made no edit of 'technique'"):
        wb.agreement(ds, "technique", annotators=["a-1", "z-9"])


def test_the_editor_suggests_labels_words_and_says_clip_is_absent(ds):
    view = ds.sort_by("filepath").limit(12)
    wb.edit(ds, "style", {view.first().id: None}, annotator="expert-1")  # one unlabelled
    editor = wb.annotate(view, field="style", order="doubtful", annotator="expert-3")
    first = editor.item
    assert first.id == view.first().id  # a missing label is the most doubtful
    assert first.labels and 0 < first.labels[0][1] <= 1 and first.words
    assert "CLIP weights are absent" in editor.notes.value
    assert len(editor.label_box.children) == 1 + len(first.labels)
    editor.label_box.children[1].click()  # the first suggestion fills the box
    assert editor.entry.value == str(first.labels[0][0])
    editor.save_button.click()
    assert wb.annotation_record(ds).history(first.id, "style")[-1].annotator == "expert-3"
    assert ds[first.id]["style"] == str(first.labels[0][0])
    with pytest.raises(ValueError, match="order must be one of"):
        wb.annotate(view, field="style", order="newest", annotator="expert-3")


def test_the_cli_exports_the_record_and_applies_edits(ds, cli, tmp_path):
    a = _ids(ds, 1, skip=80)[0]
    edits = tmp_path / "edits.csv"
    edits.write_text(f"id,field,value\n{a},caption,a caption from a file\n{a},tags,\"x, y\"\n")
    out = cli("annotations", ds.name, "--apply", str(edits), "--annotator", "cli-1", "--json",
              check=True)
    assert json.loads(out.stdout)["applied"] == 2
    ds.reload()
    assert ds[a]["caption"] == "a caption from a file" and ds[a]["tags"] == ["x", "y"]
    path = tmp_path / "record.csv"
    out = cli("annotations", ds.name, "--export", str(path), "--json", check=True)
    payload = json.loads(out.stdout)
    rows = list(csv.DictReader(path.open()))
    assert payload["edits"] == len(rows) == len(wb.annotation_record(ds))
    assert {"expert-1", "cli-1"} <= set(payload["annotators"])
    mine = [r for r in rows if r["sample_id"] == a]
    assert [(r["field"], r["tool"], r["annotator"]) for r in mine] == \
        [("caption", "cli", "cli-1"), ("tags", "cli", "cli-1")]
    jsonl = tmp_path / "record.jsonl"
    cli("annotations", ds.name, "--export", str(jsonl), "--field", "tags", check=True)
    assert all(json.loads(x)["field"] == "tags" for x in jsonl.read_text().splitlines())
    bad = cli("annotations", ds.name, "--apply", str(edits), "--json",
              env={**__import__("os").environ, "WORKBENCH_ANNOTATOR": ""})
    assert bad.returncode == 2 and "annotator is missing" in json.loads(bad.stdout)["error"]


def test_with_clip_embeddings_the_editor_offers_zero_shot_tags(ds, dataset_name, monkeypatch):
    """The CLIP path, with a stand-in text tower (no CLIP weights here): the phrase whose
    text vector is an item's own image vector comes first for that item."""
    from dataclasses import replace

    import workbench.glue.embed as embed_glue
    from workbench.glue import state

    clone = ds.clone(dataset_name)
    fname = state.last_embedding_field(clone)
    state.record_embedding(clone, replace(state.embedding_runs(clone)[fname], has_text=True))
    view = clone.sort_by("filepath").limit(4)
    target = view.first()
    rng = np.random.default_rng(0)

    class TextTower:
        def encode_texts(self, words):
            vecs = rng.normal(size=(len(words), len(target[fname]))).astype(np.float32)
            vecs[words.index("mirror of the first")] = np.asarray(target[fname])
            return vecs

    monkeypatch.setattr(embed_glue, "embedder_for_field", lambda collection, field: TextTower())
    vocab = ["mirror of the first", "noise one", "noise two", "noise three"]
    editor = wb.annotate(view, field="tags", order="random", annotator="expert-1",
                         vocabulary=vocab)
    items = {it.id: it for it in editor.data.items}
    assert items[target.id].zero_shot[0][0] == "mirror of the first"
    assert items[target.id].zero_shot[0][1] == pytest.approx(1.0, abs=1e-4)
    assert all(len(it.zero_shot) == 4 for it in items.values())
    assert "CLIP weights are absent" not in editor.notes.value
    while editor.item.id != target.id:
        editor.skip_button.click()
    editor.tag_box.children[1].click()  # a zero-shot tag is added to the box
    editor.save_button.click()
    assert clone[target.id]["tags"] == ["mirror of the first"]


def test_the_card_reports_the_annotators_count_and_kappa(ds, tmp_path):
    from sklearn.metrics import cohen_kappa_score

    ids = _ids(ds, 12, skip=80)
    first = {i: ["ink", "wash"][k % 2] for k, i in enumerate(ids)}
    second = {i: (v if k % 4 else "dye") for k, (i, v) in enumerate(first.items())}
    wb.edit(ds, "motif", first, annotator="card-a")  # a field no other test edits
    wb.edit(ds, "motif", second, annotator="card-b")
    view = ds.select(ids)
    view.tag_samples("card-check")
    people = {a for a in wb.annotation_record(view).annotators() if a != "unknown"}
    report = wb.export(ds, format="imagefolder", out=tmp_path / "hf", tag="card-check",
                       config=wb.ExportConfig(overwrite=True))
    card = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    kappa = cohen_kappa_score([first[i] for i in ids], [second[i] for i in ids])
    assert report.images == 12 and {"card-a", "card-b"} <= people
    assert f"Annotators: {len(people)} (pseudonymous ids" in card
    assert f"| motif | Cohen's κ | {kappa:.3f} | 12 | 2 |" in card
    assert not any(a in card for a in people), "ids stay in the record, out of the card"
