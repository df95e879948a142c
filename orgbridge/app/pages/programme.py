"""Programme: current and past pairs and sponsorships, and coverage by group."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
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
                html.H2("Programme"),
                dbc.Row(
                    dbc.Col(
                        [dbc.Label("Group by"), group_dropdown(ids.PROGRAMME_GROUP_BY, context)],
                        md=3,
                    )
                ),
                html.Div(id=ids.PROGRAMME_ALERT),
                dcc.Graph(id=ids.PROGRAMME_COVERAGE),
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

    @app.callback(
        Output(ids.PROGRAMME_COVERAGE, "figure"),
        Output(ids.PROGRAMME_GRID, "rowData"),
        Output(ids.PROGRAMME_GRID, "columnDefs"),
        Output(ids.PROGRAMME_ALERT, "children"),
        Input(ids.PROGRAMME_GROUP_BY, "value"),
    )
    @safely(4)
    def update_programme(group_by: str | None) -> tuple[Any, ...]:
        result = context.services.programme(context.current_user(), group_by or "department")
        pairs = result["pairs"]
        if pairs is None:
            return figures.coverage_figure(result["coverage"]), [], []
        return (
            figures.coverage_figure(result["coverage"]),
            figures.grid_rows(pairs),
            figures.grid_columns(pairs),
        )
