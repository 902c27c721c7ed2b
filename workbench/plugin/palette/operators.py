"""The workbench's steps as FiftyOne operators: each reads its form, calls the public API
and returns the result's summary, exactly as the command line does.

The long ones (embed, compute map, check quality, find gaps) report progress and can run
delegated. The export operator writes only under the export root the App was started
with (``workbench app NAME --exports DIR``); any other path is refused before anything
is written or deleted.
"""

from __future__ import annotations

import fiftyone.operators as foo
from fiftyone.operators import types

import workbench as wb
from workbench.glue.export import EXPORT_FORMATS
from workbench.glue.plugins import export_root, export_target
from workbench.glue.select import DEFAULT_TAG

_FORMATS = list(EXPORT_FORMATS)
_STRATEGIES = ["cap", "quota", "diverse"]


def _form(inputs: types.Object, label: str, description: str) -> types.Property:
    return types.Property(inputs, view=types.View(label=label, description=description))


def _group_choice(inputs: types.Object, ctx, description: str) -> None:
    """``by``: a field of the dataset, or empty for the labels, else the clusters."""
    from workbench.glue.fields import groupable_fields

    choices = types.AutocompleteView(label="Group by")
    for name in groupable_fields(ctx.dataset):
        choices.add_choice(name, label=name)
    # A free string (the choices only suggest), so a wrong field gets the CLI's message.
    inputs.str("by", view=choices, required=False, description=description)


def _tag_field(inputs: types.Object) -> None:
    """``tag``: which selection, by its tag."""
    inputs.str("tag", default=DEFAULT_TAG, description="the selection's tag")


def _reload(ctx) -> None:
    """Show the App the dataset's new state, unless the operation ran delegated."""
    if not ctx.delegated:
        ctx.ops.reload_dataset()


def _done(ctx, label: str) -> None:
    ctx.set_progress(progress=1.0, label=label)
    _reload(ctx)


class _Operator(foo.Operator):
    """A workbench operator, its config made from ``step``, ``title`` and ``about``, and its
    form from :meth:`fields`, headed by the title and described by ``note`` (or ``about``).
    """

    step = title = about = note = ""
    #: Whether it may run as a delegated operation.
    delegable = False
    #: Whether its form asks whether to run it delegated.
    asks_delegate = False

    @property
    def config(self):
        return foo.OperatorConfig(name=self.step, label=f"Palette: {self.title}",
                                  description=self.about, dynamic=True,
                                  allow_immediate_execution=True,
                                  allow_delegated_execution=self.delegable, icon="palette")

    def fields(self, inputs: types.Object, ctx) -> None:
        """Add the operator's own fields to its form (none by default)."""

    def resolve_input(self, ctx):
        inputs = types.Object()
        self.fields(inputs, ctx)
        if self.asks_delegate:
            inputs.bool("delegate", default=False, description="run as a delegated operation")
        return _form(inputs, self.title[:1].upper() + self.title[1:], self.note or self.about)


class _Step(_Operator):
    """A long step: progress, delegation allowed, the dataset reloaded afterwards.

    A step adds its own fields in :meth:`fields`, runs in :meth:`run` while the App shows
    ``working``, and returns :meth:`payload` of the result (whose ``summary()`` is shown).
    """

    delegable = asks_delegate = True
    working = ""

    def resolve_delegation(self, ctx):
        return bool(ctx.params.get("delegate", False))

    def run(self, ctx):
        """Run the step on ``ctx.dataset``; return its result (it has ``summary()``)."""
        raise NotImplementedError

    def payload(self, result) -> dict:
        """What the operator returns: the result's ``to_dict()`` unless a step says more."""
        return result.to_dict()

    def execute(self, ctx):
        ctx.set_progress(progress=0.0, label=self.working)
        result = self.run(ctx)
        _done(ctx, result.summary())
        return self.payload(result)


class EmbedOperator(_Step):
    step, title, working = "embed", "embed images", "embedding"
    about = "Embed every image (cached by content) with the bundled model or CLIP"

    def fields(self, inputs, ctx):
        inputs.str("model", default=wb.EmbedConfig().model,
                   description="auto, bundled, clip or OPENCLIP_NAME:PRETRAINED_OR_PATH")

    def run(self, ctx):
        return wb.embed(ctx.dataset, config=wb.EmbedConfig(
            model=ctx.params.get("model") or wb.EmbedConfig().model, progress=False))


class ComputeMapOperator(_Step):
    step, title, working = "compute_map", "compute the map", "mapping"
    about = "Project the embeddings to 2-D (UMAP, or PCA for a fast preview)"

    def fields(self, inputs, ctx):
        inputs.enum("method", ["umap", "pca"], default="umap", view=types.RadioGroup())
        inputs.int("seed", default=wb.MapConfig().seed, description="UMAP's random seed")

    def run(self, ctx):
        seed = ctx.params.get("seed")
        return wb.compute_map(ctx.dataset, method=ctx.params.get("method") or "umap",
                              config=wb.MapConfig(seed=None if seed is None else int(seed)))


class CheckQualityOperator(_Step):
    step, title, working = "check_quality", "check quality", "checking quality"
    about = "Flag blank, dark, washed-out, blurry, low-resolution and odd-aspect images"

    def run(self, ctx):
        return wb.check_quality(ctx.dataset)


class FindGapsOperator(_Step):
    step, title, working = "find_gaps", "find gaps", "finding gaps"
    about = "Representation against targets, creators, named clusters and thin regions"

    def fields(self, inputs, ctx):
        _group_choice(inputs, ctx, "empty: the labels, else the map's clusters")

    def run(self, ctx):
        return wb.find_gaps(ctx.dataset, by=ctx.params.get("by") or None)

    def payload(self, gaps):
        return {"by": gaps.by, "summary": gaps.summary(),
                "groups": gaps.table.to_dict(orient="records")}


class SelectBalancedOperator(_Operator):
    """``wb.select_balanced`` with n, by, creator cap, seed, strategy and tag."""

    step, title = "select_balanced", "select balanced"
    about = "A balanced, deduplicated, rights-clean subset, saved as a tag"
    note = ("Rights filter, quality, duplicates, creator cap, then balance: every exclusion "
            "keeps its reason")

    def fields(self, inputs, ctx):
        inputs.int("n", required=True, min=1, description="how many images to select")
        _group_choice(inputs, ctx, "empty: the labels, else the map's clusters")
        inputs.float("creator_cap", required=False,
                     description="at most this many per creator: a fraction of N (< 1) or "
                                 "a count; empty: no cap")
        inputs.int("seed", default=wb.SelectConfig().seed, description="random seed")
        inputs.enum("strategy", _STRATEGIES, default=wb.SelectConfig().strategy,
                    view=types.RadioGroup())
        _tag_field(inputs)
        inputs.bool("allow_fewer", default=False,
                    description="select fewer than N when too few images are eligible")

    def execute(self, ctx):
        p = ctx.params
        if p.get("n") is None:
            raise ValueError("n must be a positive integer (how many images to select); "
                             "got nothing")
        cap = p.get("creator_cap")
        config = wb.SelectConfig(strategy=p.get("strategy") or wb.SelectConfig().strategy,
                                 seed=int(p.get("seed") or 0),
                                 creator_cap=None if cap in (None, "") else cap,
                                 allow_fewer=bool(p.get("allow_fewer")))
        tag = p.get("tag") or DEFAULT_TAG
        sel = wb.select_balanced(ctx.dataset, int(p["n"]), by=p.get("by") or None,
                                 config=config, tag=tag)
        _reload(ctx)
        return {**sel.summary_dict(), "tag": tag, "ids": list(sel.ids),
                "summary": sel.summary(tag=tag)}


class ExportSelectionOperator(_Operator):
    """``wb.export`` of a selection, only into a folder under the export root."""

    step, title = "export_selection", "export the selection"
    about = "Write the selection for fine-tuning, under the export root"
    note = "Only under the export root chosen with `workbench app NAME --exports DIR`"
    delegable = True

    def fields(self, inputs, ctx):
        inputs.enum("format", _FORMATS, required=True, default="imagefolder",
                    view=types.RadioGroup())
        inputs.str("out", required=True,
                   description=f"a folder inside the export root {str(export_root())!r}")
        _tag_field(inputs)
        inputs.bool("overwrite", default=False,
                    description="replace the folder when it holds an earlier export")

    def execute(self, ctx):
        p = ctx.params
        out = export_target(p.get("out"))  # refused before anything is written
        report = wb.export(ctx.dataset, format=p.get("format") or "", out=out,
                           tag=p.get("tag") or DEFAULT_TAG,
                           config=wb.ExportConfig(overwrite=bool(p.get("overwrite"))))
        return {**report.to_dict(), "summary": report.summary()}


class ReviewDecisionOperator(_Operator):
    """``wb.decide_review`` on item ``index`` of ``wb.review_queue``."""

    step, title = "review_decision", "decide a review item"
    about = "Keep both, drop one, or not a problem: a hand edit of the selection"

    def fields(self, inputs, ctx):
        _tag_field(inputs)
        inputs.int("index", required=True, min=0, description="the item in the review queue")
        inputs.enum("decision", ["keep_both", "drop", "not_a_problem"], required=True)
        inputs.str("drop", required=False, description="the id of the image to drop")

    def execute(self, ctx):
        p = ctx.params
        tag = p.get("tag") or DEFAULT_TAG
        queue = wb.review_queue(ctx.dataset, tag)
        index = p.get("index")
        if not isinstance(index, int) or not 0 <= index < len(queue):
            raise ValueError(f"index must be an item of the review queue (0 to "
                             f"{len(queue) - 1}); got {index!r}")
        sel = wb.decide_review(ctx.dataset, queue[index], p.get("decision"),
                               drop=p.get("drop") or None, tag=tag, tool="app")
        _reload(ctx)
        return {"selected": len(sel), "excluded": sel.excluded_counts()}


class AnnotateOperator(_Operator):
    """``wb.edit`` of the selected samples (or the current view): a label, caption or tags,
    recorded under an annotator id with tool ``app``, like every other edit."""

    step, title = "annotate", "set a label, caption or tags"
    about = "Set a value on the selected samples, recorded with your annotator id"

    def resolve_input(self, ctx):
        inputs = types.Object()
        inputs.str("field", required=True, default="style",
                   description="the field to set: a label (style, region, ...), caption or tags")
        inputs.str("value", required=True,
                   description="the new value; for tags, comma-separated")
        inputs.str("annotator", required=False,
                   description="your (pseudonymous) annotator id; default WORKBENCH_ANNOTATOR")
        count = len(ctx.selected) if ctx.selected else len(ctx.view)
        return _form(inputs, "Annotate", f"{count} sample(s): "
                     + ("the selected ones" if ctx.selected else "the current view"))

    def execute(self, ctx):
        p = ctx.params
        field, value = p.get("field") or "", p.get("value")
        ids = list(ctx.selected) if ctx.selected else ctx.view.values("id")
        if field == "tags":
            value = [v.strip() for v in str(value or "").split(",") if v.strip()]
        record = wb.edit(ctx.dataset, field, {i: value for i in ids},
                         annotator=p.get("annotator") or None, tool="app")
        _reload(ctx)
        return {"edited": len(record.edits), "field": field, "summary": record.summary()}


OPERATORS = (EmbedOperator, ComputeMapOperator, CheckQualityOperator, FindGapsOperator,
             SelectBalancedOperator, ExportSelectionOperator, ReviewDecisionOperator,
             AnnotateOperator)
