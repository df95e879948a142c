"""Exposure: hops to leaders by group, equity gaps, least-exposed groups, a map by exposure."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import Input, Output, dcc, html

from orgbridge.app import figures, ids
from orgbridge.app._format import format_number, format_points
from orgbridge.app.pages._common import Context, denied_layout, group_dropdown, safely
from orgbridge.app.pages._help import metric_label


def make_layout(context: Context) -> Any:
    def layout(**_: Any) -> Any:
        blocked = denied_layout(context, "aggregates")
        if blocked is not None:
            return blocked
        return html.Div(
            [
                html.H2("Exposure to leadership"),
                dbc.Row(
                    dbc.Col(
                        [dbc.Label("Group by"), group_dropdown(ids.EXPOSURE_GROUP_BY, context)],
                        md=3,
                    )
                ),
                html.P(
                    [
                        "Figures are over non-leaders (leaders are at 0 hops by definition): ",
                        metric_label("within 1 hop", "within_1_hop", "intro"),
                        ", ",
                        metric_label("within 2 hops", "within_2_hops", "intro"),
                        ", ",
                        metric_label("3 or more hops", "more_hops", "intro"),
                        ", ",
                        metric_label("unreachable", "unreachable", "intro"),
                        ", ",
                        metric_label("hops to nearest leader", "hops_to_leader", "intro"),
                        ".",
                    ],
                    className="text-muted",
                ),
                html.Div(id=ids.EXPOSURE_ALERT),
                html.Div(id=ids.EXPOSURE_LEAST, className="mt-2"),
                dbc.Row(
                    [
                        dbc.Col(dcc.Graph(id=ids.EXPOSURE_HOPS), md=6),
                        dbc.Col(dcc.Graph(id=ids.EXPOSURE_EQUITY), md=6),
                    ]
                ),
                html.H4(
                    [
                        "Groups coloured by ",
                        metric_label("mean exposure", "exposure", "map"),
                    ]
                ),
                html.Div(id=ids.EXPOSURE_MAP_LEGEND),
                cyto.Cytoscape(
                    id=ids.EXPOSURE_MAP,
                    elements=[],
                    layout={"name": "preset"},
                    style={"width": "100%", "height": "450px"},
                ),
            ]
        )

    return layout


def least_exposed_text(result: dict[str, Any]) -> Any:
    """Each least-exposed group against the organisation (non-leaders everywhere), the
    best-worst gap and the Gini."""
    values = result["values"]
    organisation = values.get("share_within_2_hops")
    lines = []
    if organisation is not None:
        lines.append(
            html.P(
                [
                    "Across the organisation, ",
                    html.B(format_number(organisation, "percent")),
                    " of non-leaders are ",
                    metric_label("within 2 hops", "within_2_hops", "least"),
                    " of a leader.",
                ]
            )
        )
    if result["least_exposed"]:
        names = "; ".join(
            f"{row['group']} {format_number(row['share_within_2_hops'], 'percent')}"
            + (
                f" ({format_points(row['share_within_2_hops'] - organisation)} against the "
                "organisation)"
                if organisation is not None and row["share_within_2_hops"] is not None
                else ""
            )
            for row in result["least_exposed"]
        )
        lines.append(html.P(f"Least exposed groups: {names}."))
    gap = values.get("gap_share_within_2_hops")
    if gap is not None:
        lines.append(
            html.P(
                [
                    metric_label("Exposure gap", "equity_gap", "least"),
                    f" between the best ({values.get('best_share_within_2_hops')}) and worst "
                    f"({values.get('worst_share_within_2_hops')}) group: "
                    f"{format_points(gap)}; ",
                    metric_label("Gini", "gini", "least"),
                    f" of exposure across non-leaders {format_number(values.get('gini'))}.",
                ]
            )
        )
    suppressed = values.get("n_suppressed") or 0
    if suppressed:
        lines.append(
            html.P(f"{suppressed} group(s) suppressed: {result['note']}.", className="text-muted")
        )
    return lines


def register(app: dash.Dash, context: Context) -> None:
    dash.register_page(  # type: ignore[no-untyped-call]
        __name__, path="/exposure", name="Exposure", order=2, layout=make_layout(context)
    )
    services = context.services

    @app.callback(
        Output(ids.EXPOSURE_HOPS, "figure"),
        Output(ids.EXPOSURE_EQUITY, "figure"),
        Output(ids.EXPOSURE_LEAST, "children"),
        Output(ids.EXPOSURE_MAP, "elements"),
        Output(ids.EXPOSURE_MAP, "stylesheet"),
        Output(ids.EXPOSURE_MAP_LEGEND, "children"),
        Output(ids.EXPOSURE_ALERT, "children"),
        Input(ids.EXPOSURE_GROUP_BY, "value"),
    )
    @safely(7)
    def update_exposure(group_by: str | None) -> tuple[Any, ...]:
        user = context.current_user()
        result = services.exposure(user, group_by or "department")
        shown = services.network(
            user,
            view="groups",
            group_by=group_by,
            colour_by="mean_exposure",
            size_by="size",
        )
        return (
            figures.hops_figure(result["distribution"]),
            figures.equity_figure(result["equity"], result["values"].get("share_within_2_hops")),
            least_exposed_text(result),
            figures.cytoscape_elements(shown),
            figures.cytoscape_stylesheet(shown),
            legend(shown),
        )


def legend(view: Any) -> Any:
    """Colour swatches of the exposure map: light = low mean exposure, dark = high; grey =
    suppressed; node size = group size."""
    items = [
        html.Span(
            [
                html.Span(
                    style={
                        "display": "inline-block",
                        "width": "12px",
                        "height": "12px",
                        "background": colour,
                        "marginRight": "4px",
                    }
                ),
                text,
            ],
            className="me-3",
        )
        for colour, text in figures.exposure_legend(view)
    ]
    return html.Div([*items, html.Span("node size: people in the group", className="me-3")])
