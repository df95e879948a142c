"""Programme: current and past pairs and sponsorships, coverage by group, and before/after
across snapshots (each programme start date against now)."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from orgbridge.app import figures, ids
from orgbridge.app.pages._common import Context, denied_layout, group_dropdown, safely
from orgbridge.app.pages._health import health_section, register_health


def make_layout(context: Context) -> Any:
    def layout(**_: Any) -> Any:
        blocked = denied_layout(context, "aggregates")
        if blocked is not None:
            return blocked
        return html.Div(
            [
                html.H2("Programme"),
                dbc.Row(
                    dbc.Col(
                        [dbc.Label("Group by"), group_dropdown(ids.PROGRAMME_GROUP_BY, context)],
                        md=3,
                    )
                ),
                html.Div(id=ids.PROGRAMME_ALERT),
                health_section(context),
                dcc.Graph(id=ids.PROGRAMME_COVERAGE),
                html.H4("Before and after, by group"),
                html.P(
                    "Each programme start date (the latest four) against now; groups with "
                    "fewer people than the privacy threshold are left out.",
                    className="text-muted",
                ),
                dbc.Row(
                    [
                        dbc.Col(dcc.Graph(id=ids.PROGRAMME_HISTORY), md=6),
                        dbc.Col(dcc.Graph(id=f"{ids.PROGRAMME_HISTORY}-exposure"), md=6),
                    ]
                ),
                dag.AgGrid(
                    id=ids.PROGRAMME_HISTORY_GRID,
                    rowData=[],
                    columnDefs=[],
                    style={"height": "250px"},
                ),
                html.Div(
                    [
                        html.H4("Pairs and sponsorships"),
                        dag.AgGrid(
                            id=ids.PROGRAMME_GRID,
                            rowData=[],
                            columnDefs=[],
                            style={"height": "350px"},
                        ),
                    ],
                    style={} if context.user_may("people") else {"display": "none"},
                ),
            ]
        )

    return layout


def register(app: dash.Dash, context: Context) -> None:
    dash.register_page(  # type: ignore[no-untyped-call]
        __name__, path="/programme", name="Programme", order=4, layout=make_layout(context)
    )

    register_health(app, context)

    @app.callback(
        Output(ids.PROGRAMME_COVERAGE, "figure"),
        Output(ids.PROGRAMME_GRID, "rowData"),
        Output(ids.PROGRAMME_GRID, "columnDefs"),
        Output(ids.PROGRAMME_ALERT, "children"),
        Input(ids.PROGRAMME_GROUP_BY, "value"),
    )
    @safely(4)
    def update_programme_pairs(group_by: str | None) -> tuple[Any, ...]:
        result = context.services.programme(context.current_user(), group_by)
        pairs = result["pairs"]
        if pairs is None:
            return figures.coverage_figure(result["coverage"]), [], []
        return (
            figures.coverage_figure(result["coverage"]),
            figures.grid_rows(pairs),
            figures.grid_columns(pairs),
        )

    @app.callback(
        Output(ids.PROGRAMME_HISTORY, "figure"),
        Output(f"{ids.PROGRAMME_HISTORY}-exposure", "figure"),
        Output(ids.PROGRAMME_HISTORY_GRID, "rowData"),
        Output(ids.PROGRAMME_HISTORY_GRID, "columnDefs"),
        Output(ids.PROGRAMME_ALERT, "children", allow_duplicate=True),
        Input(ids.PROGRAMME_GROUP_BY, "value"),
        prevent_initial_call="initial_duplicate",
    )
    @safely(5)
    def update_history(group_by: str | None) -> tuple[Any, ...]:
        history = context.services.programme_history(context.current_user(), group_by)
        return (
            figures.programme_history_figure(history, "coverage"),
            figures.programme_history_figure(history, "share_within_2_hops"),
            figures.grid_rows(history),
            figures.grid_columns(history),
        )
