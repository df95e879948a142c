"""Exposure: hops to leaders by group, equity gaps, least-exposed groups, a map by exposure."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import Input, Output, dcc, html

from orgbridge.app import figures, ids
from orgbridge.app.pages._common import Context, denied_layout, group_dropdown, safely


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
                html.Div(id=ids.EXPOSURE_ALERT),
                html.Div(id=ids.EXPOSURE_LEAST, className="mt-2"),
                dbc.Row(
                    [
                        dbc.Col(dcc.Graph(id=ids.EXPOSURE_HOPS), md=6),
                        dbc.Col(dcc.Graph(id=ids.EXPOSURE_EQUITY), md=6),
                    ]
                ),
                html.H4("Groups coloured by mean exposure"),
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
    values = result["values"]
    lines = []
    if result["least_exposed"]:
        names = ", ".join(
            f"{row['group']} "
            f"({figures.format_value(row['share_within_2_hops'], 'percent')} within 2 hops)"
            for row in result["least_exposed"]
        )
        lines.append(html.P(f"Least exposed groups: {names}."))
    gap = values.get("gap_share_within_2_hops")
    if gap is not None:
        lines.append(
            html.P(
                f"Gap between the best ({values.get('best_share_within_2_hops')}) and worst "
                f"({values.get('worst_share_within_2_hops')}) group: "
                f"{figures.format_value(gap, 'percent')} points; Gini of exposure across people "
                f"{figures.format_value(values.get('gini'), 'plain')}."
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
        Output(ids.EXPOSURE_ALERT, "children"),
        Input(ids.EXPOSURE_GROUP_BY, "value"),
    )
    @safely(6)
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
            figures.equity_figure(result["equity"]),
            least_exposed_text(result),
            figures.cytoscape_elements(shown),
            figures.cytoscape_stylesheet(shown),
        )
