"""Clusters and gaps of a dataset: who and what dominates, what is thin or missing.

Reads fields and embeddings from FiftyOne, runs the pure algorithms in
:mod:`workbench.core.maps.clustering`, :mod:`workbench.core.maps.cluster_names`, :mod:`workbench.core.maps.gaps` and :mod:`workbench.core.maps.density`,
and writes cluster labels back to the samples (field ``cluster``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.maps.clustering import ClusterConfig
from ..core.maps.gaps import Representation
from . import state
from .embed import embedder_for_field, get_embeddings
from .fields import CLUSTER_FIELD, field_values, resolve_group_field
from .fo import usable


@dataclass
class Clusters:
    """Named clusters: ``table`` (one row per cluster) and per-sample ``labels``."""

    ids: list[str]
    labels: np.ndarray
    table: pd.DataFrame
    k: int
    method: str
    seed: int
    name_source: str

    def names(self) -> dict[int, str]:
        return dict(zip(self.table["cluster"], self.table["name"]))


def find_clusters(collection, *, config: ClusterConfig = ClusterConfig(),
                  metadata_fields: Sequence[str] = ("style", "region", "creator"),
                  vocabulary: Sequence[str] | None = None, model: str | None = None) -> Clusters:
    """Cluster the embeddings (not the 2-D map) and name every cluster.

    Names come from what the collection says about itself, and say where they come from
    (``name_source``): the distinctive words of the members' captions, folder and file
    names (``text``); then CLIP zero-shot terms from the shipped vocabulary when the
    embeddings are CLIP's (``clip``); ImageNet classes only as a last resort, marked
    "(ImageNet guess)" (``imagenet``); the metadata values that dominate a cluster are
    added. Labels are saved in field ``cluster``.

    Examples
    --------
    >>> cl = wb.find_clusters(ds)           # doctest: +SKIP
    >>> cl.table[["cluster", "size", "name"]]  # doctest: +SKIP
    """
    from ..core.maps.cluster_names import item_texts, load_vocabulary, name_clusters
    from ..core.maps.clustering import cluster_embeddings

    ids, X, fname = get_embeddings(collection, model)
    if len(ids) < 5:
        raise ValueError(f"clustering needs at least 5 embedded samples; this collection has "
                         f"{len(ids)}. Load and embed more images first.")
    result = cluster_embeddings(X, config)
    ds = state.dataset_of(collection)
    view = ds.select(ids, ordered=True)
    present = [f for f in metadata_fields if ds.has_sample_field(f)]
    meta = pd.DataFrame(dict(zip(present, view.values(present)))) if present else None
    captions = view.values("caption") if ds.has_sample_field("caption") else None
    texts = item_texts(view.values("filepath"), captions)

    embedder = embedder_for_field(collection, fname)
    text_vocab, imagenet_top = None, None
    if embedder.has_text:
        words = list(vocabulary) if vocabulary is not None else load_vocabulary()
        text_vocab = (words, embedder.encode_texts(words))
    elif hasattr(embedder, "imagenet_top_classes"):
        norms = np.asarray([v for v in view.values(f"{fname}_norm") if v is not None], float)
        typical = float(np.median(norms)) if norms.size else 1.0

        def imagenet_top(means: np.ndarray) -> list:
            return embedder.imagenet_top_classes(means, np.full(len(means), typical), k=3)

    table = name_clusters(result, X, texts=texts, metadata=meta, text_vocab=text_vocab,
                          imagenet_top=imagenet_top)
    table["medoid_ids"] = [[ids[i] for i in m] for m in table["medoids"]]
    if not ds.has_sample_field(CLUSTER_FIELD):
        from .fo import fiftyone

        ds.add_sample_field(CLUSTER_FIELD, fiftyone().IntField)
    view.set_values(CLUSTER_FIELD, [int(v) for v in result.labels])
    state.record_clusters(ds, state.ClusterRun(
        k=int(result.k), method=result.method, seed=int(result.seed), embedding_field=fname,
        names={str(c): n for c, n in zip(table["cluster"], table["name"])}))
    source = ", ".join(sorted(set(table["name_source"]))) if len(table) else "none"
    return Clusters(ids=ids, labels=result.labels, table=table, k=int(result.k),
                    method=result.method, seed=int(result.seed), name_source=source)


@dataclass
class MapData:
    """A stored map's points, for drawing."""

    ids: list[str]
    coords: np.ndarray
    points_field: str
    config: dict


@dataclass
class Gaps:
    """Everything :func:`find_gaps` found, and what showing it needs (the map, the file of
    each sample, each sample's group). Each part is data; ``to_html`` shows it all."""

    dataset: str
    by: str
    representation: Representation
    creators: pd.DataFrame
    samples: int = 0
    filepaths: dict[str, str] = field(default_factory=dict, repr=False)
    groups: dict[str, object] = field(default_factory=dict, repr=False)
    map: MapData | None = None
    map_note: str | None = None
    quality: dict | None = None
    label_issues: object | None = None
    label_note: str | None = None
    clusters: Clusters | None = None
    probes: pd.DataFrame | None = None
    probe_note: str | None = None
    outliers: pd.DataFrame | None = None
    sparse: pd.DataFrame | None = None
    tiny: pd.DataFrame | None = None
    paths: dict[str, str] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """The representation table (``value, count, share, target_share, status``)."""
        return self.representation.table

    def flagged_creators(self) -> pd.DataFrame:
        return self.creators[self.creators["flagged"]]

    def to_dict(self) -> dict:
        out = {"dataset": self.dataset, "by": self.by, **self.representation.to_dict(),
               "creator_concentration": self.creators.to_dict(orient="records")}
        if self.clusters is not None:
            columns = ["cluster", "size", "share", "name", "name_source"]
            out["clusters"] = self.clusters.table[columns].to_dict(orient="records")
        if self.probes is not None:
            out["concepts"] = self.probes.drop(columns=["nearest"], errors="ignore").to_dict(
                orient="records")
        if self.probe_note:
            out["concepts_note"] = self.probe_note
        if self.outliers is not None:
            out["outliers"] = int(self.outliers["outlier"].sum())
        if self.quality is not None:
            out["quality"] = {"checked": self.quality["checked"],
                              "flagged": self.quality["counts"]}
        if self.label_issues is not None:
            out["label_issues"] = self.label_issues.to_dict()
        if self.label_note:
            out["label_issues_note"] = self.label_note
        if self.sparse is not None:
            out["sparse_regions"] = len(self.sparse)
        return out

    def summary(self) -> str:
        lines = [f"representation by {self.by!r}:", self.table.to_string(index=False)]
        lines += [f"note: {n}" for n in self.representation.notes]
        flagged = self.flagged_creators()
        for row in flagged.itertuples(index=False):
            lines.append(f"creator concentration: {row.top_creator} made {row.top_share:.0%} "
                         f"of {self.by}={row.group} ({row.top_count} of {row.n})")
        if self.clusters is not None:
            lines.append(f"{self.clusters.k} clusters ({self.clusters.method}):")
            lines += [f"  {r.cluster:>3} {r.size:>5}  {r.name}  [{r.name_source}]"
                      for r in self.clusters.table.itertuples(index=False)]
        if self.probe_note:
            lines.append(f"concept probes: {self.probe_note}")
        elif self.probes is not None:
            missing = self.probes[self.probes["gap"]]["concept"].tolist()
            lines.append(f"concept probes: {len(self.probes)} checked; not represented: "
                         f"{missing or 'none'}")
        return "\n".join(lines)

    def to_html(self, path: str | Path, *, selection_ids: Sequence[str] | None = None,
                tag: str | None = None, atlases: bool = True) -> Path:
        """Write the self-contained HTML coverage report; returns its path.

        With a map, it shows the collection's atlas (beside the atlas of the selection:
        ``selection_ids``, or the samples tagged ``tag``) and a small atlas per cluster;
        ``atlases=False`` leaves them out.
        """
        from ..exporters.coverage import write_report
        from .atlas import report_atlases

        extra = report_atlases(self, selection_ids=selection_ids, tag=tag) if atlases else None
        return write_report(self, path, atlases=extra)


def _quality_overview(collection, examples: int = 8) -> dict | None:
    """The latest quality check, for showing: counts, thresholds, a few flagged ids."""
    run = state.quality_run(collection)
    if run is None or not collection.has_sample_field("quality_issues"):
        return None
    ids, issues = usable(collection).values(["id", "quality_issues"])
    flagged: dict[str, list[str]] = {}
    for sample_id, found in zip(ids, issues):
        for check in found or []:
            flagged.setdefault(check, []).append(sample_id)
    return {"checked": run["checked"], "counts": run["flagged"],
            "thresholds": run["thresholds"],
            "examples": {c: v[:examples] for c, v in flagged.items()}}


def read_concepts(path: str | Path) -> list[str]:
    """Concept phrases from a text file, one per line (``#`` comments)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    concepts = [ln.split("#", 1)[0].strip() for ln in lines]
    concepts = [c for c in concepts if c]
    if not concepts:
        raise ValueError(f"concepts file {path} lists no concepts (one phrase per line)")
    return concepts


def find_gaps(collection, by: str | None = None, *,
              targets: Mapping[str, float] | str | Path | None = None,
              concepts: Sequence[str] | str | Path | None = None, clusters: bool = True,
              cluster_config: ClusterConfig = ClusterConfig(), model: str | None = None,
              echo=None) -> Gaps:
    """Representation by ``by`` against targets, creator concentration, named clusters,
    concept probes (CLIP only), outliers, sparse map regions and tiny clusters.

    With ``by=None`` the collection's labels are used (the folders' labels given at load,
    else ``style``, ``region`` or ``technique``); a collection without labels is grouped
    by the map's clusters (``by="cluster"``, named in every table), and the
    representation's notes say so. Label issues are then not looked for: there is no
    label to check.

    Examples
    --------
    >>> gaps = wb.find_gaps(ds, by="style")   # doctest: +SKIP
    >>> gaps.table                            # doctest: +SKIP
    >>> gaps.to_html("out/coverage.html")     # doctest: +SKIP
    """
    from ..core.maps import density
    from ..core.maps.gaps import concept_probes, creator_concentration, representation

    notes: list[str] = []
    by = resolve_group_field(collection, by, echo=notes.append)
    found_clusters = None
    if by == CLUSTER_FIELD:
        found_clusters = find_clusters(collection, config=cluster_config, model=model)
    view = usable(collection)
    sample_ids, filepaths = view.values(["id", "filepath"])
    values = field_values(view, by)
    rep = representation(values, targets)
    rep.notes[:0] = notes
    creators = creator_concentration(values, view.values("creator")) \
        if collection.has_sample_field("creator") else pd.DataFrame()
    gaps = Gaps(dataset=state.dataset_of(collection).name, by=by, representation=rep,
                creators=creators, samples=len(sample_ids),
                filepaths=dict(zip(sample_ids, filepaths)), groups=dict(zip(sample_ids, values)))
    gaps.quality = _quality_overview(collection)
    try:
        from .maps import get_map

        map_ids, coords, info = get_map(collection)
    except LookupError as exc:
        gaps.map_note = str(exc)
    else:
        gaps.map = MapData(ids=map_ids, coords=coords, points_field=info["points_field"],
                           config=info["config"])
    try:
        ids, X, fname = get_embeddings(collection, model)
    except LookupError:
        if concepts is not None or clusters:
            raise
        return gaps
    if by == CLUSTER_FIELD:
        gaps.label_note = ("no label to check: the groups are the map's clusters, so label "
                           "issues were not looked for")
    else:
        from .labels import find_label_issues

        gaps.label_issues = find_label_issues(collection, by, model=model)
    if clusters or found_clusters is not None:
        gaps.clusters = found_clusters or find_clusters(collection, config=cluster_config,
                                                        model=model)
        gaps.tiny = density.tiny_clusters(gaps.clusters.labels)
        gaps.outliers = density.outliers(X).assign(id=ids)
    if concepts is not None:
        words = read_concepts(concepts) if isinstance(concepts, (str, Path)) else list(concepts)
        embedder = embedder_for_field(collection, fname)
        if not embedder.has_text:
            gaps.probe_note = (f"concept probes need a CLIP model (text + image); {embedder.name} "
                               "is image-only. Run `workbench embed NAME --model clip` first.")
        else:
            probes = concept_probes(X, embedder.encode_texts(words), words)
            probes["nearest_ids"] = [[ids[i] for i in row] for row in probes["nearest"]]
            gaps.probes = probes
    if gaps.map is not None:
        gaps.sparse = density.sparse_regions(gaps.map.coords)
    return gaps
