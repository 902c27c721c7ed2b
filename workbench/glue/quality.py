"""Quality checks on a FiftyOne dataset: scores from the load, thresholds from the collection.

The loader stores each image's quality scores (``quality_scores``) from its one small
decode; :func:`check_quality` judges the whole collection against its own distribution
(:func:`workbench.core.quality.checks.judge_quality`) and writes ``quality_issues`` on every
sample. Images loaded before scores existed are decoded once, small, and scored.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.quality.checks import CHECKS, QualityPolicy, QualityResult
from . import state
from .fo import fiftyone, usable

ISSUES_FIELD = "quality_issues"
SCORES_FIELD = "quality_scores"


@dataclass
class QualityReport:
    """:class:`QualityResult` for a dataset, with each sample's file path.

    ``to_dict()`` is the ``workbench quality --json`` output: ``checked``, ``flagged``
    (check -> count), ``excluded``, ``thresholds`` and ``items`` (``{path, issues,
    scores}`` for the flagged samples).
    """

    result: QualityResult
    paths: dict[str, str]

    def to_dict(self) -> dict:
        full = self.result.to_dict()
        items = [{"path": self.paths[item["id"]], "id": item["id"], "issues": item["issues"],
                  "scores": item["scores"], "flags": item["flags"]}
                 for item in full["items"] if item["issues"]]
        return {**{k: v for k, v in full.items() if k != "items"}, "items": items}

    def summary(self) -> str:
        return self.result.summary()

    def flagged(self, check: str) -> list[str]:
        """Paths of the samples ``check`` flagged."""
        if check not in CHECKS:
            raise ValueError(f"check must be one of {list(CHECKS)}; got {check!r}")
        return [self.paths[i] for i, issues in zip(self.result.ids, self.result.issues)
                if check in issues]


def _score_missing(paths: list[str]) -> list[dict | None]:
    """Scores for images loaded before scores existed (one small decode each)."""
    from ..core.pixels.images import ImageDecodeError, open_rgb
    from ..core.intake.inspect import INSPECT_SIZE
    from ..core.quality.scores import quality_scores

    out: list[dict | None] = []
    for path in paths:
        try:
            out.append(quality_scores(open_rgb(path, draft_size=INSPECT_SIZE).image))
        except ImageDecodeError:
            out.append(None)  # judged on its size alone
    return out


def check_quality(collection, policy: QualityPolicy | None = None) -> QualityReport:
    """Judge every usable image's quality against the collection; store the issues.

    Each sample gets ``quality_issues`` (the checks it failed); the thresholds and their
    basis are kept with the dataset. Selection then excludes the images the policy's
    ``exclude`` checks flag, with reason ``quality:<check>``.

    Examples
    --------
    >>> report = wb.check_quality(ds)   # doctest: +SKIP
    >>> print(report.summary())         # doctest: +SKIP
    """
    from ..core.quality.checks import judge_quality
    from ..core.quality.scores import SCORE_NAMES

    policy = policy or QualityPolicy()
    fo = fiftyone()
    ds = state.dataset_of(collection)
    view = usable(collection)
    for name, kind in ((ISSUES_FIELD, fo.ListField), (SCORES_FIELD, fo.DictField)):
        if not ds.has_sample_field(name):
            ds.add_sample_field(name, kind, **({"subfield": fo.StringField}
                                               if kind is fo.ListField else {}))
    ids, paths, scores, widths, heights = view.values(
        ["id", "filepath", SCORES_FIELD, "width", "height"])
    # Scores stored by an older inspection may lack a score added since: rescore those.
    missing = [k for k, s in enumerate(scores) if not s or any(n not in s for n in SCORE_NAMES)]
    if missing:
        filled = _score_missing([paths[k] for k in missing])
        for k, value in zip(missing, filled):
            scores[k] = value
        found = [(ids[k], v) for k, v in zip(missing, filled) if v is not None]
        if found:
            ds.select([i for i, _ in found], ordered=True).set_values(
                SCORES_FIELD, [v for _, v in found])
    result = judge_quality(scores, widths, heights, policy, ids=ids)
    if ids:
        view.select(ids, ordered=True).set_values(ISSUES_FIELD, result.issues)
    full = result.to_dict()
    state.record_quality(ds, {"policy": full["policy"], "thresholds": full["thresholds"],
                              "flagged": full["flagged"], "checked": full["checked"]})
    return QualityReport(result=result, paths=dict(zip(ids, paths)))


def ensure_quality(collection) -> None:
    """Check quality when some usable image has no verdict yet (never checked, or loaded
    since): with the policy of the latest check, else the default. A complete check is
    left as it is, so a policy chosen with :func:`check_quality` stays in force."""
    view = usable(collection)
    if view.has_sample_field(ISSUES_FIELD) and view.exists(ISSUES_FIELD, False).count() == 0:
        return
    run = state.quality_run(collection) or {}
    policy = run.get("policy")
    check_quality(collection, QualityPolicy(**policy) if policy else None)
