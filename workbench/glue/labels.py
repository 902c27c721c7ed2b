"""Label issues on a dataset: items whose label disagrees with most of their neighbours.

The vote itself is :func:`workbench.core.labels.label_issues.find_label_issues`; this module
reads a field and the embeddings, and hands back the result with each sample's id and
file, for strips and reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.labels.label_issues import LabelIssues
from ..errors import UnknownFieldError
from .embed import get_embeddings
from .fields import CLUSTER_FIELD, check_field, distinct_count, usable_group_fields


@dataclass
class DatasetLabelIssues:
    """:class:`LabelIssues` for a dataset's field, with sample ids and file paths."""

    field: str
    ids: list[str]
    paths: list[str]
    result: LabelIssues

    @property
    def table(self):
        """One row per sample: ``id``, ``filepath``, then the result's columns."""
        table = self.result.table.copy()
        table.insert(0, "filepath", self.paths)
        table.insert(0, "id", self.ids)
        return table

    def flagged(self):
        """The flagged rows, most doubtful first."""
        table = self.table
        return table[table["flagged"]].sort_values("label_score", ascending=False)

    def to_dict(self) -> dict:
        flagged = self.flagged()
        return {"field": self.field, **{k: v for k, v in self.result.to_dict().items()
                                         if k != "issues"},
                "flagged_items": flagged[["id", "filepath", "given", "suggested",
                                          "self_confidence"]].to_dict(orient="records")}

    def summary(self) -> str:
        return f"label issues in {self.field!r}: {self.result.summary()}"

    def show(self, limit: int = 24, size: int = 96):
        """The flagged images as a strip, each captioned ``given -> suggested``."""
        from IPython.display import HTML

        from ..exporters.html import strip_html

        flagged = self.flagged().head(limit)
        if flagged.empty:
            return HTML("<i>No label disagrees with its neighbours.</i>")
        captions = [f"{g} -> {s} ({c:.0%})" for g, s, c in
                    zip(flagged["given"], flagged["suggested"], flagged["self_confidence"])]
        return HTML(strip_html(flagged["filepath"].tolist(), captions, size=size,
                               title=f"{len(self.flagged())} labels to check in {self.field!r}"
                                     " (given -> suggested, confidence in the given label)"))


def find_label_issues(collection, field: str, *, k: int = 30, model: str | None = None
                      ) -> DatasetLabelIssues:
    """Samples whose ``field`` disagrees with most of their embedding neighbours.

    Each sample's nearest neighbours vote for their labels; a sample whose own label
    gets much less of the vote than another label is flagged, with the label its
    neighbourhood suggests and a confidence.

    Examples
    --------
    >>> issues = wb.find_label_issues(ds, "style")   # doctest: +SKIP
    >>> issues.flagged()[["filepath", "given", "suggested"]]   # doctest: +SKIP
    """
    from ..core.labels.label_issues import find_label_issues as core_find

    check_field(collection, field)
    if field == CLUSTER_FIELD or distinct_count(collection, field) < 2:
        raise UnknownFieldError(
            f"no label to check in {field!r}: label issues need a field a person filled "
            f"with at least 2 values; fields that can serve: "
            f"{[f for f in usable_group_fields(collection) if f != CLUSTER_FIELD]}")
    ids, X, _ = get_embeddings(collection, model)
    view = collection.select(ids, ordered=True)
    labels, paths = view.values([field, "filepath"])
    return DatasetLabelIssues(field=field, ids=ids, paths=paths,
                              result=core_find(X, labels, k=min(k, max(1, len(ids) - 1))))
