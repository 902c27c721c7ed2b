"""The HTML coverage report: one self-contained file (images inlined as data URIs).

It receives everything it shows: a :class:`~workbench.glue.gaps.Gaps` result carries
the tables, the map coordinates and the file paths it refers to. Nothing here reads a
dataset.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .html import fig_to_data_uri, new_figure, strip_html

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h1{font-size:24px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;
text-align:left}th{background:#f6f6f6}.under{color:#b35900;font-weight:600}
.over{color:#a00;font-weight:600}.ok{color:#287a28}.maps img{max-width:49%}
.note{color:#555;font-size:12px}.atlas{display:flex;gap:12px;align-items:flex-start}
.atlas figure{margin:0;flex:1}.atlas img,.cluster-atlas img{max-width:100%;border:1px solid #ddd}
.cluster-atlas img{max-width:480px}figcaption{font-size:12px;color:#555}
"""


@dataclass(frozen=True)
class ReportAtlases:
    """Atlas images for the report (PNG or JPEG bytes), drawn by the glue.

    ``whole``: the collection; ``selection``: a selection of it, shown beside it (before /
    after selection); ``clusters``: a small atlas per cluster (cluster -> image).
    """

    whole: bytes | None = None
    selection: bytes | None = None
    selection_label: str = "the selection"
    selection_size: int = 0
    clusters: Mapping[object, bytes] = field(default_factory=dict)


def image_data_uri(data: bytes) -> str:
    """PNG or JPEG bytes as a data URI (the format read from the bytes themselves)."""
    mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def _atlas_section(atlases: ReportAtlases, samples: int) -> str:
    """The whole collection's atlas, and beside it the selection's: before / after."""
    figures = []
    if atlases.whole:
        figures.append(f'<figure><img alt="atlas of the collection" '
                       f'src="{image_data_uri(atlases.whole)}"><figcaption>before selection: '
                       f"the collection ({samples} images)</figcaption></figure>")
    if atlases.selection:
        figures.append(f'<figure><img alt="atlas of the selection" '
                       f'src="{image_data_uri(atlases.selection)}"><figcaption>after '
                       f"selection: {html.escape(atlases.selection_label)} "
                       f"({atlases.selection_size} images)</figcaption></figure>")
    if not figures:
        return ""
    title = "Atlas: before / after selection" if atlases.selection else "Atlas"
    return (f"<h2>{title}</h2><p class=note>Thumbnails placed on the map, each in a cell of "
            "its own (a sample stratified by cluster when there are many), framed by "
            "cluster.</p><div class=atlas>" + "".join(figures) + "</div>")


def map_figure(coords: np.ndarray, labels, title: str, names: dict | None = None):
    """A scatter of the 2-D map coloured by a categorical label (legend with counts)."""
    from matplotlib import colormaps

    labels = pd.Series(labels).fillna("(missing)").astype(str)
    fig, ax = new_figure(6.4, 5.2)
    cmap = colormaps["tab20"]
    for i, (value, idx) in enumerate(labels.groupby(labels).groups.items()):
        pts = coords[np.asarray(idx)]
        label = names.get(value, value) if names else value
        ax.scatter(pts[:, 0], pts[:, 1], s=9, color=cmap(i % 20), alpha=0.8,
                   label=f"{str(label)[:40]} ({len(idx)})")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=7, loc="best", markerscale=1.5, frameon=False)
    return fig


def _table(df: pd.DataFrame, status_col: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for col, val in zip(df.columns, rec):
            text = f"{val:.1%}" if isinstance(val, float) and ("share" in col) else (
                f"{val:.3f}" if isinstance(val, float) else str(val))
            cls = f' class="{val}"' if col == status_col else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


#: Where a cluster's name comes from, as the report says it.
_SOURCES = {"text": "from the images' captions, folders and file names",
            "clip": "CLIP terms", "imagenet": "ImageNet classes, a guess",
            "metadata": "from the metadata"}


def _label_section(issues, limit: int = 16) -> str:
    """The labels the embedding neighbours contradict, as a strip to check by eye."""
    flagged = issues.flagged()
    head = (f"<h2>Label issues in {html.escape(issues.field)}</h2><p class=note>"
            f"{html.escape(issues.result.summary())}. Each image's nearest neighbours vote "
            "for their labels; these images' own label got much less of the vote than "
            "another one. Check them: a wrong label, or an image between two groups.</p>")
    if flagged.empty:
        return head
    top = flagged.head(limit)
    captions = [f"{g} → {s}" for g, s in zip(top["given"], top["suggested"])]
    return head + strip_html(top["filepath"].tolist(), captions, size=80,
                             title=f"{len(flagged)} to check (given → suggested)")


def _source(name_source: str) -> str:
    return " and ".join(_SOURCES.get(part, part) for part in str(name_source).split("+"))


def _quality_section(quality: dict, id_to_path: dict[str, str]) -> str:
    """Counts per check with the threshold each crossed, and a strip of examples."""
    n = max(quality["checked"], 1)
    rows = []
    for check, count in quality["counts"].items():
        t = quality["thresholds"].get(check, {})
        rows.append({"check": check, "flagged": count, "share": count / n,
                     "threshold": t.get("basis", "")})
    parts = [f"<h2>Quality ({quality['checked']} images checked)</h2>",
             "<p class=note>Thresholds come from this collection's own distribution "
             "(median and spread), with an absolute floor only for blank images.</p>",
             _table(pd.DataFrame(rows))]
    for check, ids in quality["examples"].items():
        paths = [id_to_path[i] for i in ids if i in id_to_path]
        parts.append(strip_html(paths, size=72, title=f"{check}: {quality['counts'][check]}"))
    return "".join(parts)


def write_report(gaps, path: str | Path, atlases: ReportAtlases | None = None) -> Path:
    """Write the coverage report for a :class:`~workbench.glue.gaps.Gaps` result.

    ``atlases`` (drawn by the glue) adds the collection's atlas beside the selection's,
    and shows each cluster as a small atlas instead of a strip of its typical images.
    """
    path = Path(path)
    id_to_path = gaps.filepaths
    parts = [f"<h1>Coverage report: {html.escape(gaps.dataset)}</h1>",
             f"<p class=note>{gaps.samples} samples. Grouped by <b>{html.escape(gaps.by)}</b>."
             "</p>"]

    if gaps.map is not None:
        ids, coords = gaps.map.ids, gaps.map.coords
        values = gaps.groups
        figs = [map_figure(coords, [values.get(i) for i in ids], f"map coloured by {gaps.by}")]
        if gaps.clusters is not None:
            lab = dict(zip(gaps.clusters.ids, gaps.clusters.labels.astype(str)))
            names = {str(k): v for k, v in gaps.clusters.names().items()}
            figs.insert(0, map_figure(coords, [lab.get(i, "-") for i in ids],
                                      "map coloured by cluster", names))
        parts.append("<h2>Map</h2><div class=maps>" + "".join(
            f'<img src="{fig_to_data_uri(f)}">' for f in figs) + "</div>"
            f"<p class=note>{gaps.map.points_field} ({html.escape(str(gaps.map.config))})</p>")
    else:
        parts.append(f"<h2>Map</h2><p class=note>{html.escape(gaps.map_note or '')}</p>")
    if atlases is not None:
        parts.append(_atlas_section(atlases, gaps.samples))

    fig, ax = new_figure(7, 0.35 * len(gaps.table) + 1.2)
    gaps.representation.plot(ax=ax)
    parts.append(f"<h2>Representation by {html.escape(gaps.by)}</h2>"
                 f'<img src="{fig_to_data_uri(fig)}">'
                 + _table(gaps.table, status_col="status")
                 + "".join(f"<p class=note>{html.escape(n)}</p>" for n in gaps.representation.notes))

    if len(gaps.creators):
        parts.append("<h2>Creator concentration</h2>" + _table(gaps.creators))

    if gaps.clusters is not None:
        parts.append(f"<h2>Clusters ({gaps.clusters.k}, {gaps.clusters.method}, "
                     f"seed {gaps.clusters.seed})</h2>")
        small = atlases.clusters if atlases is not None else {}
        for row in gaps.clusters.table.itertuples(index=False):
            title = (f"cluster {row.cluster}: {row.name} [{_source(row.name_source)}]"
                     f" — {row.size} images ({row.share:.1%})")
            if row.cluster in small:
                parts.append(f'<div class=cluster-atlas><div style="font:bold 12px sans-serif;'
                             f'margin-top:6px">{html.escape(title)}</div><img alt="atlas of '
                             f'cluster {row.cluster}" src="{image_data_uri(small[row.cluster])}">'
                             "</div>")
                continue
            paths = [id_to_path[i] for i in row.medoid_ids if i in id_to_path]
            parts.append(strip_html(paths, size=80, title=title))

    if gaps.probe_note:
        parts.append(f"<h2>Concept probes</h2><p>{html.escape(gaps.probe_note)}</p>")
    elif gaps.probes is not None:
        parts.append("<h2>Concept probes</h2>" + _table(
            gaps.probes.drop(columns=["nearest", "nearest_ids"], errors="ignore")))
        for row in gaps.probes.itertuples(index=False):
            paths = [id_to_path[i] for i in row.nearest_ids[:8] if i in id_to_path]
            parts.append(strip_html(paths, size=64, title=f"nearest to “{row.concept}”"))

    if gaps.quality is not None:
        parts.append(_quality_section(gaps.quality, id_to_path))
    if gaps.label_issues is not None:
        parts.append(_label_section(gaps.label_issues))
    elif gaps.label_note:
        parts.append(f"<h2>Label issues</h2><p class=note>{html.escape(gaps.label_note)}</p>")

    extra = []
    if gaps.outliers is not None:
        extra.append(f"{int(gaps.outliers['outlier'].sum())} outliers (far from their neighbours)")
    if gaps.tiny is not None:
        extra.append(f"{len(gaps.tiny)} tiny clusters")
    if gaps.sparse is not None:
        extra.append(f"{len(gaps.sparse)} sparse regions next to populated ones")
    if extra:
        parts.append("<h2>Sparse regions and islands</h2><ul>" + "".join(
            f"<li>{html.escape(e)}</li>" for e in extra) + "</ul>")

    doc = (f"<!doctype html><html><head><meta charset=utf-8><title>Coverage: "
           f"{html.escape(gaps.dataset)}</title><style>{_CSS}</style></head><body>"
           + "\n".join(parts) + "</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(doc, encoding="utf-8")
    os.replace(tmp, path)
    gaps.paths["html"] = str(path)
    return path
