"""The Palette panel: the map, representation against targets, the clusters, the review
queue and the current selection, beside the Samples grid.

Everything it shows comes from ``wb.curation_overview``; every action calls the public API
(``wb.decide_review``) or sets the App's view. The map sends coordinates and ids only
(``scattergl``), so it stays fluid at 10,000 points.
"""

from __future__ import annotations

import fiftyone.operators as foo
from fiftyone.operators import types

import workbench as wb
from workbench.glue.curation import group_view, ids_view, map_points
from workbench.glue.fields import CLUSTER_FIELD
from workbench.glue.plugins import PANEL_NAME, PLUGIN_NAME
from workbench.glue.select import DEFAULT_TAG

#: Colours for the groups on the map, in order (Plotly's and D3's qualitative sets).
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
            "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")
_STATUS = {"under": "#d62728", "ok": "#2ca02c", "over": "#ff7f0e"}
#: Review items listed at once (the queue says how many more there are).
_SHOWN = 12


def map_traces(points: dict, highlight: set[str] | None = None) -> list[dict]:
    """One ``scattergl`` trace per group; ``highlight`` ids become the selected points."""
    by_group: dict[str, list[int]] = {}
    for k, group in enumerate(points["group"]):
        by_group.setdefault(group, []).append(k)
    traces = []
    for n, (group, rows) in enumerate(sorted(by_group.items())):
        ids = [points["ids"][k] for k in rows]
        trace = {"type": "scattergl", "mode": "markers", "name": group, "ids": ids,
                 "x": [points["x"][k] for k in rows], "y": [points["y"][k] for k in rows],
                 "marker": {"size": 7, "color": _PALETTE[n % len(_PALETTE)]},
                 "hovertemplate": f"{group}<extra></extra>"}
        if highlight:
            trace["selectedpoints"] = [i for i, sid in enumerate(ids) if sid in highlight]
            trace["unselected"] = {"marker": {"opacity": 0.15}}
        traces.append(trace)
    return traces


def _bars(rows: list[dict], x: str, y: str, colour: list[str], text: list[str]) -> list[dict]:
    return [{"type": "bar", "x": [str(r[x]) for r in rows], "y": [r[y] for r in rows],
             "marker": {"color": colour}, "hovertext": text, "hoverinfo": "text",
             "name": y}]


class PalettePanel(foo.Panel):
    """The workbench's curation surface in the App."""

    @property
    def config(self):
        return foo.PanelConfig(name=PANEL_NAME, label="Palette", icon="palette",
                               surfaces="grid", help_markdown=(
                                   "Palette Workbench: the map (lasso or box to show "
                                   "samples), balance against targets, clusters, the review "
                                   "queue and the selection."))

    # ----------------------------------------------------------------- data
    def _tag(self, ctx) -> str:
        return ctx.panel.state.tag or DEFAULT_TAG

    def _highlight(self, ctx) -> set[str] | None:
        if ctx.selected:
            return set(ctx.selected)
        if ctx.view is None:
            return None
        ids = ctx.view.values("id")
        return set(ids) if len(ids) < ctx.dataset.count() else None

    def on_load(self, ctx):
        overview = wb.curation_overview(ctx.dataset, by=ctx.panel.state.by or None,
                                        tag=self._tag(ctx))
        points = overview.pop("map")
        ctx.panel.state.tag = overview["tag"]
        ctx.panel.state.map_note = overview.get("map_note")
        ctx.panel.state.points = len(points["ids"]) if points else 0
        ctx.panel.state.by = points["by"] if points else overview["representation"]["by"]
        ctx.panel.state.overview = {k: overview[k] for k in ("representation", "clusters",
                                                             "selection", "review")}
        if points:
            ctx.panel.data.map = map_traces(points, self._highlight(ctx))
        rep = overview["representation"]["rows"]
        ctx.panel.data.representation = [
            *_bars(rep, "value", "share", [_STATUS.get(r["status"], "#7f7f7f") for r in rep],
                   [f"{r['value']}: {r['count']} ({r['share']:.1%}, target "
                    f"{r['target_share']:.1%}, {r['status']})" for r in rep]),
            {"type": "scatter", "mode": "markers", "name": "target",
             "x": [str(r["value"]) for r in rep], "y": [r["target_share"] for r in rep],
             "marker": {"symbol": "line-ew-open", "size": 18, "color": "#444"}}]
        clusters = overview["clusters"]
        ctx.panel.data.clusters = _bars(
            clusters, "name", "size", ["#2f6f9f"] * len(clusters),
            [f"{c['name']}: {c['size']} (name from {c['source'] or 'unknown'})"
             for c in clusters])

    def on_change_view(self, ctx):
        self._refresh_map(ctx)

    def on_change_selected(self, ctx):
        self._refresh_map(ctx)

    def _refresh_map(self, ctx):
        if ctx.panel.state.points:
            points = map_points(ctx.dataset, ctx.panel.state.by or None)
            ctx.panel.data.map = map_traces(points, self._highlight(ctx))

    # ----------------------------------------------------------------- events
    def on_map_selected(self, ctx):
        """A lasso or box on the map: show exactly those samples."""
        ids = [p["id"] for p in ctx.params.get("data") or [] if p.get("id")]
        if ids:
            ctx.ops.set_view(ids_view(ctx.dataset, ids))

    def on_group_click(self, ctx):
        value = ctx.params.get("x")
        if value is not None and ctx.panel.state.by:
            ctx.ops.set_view(group_view(ctx.dataset, ctx.panel.state.by, str(value)))

    def on_cluster_click(self, ctx):
        value = ctx.params.get("x")
        if value is not None:
            ctx.ops.set_view(group_view(ctx.dataset, CLUSTER_FIELD, str(value)))

    def on_show_all(self, ctx):
        ctx.ops.clear_view()

    def on_review(self, ctx):
        """A review action: the same hand edit a notebook makes with ``wb.decide_review``."""
        tag = self._tag(ctx)
        queue = wb.review_queue(ctx.dataset, tag)
        index = int(ctx.params.get("index", -1))
        if not 0 <= index < len(queue):
            raise ValueError(f"index must be an item of the review queue (0 to "
                             f"{len(queue) - 1}); got {index}")
        wb.decide_review(ctx.dataset, queue[index], ctx.params.get("decision"),
                         drop=ctx.params.get("drop"), tag=tag, tool="app")
        ctx.ops.reload_dataset()
        self.on_load(ctx)

    def on_show_pair(self, ctx):
        ids = [i for i in (ctx.params.get("a"), ctx.params.get("b")) if i]
        ctx.ops.set_view(ids_view(ctx.dataset, ids))

    def on_refresh(self, ctx):
        self.on_load(ctx)

    # ----------------------------------------------------------------- layout
    def render(self, ctx):
        panel = types.Object()
        state = ctx.panel.state
        overview = state.overview or {}
        views = panel.h_stack("views", align_x="left", gap=1)
        views.btn("refresh", label="Refresh", icon="refresh", on_click=self.on_refresh)
        views.btn("show_all", label="Show all", on_click=self.on_show_all)
        for op, label in (("select_balanced", "Select"), ("export_selection", "Export")):
            views.btn(op, label=label, on_click=f"{PLUGIN_NAME}/{op}", prompt=True)
        steps = panel.h_stack("steps", align_x="left", gap=1)
        for op, label in (("embed", "Embed"), ("compute_map", "Map"),
                          ("check_quality", "Quality"), ("find_gaps", "Gaps")):
            steps.btn(op, label=label, on_click=f"{PLUGIN_NAME}/{op}", prompt=True)
        if state.points:
            panel.md(f"**Map** · {state.points} points, coloured by {state.by or 'nothing'}\n\n"
                     "Lasso or box to show those samples in the grid.", name="map_title")
            panel.plot("map", on_selected=self.on_map_selected, height="380px",
                       layout={"dragmode": "select", "hovermode": "closest",
                               "showlegend": True, "uirevision": "map", "height": 380,
                               "legend": {"orientation": "h", "x": 0, "y": -0.02,
                                          "yanchor": "top"},
                               "xaxis": {"visible": False}, "yaxis": {"visible": False},
                               "margin": {"t": 8, "l": 8, "b": 8, "r": 8}})
        else:
            panel.md(f"**Map**\n\n{state.map_note or 'no map yet'}", name="map_title")
        rep = overview.get("representation") or {}
        panel.md(f"**Representation by {rep.get('by') or '…'}**\n\nShare of each group "
                 "against its target (bar colour: red under, green ok, orange over). "
                 "Click a bar to show that group." + "".join(
                     f"\n- {n}" for n in rep.get("notes", [])), name="rep_title")
        if rep.get("rows"):
            panel.plot("representation", on_click=self.on_group_click, height="260px",
                       layout={"height": 260, "yaxis": {"tickformat": ".0%"}, "showlegend": False,
                               "margin": {"t": 8, "l": 40, "b": 80, "r": 8}})
        clusters = overview.get("clusters") or []
        panel.md("**Clusters**\n\n" + ("Click one to show it.\n\n| cluster | size | name from "
                                     "|\n|---|---|---|\n" + "".join(
                                         f"| {c['name']} | {c['size']} | {c['source']} |\n"
                                         for c in clusters)
                                     if clusters else "none yet: run *Gaps*."),
                 name="clusters_title")
        if clusters:
            panel.plot("clusters", on_click=self.on_cluster_click, height="220px",
                       layout={"height": 220, "showlegend": False,
                               "margin": {"t": 8, "l": 40, "b": 80, "r": 8}})
        self._render_selection(panel, overview.get("selection"))
        self._render_review(panel, overview.get("review") or [])
        return types.Property(panel, view=types.GridView(orientation="vertical", gap=2,
                                                         padding=2))

    def _render_selection(self, panel, sel: dict | None) -> None:
        if not sel:
            panel.md("**Selection**\n\nnone yet: use *Select*", name="selection")
            return
        excluded = "".join(f"| {k} | {v} |\n" for k, v in sel["excluded"].items())
        panel.md(f"**Selection** `{sel['tag']}`\n\n{sel['selected']} selected (seed "
                 f"{sel['seed']}), balance {sel['balance_before']:.3f} → "
                 f"{sel['balance_after']:.3f}\n\n| excluded because | images |\n|---|---|\n"
                 f"{excluded}", name="selection")

    def _render_review(self, panel, queue: list[dict]) -> None:
        more = f" (first {_SHOWN} shown)" if len(queue) > _SHOWN else ""
        panel.md(f"**Review queue** · {len(queue)} to judge{more}\n\n" + (
            "" if queue else "nothing to judge."), name="review_title")
        for k, item in enumerate(queue[:_SHOWN]):
            row = panel.h_stack(f"review_{k}", align_x="left", gap=1)
            what = (f"pair `{item['a'][-6:]}` · `{item['b'][-6:]}`: {item['why']}"
                    if item["kind"] == "pair" else f"`{item['a'][-6:]}`: {item['why']}")
            row.md(what, name="what")
            row.btn("show", label="Show", on_click=self.on_show_pair,
                    params={"a": item["a"], "b": item["b"]})
            if item["kind"] == "pair":
                row.btn("keep", label="Keep both", on_click=self.on_review,
                        params={"index": k, "decision": "keep_both"})
                for side in ("a", "b"):
                    row.btn(f"drop_{side}", label=f"Drop …{item[side][-6:]}",
                            on_click=self.on_review,
                            params={"index": k, "decision": "drop", "drop": item[side]})
            else:
                row.btn("fine", label="Not a problem", on_click=self.on_review,
                        params={"index": k, "decision": "not_a_problem"})
                row.btn("drop", label="Drop", on_click=self.on_review,
                        params={"index": k, "decision": "drop", "drop": item["a"]})
