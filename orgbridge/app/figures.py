"""Pure functions from service results to what the browser draws.

Plotly figures, cytoscape elements and stylesheets, AG Grid rows and column definitions, and
the text of headline cards. Nothing here reads a store, a session or the clock.

Example
-------
>>> import pandas as pd
>>> grid_rows(pd.DataFrame({"group": ["A"], "share": [float("nan")]}))
[{'group': 'A', 'share': None}]
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from orgbridge.app._format import (
    column_kind,
    column_label,
    format_number,
    format_points,
    grid_formatter,
)
from orgbridge.app._layout import qualitative_palette
from orgbridge.app.glossary import lookup
from orgbridge.app.network import NetworkView

__all__ = [
    "PALETTE",
    "before_after_figure",
    "coverage_figure",
    "cytoscape_elements",
    "cytoscape_stylesheet",
    "ei_figure",
    "equity_figure",
    "exposure_legend",
    "format_value",
    "grid_columns",
    "grid_rows",
    "headline_rows",
    "hops_figure",
    "legend_items",
    "matrix_figure",
    "matrix_order",
    "proposal_rows",
    "report_rows",
    "trend_figure",
]

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
)
SUPPRESSED_COLOUR = "#d0d0d0"


def _layout(figure: go.Figure, title: str) -> go.Figure:
    figure.update_layout(
        title=title, margin={"l": 40, "r": 20, "t": 50, "b": 40}, template="plotly_white"
    )
    return figure


def format_value(value: float | None, fmt: str) -> str:
    """A headline number as text: ``percent`` (0.42 -> 42%), ``signed``, ``count`` or
    ``plain`` (3 significant digits), as :func:`orgbridge.app._format.format_number`.

    Example
    -------
    >>> format_value(0.425, "percent"), format_value(-0.31, "signed"), format_value(None, "plain")
    ('42.5%', '-0.310', 'n/a')
    >>> format_value(0.41234, "plain")
    '0.412'
    """
    return format_number(value, fmt)


def headline_rows(overview: dict[str, Any]) -> list[dict[str, str]]:
    """One row per headline card: title, value, and the baseline / change lines.

    Example
    -------
    >>> rows = headline_rows({"figures": [{"key": "ei_index", "label": "E-I", "value": -0.2,
    ...     "baseline": 0.5, "previous": -0.3, "format": "signed", "note": None}]})
    >>> rows[0]["value"], rows[0]["detail"]
    ('-0.200', 'random mixing: +0.500; change since previous snapshot: +0.1')
    """
    rows = []
    for item in overview["figures"]:
        fmt = item.get("format", "plain")
        details = []
        if item.get("baseline") is not None:
            details.append(f"random mixing: {format_value(item['baseline'], fmt)}")
        if item.get("previous") is not None and item.get("value") is not None:
            change = item["value"] - item["previous"]
            shown = format_points(change) if fmt == "percent" else f"{change:+.3g}"
            details.append(f"change since previous snapshot: {shown}")
        if item.get("note"):
            details.append(str(item["note"]))
        rows.append(
            {
                "key": item["key"],
                "title": item["label"],
                "value": format_value(item.get("value"), fmt),
                "detail": "; ".join(details),
            }
        )
    return rows


def _cell_labels(values: np.ndarray) -> np.ndarray:
    """Whole counts with thousands separators (2,090); fractions to three significant digits.

    Example
    -------
    >>> _cell_labels(np.array([[2090.0, 0.01234]])).tolist()
    [['2,090', '0.0123']]
    """
    whole = np.isclose(values, np.round(values))
    labels = np.where(
        whole,
        np.vectorize(lambda v: f"{round(v):,}")(values),
        np.vectorize(lambda v: f"{v:.3g}")(values),
    )
    return np.asarray(labels, dtype=object)


def matrix_order(
    matrix: pd.DataFrame, *, by: str = "size", sizes: pd.Series | None = None
) -> list[str]:
    """One order for the rows and columns of a square group x group table.

    ``by="size"``: largest group first (``sizes`` by group, else the row totals);
    ``by="cluster"``: groups with similar tie densities next to each other (average-linkage
    hierarchical clustering of the rows of ``matrix``, optimal leaf order, scipy);
    ``by="name"``: alphabetical. Blank rows (suppressed, pooled groups) always come last.

    Example
    -------
    >>> m = pd.DataFrame([[9, 0, 8], [0, 9, 0], [8, 0, 9]], index=list("abc"),
    ...                  columns=list("abc"), dtype=float)
    >>> matrix_order(m, by="size", sizes=pd.Series({"a": 5, "b": 50, "c": 7}))
    ['b', 'c', 'a']
    >>> order = matrix_order(m, by="cluster")
    >>> abs(order.index("a") - order.index("c"))  # a and c tie alike: neighbours
    1
    """
    labels = [str(g) for g in matrix.index]
    values = matrix.to_numpy(dtype=float)
    blank = np.isnan(values).all(axis=1)
    kept = [g for g, b in zip(labels, blank, strict=True) if not b]
    tail = [g for g, b in zip(labels, blank, strict=True) if b]
    if by == "name":
        return sorted(kept, key=str.casefold) + tail
    if by == "cluster" and len(kept) > 2:
        from scipy.cluster.hierarchy import leaves_list, linkage

        rows = np.nan_to_num(values[~blank])
        top = rows.max(axis=1, keepdims=True)
        rows = rows / np.where(top > 0, top, 1.0)  # profile of ties, not the group's size
        tree = linkage(rows, method="average", metric="euclidean", optimal_ordering=True)
        return [kept[i] for i in leaves_list(tree)] + tail
    if sizes is not None:
        weight = pd.Series(sizes).rename(index=str).reindex(kept).fillna(0).to_numpy(float)
    else:
        weight = np.nan_to_num(values[~blank]).sum(axis=1)
    ranked = sorted(range(len(kept)), key=lambda i: (-weight[i], kept[i].casefold()))
    return [kept[i] for i in ranked] + tail


def matrix_figure(
    matrix: pd.DataFrame,
    *,
    title: str,
    suppressed: list[str] | None = None,
    order: list[str] | None = None,
    axis_title: str = "Group",
    row_title: str | None = None,
    share: bool = False,
) -> go.Figure:
    """Heatmap of a group x group table; blank cells are labelled as suppressed.

    Rows run top to bottom in the same ``order`` as the columns left to right, so the
    diagonal goes from the top-left corner. ``share``: the cells are shares (percentages).
    ``row_title``: the rows' axis title when it differs from the columns' (a crosstab).
    """
    if order is not None and list(matrix.index) == list(matrix.columns):
        index = {str(g): g for g in matrix.index}
        chosen = [index[g] for g in order if g in index]
        chosen += [g for g in matrix.index if g not in chosen]
        matrix = matrix.loc[chosen, chosen]
    values = matrix.to_numpy(dtype=float)
    labels = (
        np.vectorize(lambda v: format_number(v, "percent"), otypes=[object])(np.nan_to_num(values))
        if share and values.size
        else _cell_labels(np.nan_to_num(values))
    )
    text = np.where(np.isnan(values), "suppressed", labels)
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=[str(c) for c in matrix.columns],
            y=[str(i) for i in matrix.index],
            text=text,
            texttemplate="%{text}" if values.size <= 400 else None,
            colorscale="Blues",
            hoverongaps=True,
            hovertemplate="%{y} - %{x}: %{text}<extra></extra>",
        )
    )
    _layout(figure, title)
    figure.update_yaxes(autorange="reversed", title=row_title or axis_title)
    figure.update_xaxes(title=axis_title, side="top")
    figure.update_layout(margin={"t": 120}, title_y=0.98)
    if suppressed:
        figure.add_annotation(
            text=f"suppressed (fewer than threshold): {', '.join(suppressed[:8])}"
            + (" ..." if len(suppressed) > 8 else ""),
            xref="paper",
            yref="paper",
            x=0,
            y=-0.15,
            showarrow=False,
            font={"size": 11},
        )
    return figure


def ei_figure(table: pd.DataFrame) -> go.Figure:
    """E-I index per group as bars, with the random-mixing baseline as markers."""
    shown = table[~table["suppressed"].astype(bool)] if "suppressed" in table else table
    hidden = table[table["suppressed"].astype(bool)] if "suppressed" in table else table.iloc[0:0]
    groups = [str(g) for g in shown["group"]]
    figure = go.Figure(
        [
            go.Bar(x=groups, y=pd.to_numeric(shown["ei_index"], errors="coerce"), name="E-I index"),
            go.Scatter(
                x=groups,
                y=pd.to_numeric(shown["ei_baseline"], errors="coerce"),
                mode="markers",
                name="random-mixing baseline",
                marker={"symbol": "line-ew-open", "size": 18, "line": {"width": 3}},
            ),
        ]
    )
    if len(hidden):
        figure.add_trace(
            go.Bar(
                x=[str(g) for g in hidden["group"]],
                y=[0] * len(hidden),
                name="suppressed (small group)",
                marker_color=SUPPRESSED_COLOUR,
                text=["suppressed"] * len(hidden),
                textposition="outside",
            )
        )
    figure.update_yaxes(range=[-1.05, 1.05], title="E-I index (-1 inward, +1 outward)")
    figure.update_xaxes(title="Group")
    return _layout(figure, "E-I index per group (below its baseline: more inward than chance)")


def hops_figure(distribution: pd.DataFrame) -> go.Figure:
    """Stacked shares of people by hops to the nearest leader, per group."""
    buckets = [
        c
        for c in ("leader", "1 hop", "2 hops", "3 hops", "4+ hops", "unreachable")
        if c in distribution
    ]
    shown = (
        distribution[~distribution["suppressed"].astype(bool)]
        if "suppressed" in distribution
        else distribution
    )
    figure = go.Figure(
        [
            go.Bar(
                x=[str(g) for g in shown["group"]],
                y=pd.to_numeric(shown[b], errors="coerce"),
                name=b,
            )
            for b in buckets
        ]
    )
    figure.update_layout(
        barmode="stack",
        yaxis_tickformat=".0%",
        yaxis_title="Share of the group's people",
        xaxis_title="Group",
        legend_title_text="Hops to nearest leader",
    )
    figure.update_traces(hovertemplate="%{x}: %{y:.1%}<extra>%{fullData.name}</extra>")
    return _layout(figure, "Hops to the nearest leader, by group")


def equity_figure(table: pd.DataFrame, organisation: float | None = None) -> go.Figure:
    """Share of non-leaders within 1 and 2 hops of a leader per group, against the
    organisation's share within 2 hops (a dashed line; leaders excluded everywhere);
    suppressed groups are labelled."""
    shown = table[~table["suppressed"].astype(bool)]
    hidden = table[table["suppressed"].astype(bool)]
    groups = [str(g) for g in shown["group"]]
    figure = go.Figure(
        [
            go.Bar(
                x=groups,
                y=pd.to_numeric(shown["share_within_1_hop"], errors="coerce"),
                name="within 1 hop",
            ),
            go.Bar(
                x=groups,
                y=pd.to_numeric(shown["share_within_2_hops"], errors="coerce"),
                name="within 2 hops",
            ),
        ]
    )
    if len(hidden):
        figure.add_trace(
            go.Bar(
                x=[str(g) for g in hidden["group"]],
                y=[0] * len(hidden),
                name="suppressed (small group)",
                marker_color=SUPPRESSED_COLOUR,
            )
        )
    if organisation is not None and len(groups):
        figure.add_trace(
            go.Scatter(
                x=groups,
                y=[organisation] * len(groups),
                mode="lines",
                line={"dash": "dash", "color": "#333"},
                name=f"organisation, within 2 hops ({format_number(organisation, 'percent')})",
            )
        )
    figure.update_layout(
        barmode="group",
        yaxis_tickformat=".0%",
        yaxis_title="Share of non-leaders (leaders excluded)",
        xaxis_title="Group",
    )
    figure.update_traces(hovertemplate="%{x}: %{y:.1%}<extra>%{fullData.name}</extra>")
    return _layout(figure, "Access to leadership by group, against the organisation")


def coverage_figure(coverage: pd.DataFrame) -> go.Figure:
    """Programme coverage (share of people in a current pair or sponsorship) per group."""
    shown = coverage[~coverage["suppressed"].astype(bool)]
    figure = go.Figure(
        go.Bar(
            x=[str(g) for g in shown["group"]], y=pd.to_numeric(shown["coverage"], errors="coerce")
        )
    )
    figure.update_layout(
        yaxis_tickformat=".0%", yaxis_title="Share of people in a pair or sponsorship"
    )
    figure.update_xaxes(title="Group")
    return _layout(figure, "Programme coverage by group")


def before_after_figure(simulation: dict[str, Any]) -> go.Figure:
    """Headline metrics before and after the proposed set (what-if simulation)."""

    def flat(values: dict[str, Any]) -> dict[str, Any]:
        return {k: (v.get("overall") if isinstance(v, dict) else v) for k, v in values.items()}

    before = flat(simulation.get("before") or {})
    after = flat(simulation.get("after") or {})
    keys = [
        k
        for k in before
        if isinstance(before.get(k), int | float) and isinstance(after.get(k), int | float)
    ]
    figure = go.Figure(
        [
            go.Bar(x=[column_label(k) for k in keys], y=[before[k] for k in keys], name="before"),
            go.Bar(x=[column_label(k) for k in keys], y=[after[k] for k in keys], name="after"),
        ]
    )
    figure.update_layout(barmode="group")
    return _layout(
        figure, "Before and after the proposed set" if keys else "No simulation for this run"
    )


# ---- network map ---------------------------------------------------------------------------


def _is_numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values)) and not pd.api.types.is_bool_dtype(values)


def _category_colours(values: pd.Series) -> dict[str, str]:
    # distinct past 10 (and past 22) categories: see orgbridge.app._layout.qualitative_palette
    categories = sorted({str(v) for v in values})
    return dict(zip(categories, qualitative_palette(len(categories)), strict=True))


def _ramp(values: np.ndarray) -> list[str]:
    """Colours from light to dark blue for numbers (grey for missing)."""
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    span = high - low or 1.0
    out = []
    for v in values:
        if not np.isfinite(v):
            out.append(SUPPRESSED_COLOUR)
            continue
        t = (v - low) / span
        r, g, b = (int(222 - t * 214), int(235 - t * 187), int(247 - t * 140))
        out.append(f"rgb({r},{g},{b})")
    return out


def _sizes(values: np.ndarray, low: float = 12.0, high: float = 48.0) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if len(finite) == 0 or finite.max() == finite.min():
        return np.full(len(values), (low + high) / 2)
    scaled = low + (np.sqrt(np.clip(values, finite.min(), None)) - np.sqrt(finite.min())) / (
        np.sqrt(finite.max()) - np.sqrt(finite.min())
    ) * (high - low)
    return np.where(np.isfinite(scaled), scaled, low)


def cytoscape_elements(view: NetworkView) -> list[dict[str, Any]]:
    """Cytoscape elements with preset positions, colour and size in each node's data.

    Example
    -------
    >>> import pandas as pd
    >>> nodes = pd.DataFrame({"id": ["a", "b"], "label": ["A", "B"], "x": [0.0, 1.0],
    ...     "y": [0.0, 1.0], "colour": ["X", "Y"], "size": [1.0, 2.0], "hover": ["A", "B"]})
    >>> edges = pd.DataFrame({"source": ["a"], "target": ["b"], "weight": [1.0]})
    >>> els = cytoscape_elements(NetworkView("person", nodes, edges, "department", "degree"))
    >>> len(els), els[0]["position"], els[2]["data"]["source"]
    (3, {'x': 0.0, 'y': 0.0}, 'a')
    """
    nodes = view.nodes
    colours = nodes["colour"]
    if _is_numeric(colours):
        fill = _ramp(colours.to_numpy(dtype=float))
    else:
        mapping = _category_colours(colours)
        fill = [mapping[str(v)] for v in colours]
    sizes = _sizes(nodes["size"].to_numpy(dtype=float))
    elements: list[dict[str, Any]] = [
        {
            "data": {
                "id": str(r.id),
                "label": str(r.label),
                "hover": str(r.hover),
                "colour": c,
                "size": float(s),
            },
            "position": {"x": float(r.x), "y": float(r.y)},  # type: ignore[arg-type]
        }
        for r, c, s in zip(nodes.itertuples(index=False), fill, sizes, strict=True)
    ]
    weights = view.edges["weight"].to_numpy(dtype=float)
    top = float(weights.max()) if len(weights) else 1.0
    elements += [
        {
            "data": {
                "id": f"e{i}",
                "source": str(s),
                "target": str(t),
                "width": float(1 + 5 * w / (top or 1.0)),
            }
        }
        for i, (s, t, w) in enumerate(
            zip(view.edges["source"], view.edges["target"], weights, strict=True)
        )
    ]
    return elements


def cytoscape_stylesheet(view: NetworkView) -> list[dict[str, Any]]:
    """Stylesheet reading colour, size and width from element data."""
    labels = view.level == "group" or len(view.nodes) <= 150
    return [
        {
            "selector": "node",
            "style": {
                "background-color": "data(colour)",
                "width": "data(size)",
                "height": "data(size)",
                "label": "data(label)" if labels else "",
                "font-size": 10,
                "text-valign": "bottom",
            },
        },
        {
            "selector": "edge",
            "style": {
                "width": "data(width)",
                "line-color": "#b8b8b8",
                "opacity": 0.6,
                "curve-style": "haystack",
            },
        },
        {"selector": "node:selected", "style": {"border-width": 3, "border-color": "#000"}},
    ]


def legend_items(view: NetworkView) -> list[tuple[str, str]]:
    """(colour, text) pairs explaining the node colours."""
    colours = view.nodes["colour"]
    if _is_numeric(colours):
        values = colours.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if len(finite) == 0:
            return [(SUPPRESSED_COLOUR, f"{view.colour_by}: no values")]
        ramp = _ramp(np.array([finite.min(), finite.max()]))
        return [
            (ramp[0], f"{view.colour_by} {finite.min():.3g}"),
            (ramp[1], f"{view.colour_by} {finite.max():.3g}"),
        ]
    mapping = _category_colours(colours)
    items = list(mapping.items())[:20]
    return [(colour, label) for label, colour in items]


def exposure_legend(view: NetworkView, steps: int = 5) -> list[tuple[str, str]]:
    """(colour, text) swatches of a numeric colour scale from its minimum to its maximum at
    ``steps`` even points (not only the values present), plus grey for suppressed groups.

    Example
    -------
    >>> nodes = pd.DataFrame({"id": ["a", "b"], "label": ["A", "B"], "x": [0.0, 1.0],
    ...     "y": [0.0, 1.0], "colour": [0.1, float("nan")], "size": [1.0, 2.0],
    ...     "hover": ["A", "B"]})
    >>> edges = pd.DataFrame({"source": [], "target": [], "weight": []})
    >>> [t for _, t in exposure_legend(NetworkView("group", nodes, edges, "mean_exposure",
    ...     "size"), steps=2)]
    ['Mean exposure 0.1', 'suppressed (small group)']
    """
    values = pd.to_numeric(view.nodes["colour"], errors="coerce").to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    name = column_label(view.colour_by)
    items: list[tuple[str, str]] = []
    if len(finite):
        points = np.unique(np.linspace(finite.min(), finite.max(), steps))
        ramp = _ramp(np.concatenate([[finite.min(), finite.max()], points]))[2:]
        items = [(c, f"{name} {format_number(v)}") for c, v in zip(ramp, points, strict=True)]
    if not np.isfinite(values).all():
        items.append((SUPPRESSED_COLOUR, "suppressed (small group)"))
    return items


# ---- grids ---------------------------------------------------------------------------------


def grid_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe records (NaN and NA become None, numpy scalars become Python ones)."""
    if len(frame) == 0:
        return []
    clean = frame.astype(object).where(frame.notna(), None)
    rows: list[dict[str, Any]] = json.loads(
        json.dumps(clean.to_dict(orient="records"), default=_plain)
    )
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def grid_columns(frame: pd.DataFrame, *, checkbox: str | None = None) -> list[dict[str, Any]]:
    """AG Grid column definitions: human headers (with the glossary sentence as their
    tooltip), shares as percentages, counts with thousands separators, other numbers to 3
    significant digits.

    Example
    -------
    >>> cols = grid_columns(pd.DataFrame({"Effective_size": [1.5], "group_a": ["x"]}))
    >>> [c["headerName"] for c in cols], "headerTooltip" in cols[0]
    (['Effective size', 'Group A'], True)
    """
    columns = []
    for name in frame.columns:
        header = column_label(name)
        column: dict[str, Any] = {
            "field": str(name),
            "headerName": header,
            "sortable": True,
            "filter": True,
            "resizable": True,
        }
        explained = lookup(header) or lookup(str(name))
        if explained is not None:
            column["headerTooltip"] = f"{explained.title}: {explained.sentence}"
        if pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(
            frame[name]
        ):
            kind = column_kind(str(name))
            if kind == "plain" and pd.api.types.is_integer_dtype(frame[name]):
                kind = "count"
            column["valueFormatter"] = grid_formatter(kind)
            column["type"] = "rightAligned"
        if checkbox is not None and name == checkbox:
            column["checkboxSelection"] = True
            column["headerCheckboxSelection"] = True
        columns.append(column)
    return columns


def proposal_rows(proposals: pd.DataFrame) -> list[dict[str, Any]]:
    """Grid rows of proposals: labels, score, each breakdown component, reason, decision."""
    if len(proposals) == 0:
        return []
    rows = []
    for record in grid_rows(proposals):
        breakdown = record.pop("breakdown", None)
        if isinstance(breakdown, str):
            try:
                breakdown = json.loads(breakdown)
            except ValueError:
                breakdown = None
        row = {
            "id": f"{record.get('a')}|{record.get('b')}",
            "a": record.get("a"),
            "b": record.get("b"),
            "person_a": record.get("a_label", record.get("a")),
            "person_b": record.get("b_label", record.get("b")),
            "kind": record.get("kind"),
            "score": record.get("score"),
        }
        if isinstance(breakdown, dict):
            row.update({f"gain_{k}": v for k, v in breakdown.items() if isinstance(v, int | float)})
        row["reason"] = record.get("reason")
        row["decision"] = record.get("decision") or ""
        rows.append(row)
    return rows


def report_rows(report: dict[str, Any]) -> dict[str, Any]:
    """The validation report as a summary line, per-file rows and problem rows.

    Example
    -------
    >>> r = report_rows({"people": 3, "rows_in": 4, "rows_loaded": 3, "rows_rejected": 1,
    ...     "errors": [{"file": "s.csv", "row": 2, "column": "x", "message": "bad"}], "files": []})
    >>> r["summary"], r["problems"][0]["severity"]
    ('4 rows in: 3 loaded, 1 rejected; 3 people', 'error')
    """
    problems = [{"severity": "error", **p} for p in report.get("errors", [])]
    problems += [{"severity": "warning", **p} for p in report.get("warnings", [])]
    summary = (
        f"{report.get('rows_in', 0):,} rows in: {report.get('rows_loaded', 0):,} loaded, "
        f"{report.get('rows_rejected', 0):,} rejected; {report.get('people', 0):,} people"
    )
    return {"summary": summary, "files": list(report.get("files", [])), "problems": problems}


#: Selector prefix of the rules that highlight search matches (a new search replaces them).
HIGHLIGHT = 'node[id = "'


def search_nodes(
    elements: list[dict[str, Any]], query: str, *, groups_only: bool = False
) -> list[str]:
    """Ids of the map's nodes whose label contains ``query`` (case-insensitive).

    ``groups_only`` keeps group nodes (ids ``g0``, ``g1``, ...) only: what an executive may
    search. Edges never match.

    Example
    -------
    >>> els = [{"data": {"id": "g0", "label": "Finance"}},
    ...        {"data": {"id": "P-1", "label": "Ann Lee"}},
    ...        {"data": {"id": "e0", "source": "g0", "target": "P-1"}}]
    >>> search_nodes(els, "fin"), search_nodes(els, "ann")
    (['g0'], ['P-1'])
    >>> search_nodes(els, "ann", groups_only=True)
    []
    """
    text = query.strip().casefold()
    if not text:
        return []
    found = []
    for element in elements:
        data = element.get("data", {})
        if "source" in data:
            continue
        node = str(data.get("id", ""))
        if groups_only and not (node.startswith("g") and node[1:].isdigit()):
            continue
        if text in str(data.get("label", "")).casefold():
            found.append(node)
    return found


def highlight_stylesheet(
    stylesheet: list[dict[str, Any]] | None, matches: list[str]
) -> list[dict[str, Any]]:
    """``stylesheet`` without earlier highlights, plus a thick outline on each match.

    Example
    -------
    >>> rules = highlight_stylesheet([{"selector": "node", "style": {}}], ['a"b'])
    >>> [r["selector"] for r in rules]
    ['node', 'node[id = "a\\\\"b"]']
    >>> highlight_stylesheet(rules, []) == [{"selector": "node", "style": {}}]
    True
    """
    rules = stylesheet if isinstance(stylesheet, list) else []  # the client's own state
    kept = [
        rule
        for rule in rules
        if isinstance(rule, dict) and not str(rule.get("selector")).startswith(HIGHLIGHT)
    ]
    for node in matches:
        escaped = node.replace("\\", "\\\\").replace('"', '\\"')
        kept.append(
            {
                "selector": f'{HIGHLIGHT}{escaped}"]',
                "style": {
                    "border-width": 6,
                    "border-color": "#d62728",
                    "z-index": 999,
                    "font-weight": "bold",
                },
            }
        )
    return kept


def trend_figure(trends: pd.DataFrame, key: str) -> go.Figure:
    """One headline (``key``) at each snapshot, from :meth:`Services.trends` rows.

    Example
    -------
    >>> t = pd.DataFrame({"snapshot": ["2025-01-01", "2026-01-01"], "key": ["coverage"] * 2,
    ...     "label": ["Programme coverage"] * 2, "value": [0.1, 0.2], "format": ["percent"] * 2})
    >>> trend_figure(t, "coverage").layout.yaxis.tickformat
    '.0%'
    """
    rows = trends[trends["key"] == key]
    fmt = str(rows["format"].iloc[0]) if len(rows) else "plain"
    label = str(rows["label"].iloc[0]) if len(rows) else key
    figure = go.Figure(
        go.Scatter(
            x=[str(s)[:19] for s in rows["snapshot"]],
            y=pd.to_numeric(rows["value"], errors="coerce"),
            mode="lines+markers",
            name=label,
        )
    )
    figure.update_layout(
        height=260,
        yaxis_tickformat=".0%" if fmt == "percent" else ".3~r",
        xaxis_title="Snapshot (import)",
        yaxis_title=label,
    )
    return _layout(figure, label)


def programme_history_figure(history: pd.DataFrame, measure: str) -> go.Figure:
    """One line per group: ``measure`` (coverage or share within 2 hops) at each snapshot.

    ``history`` has columns ``snapshot, group, coverage, share_within_2_hops, suppressed``;
    suppressed rows are left out.
    """
    shown = history[~history["suppressed"].astype(bool)] if len(history) else history
    today = pd.Timestamp.now().strftime("%Y-%m-%d")
    traces = [
        go.Scatter(
            # snapshots are dates ("now" is today's), drawn on a date axis
            x=[today if str(s) == "now" else str(s)[:10] for s in rows["snapshot"]],
            y=pd.to_numeric(rows[measure], errors="coerce"),
            mode="lines+markers",
            name=str(group),
        )
        for group, rows in (shown.groupby("group", sort=True) if len(shown) else [])
    ]
    figure = go.Figure(traces)
    figure.update_layout(
        yaxis_tickformat=".0%",
        yaxis_title=column_label(measure),
        xaxis={"type": "date", "tickformat": "%d %b %Y", "title": "snapshot date"},
    )
    title = "Programme coverage" if measure == "coverage" else "Within 2 hops of a leader"
    return _layout(figure, f"{title} by group, at each programme start and now")
