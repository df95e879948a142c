"""Matches: approved, active, completed and ended-early pairs by cycle, who decided and when;
start or close a cycle; the introduction file for a mail merge (coordinators and admins)."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from orgbridge.app import figures, ids
from orgbridge.app._format import column_label
from orgbridge.app._services_programme import MATCH_STATUSES
from orgbridge.app.pages._common import Context, alert, denied_layout, safely
from orgbridge.errors import OrgbridgeError


def _columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    columns = []
    for name in list(rows[0]) if rows else ["cycle_id", "name_a", "name_b", "status"]:
        column: dict[str, Any] = {
            "field": name,
            "headerName": column_label(name),
            "sortable": True,
            "filter": True,
        }
        if name in ("name_a", "name_b"):
            column["pinned"] = "left"
        if name.endswith("_at"):
            column["valueFormatter"] = {"function": "params.value ? params.value.slice(0, 10) : ''"}
        columns.append(column)
    return columns


def make_layout(context: Context) -> Any:
    def layout(**_: Any) -> Any:
        blocked = denied_layout(context, "names")
        if blocked is not None:
            return blocked
        try:
            cycles = context.services.programme_cycles(context.current_user())
            message = None
        except OrgbridgeError as error:
            cycles, message = [], alert(error)
        may_run = context.user_may("recommend")
        return html.Div(
            [
                html.H2("Matches"),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label("Cycle"),
                                dcc.Dropdown(
                                    id=ids.MATCHES_CYCLE,
                                    options=cycles,
                                    value=cycles[-1]["value"] if cycles else None,
                                ),
                            ],
                            md=5,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Status"),
                                dcc.Dropdown(
                                    id=ids.MATCHES_STATUS,
                                    options=[
                                        {"label": s.replace("_", " "), "value": s}
                                        for s in MATCH_STATUSES
                                    ],
                                    value=None,
                                    placeholder="all",
                                ),
                            ],
                            md=3,
                        ),
                    ]
                ),
                html.Div(
                    [
                        dbc.Button(
                            "Start cycle",
                            id=ids.MATCHES_START,
                            color="success",
                            size="sm",
                            className="me-1",
                            n_clicks=0,
                            style={} if may_run else {"display": "none"},
                        ),
                        dbc.Button(
                            "Close cycle",
                            id=ids.MATCHES_CLOSE,
                            color="secondary",
                            size="sm",
                            className="me-3",
                            n_clicks=0,
                            style={} if may_run else {"display": "none"},
                        ),
                        dbc.Button(
                            "Export introductions (CSV)",
                            id=ids.MATCHES_EXPORT,
                            size="sm",
                            n_clicks=0,
                        ),
                        dcc.Download(id=ids.MATCHES_DOWNLOAD),
                    ],
                    className="mt-3 mb-1",
                ),
                dbc.Row(
                    [
                        dbc.Col(
                            dcc.Dropdown(
                                id=ids.MATCHES_END_MATCH,
                                options=[],
                                placeholder="A pair to end early",
                            ),
                            md=5,
                        ),
                        dbc.Col(
                            dbc.Input(
                                id=ids.MATCHES_END_REASON,
                                placeholder="Why it ended (kept in the history)",
                                maxLength=500,
                                size="sm",
                            ),
                            md=5,
                        ),
                        dbc.Col(
                            dbc.Button(
                                "End early",
                                id=ids.MATCHES_END,
                                color="danger",
                                size="sm",
                                n_clicks=0,
                            ),
                            md=2,
                        ),
                    ],
                    className="mb-2",
                    style={} if may_run else {"display": "none"},
                ),
                html.Div(id=ids.MATCHES_MESSAGE),
                html.Div(message, id=ids.MATCHES_ALERT),
                dag.AgGrid(
                    id=ids.MATCHES_GRID,
                    rowData=[],
                    columnDefs=_columns([]),
                    dashGridOptions={"suppressColumnVirtualisation": True},
                    style={"height": "450px"},
                ),
            ]
        )

    return layout


def register(app: dash.Dash, context: Context) -> None:
    dash.register_page(  # type: ignore[no-untyped-call]
        __name__, path="/matches", name="Matches", order=5, layout=make_layout(context)
    )
    services = context.services

    @app.callback(
        Output(ids.MATCHES_GRID, "rowData"),
        Output(ids.MATCHES_GRID, "columnDefs"),
        Output(ids.MATCHES_ALERT, "children"),
        Input(ids.MATCHES_CYCLE, "value"),
        Input(ids.MATCHES_STATUS, "value"),
        Input(ids.MATCHES_MESSAGE, "children"),
    )
    @safely(3)
    def update_matches(cycle: Any, status: Any, _: Any) -> tuple[Any, ...]:
        rows = figures.grid_rows(services.matches(context.current_user(), cycle, status))
        return rows, _columns(rows)

    @app.callback(
        Output(ids.MATCHES_MESSAGE, "children"),
        Output(ids.MATCHES_CYCLE, "options"),
        Output(ids.MATCHES_ALERT, "children", allow_duplicate=True),
        Input(ids.MATCHES_START, "n_clicks"),
        Input(ids.MATCHES_CLOSE, "n_clicks"),
        State(ids.MATCHES_CYCLE, "value"),
        prevent_initial_call=True,
    )
    @safely(3)
    def run_cycle(_s: Any, _c: Any, cycle: Any) -> tuple[Any, ...]:
        user = context.current_user()
        action = "close" if dash.ctx.triggered_id == ids.MATCHES_CLOSE else "start"
        message = services.change_cycle(user, cycle, action=action)
        return dbc.Alert(message, color="success"), services.programme_cycles(user)

    @app.callback(
        Output(ids.MATCHES_END_MATCH, "options"),
        Input(ids.MATCHES_MESSAGE, "children"),
    )
    def update_live_matches(_: Any) -> Any:
        user = context.current_user()
        if not context.user_may("recommend"):
            return []
        try:
            return services.live_match_options(user)
        except OrgbridgeError:
            return []

    @app.callback(
        Output(ids.MATCHES_MESSAGE, "children", allow_duplicate=True),
        Output(ids.MATCHES_END_MATCH, "value"),
        Output(ids.MATCHES_END_REASON, "value"),
        Output(ids.MATCHES_ALERT, "children", allow_duplicate=True),
        Input(ids.MATCHES_END, "n_clicks"),
        State(ids.MATCHES_END_MATCH, "value"),
        State(ids.MATCHES_END_REASON, "value"),
        prevent_initial_call=True,
    )
    @safely(4)
    def end_match(_: Any, match: Any, reason: Any) -> tuple[Any, ...]:
        message = services.end_match(context.current_user(), match, reason)
        return dbc.Alert(message, color="success"), None, ""

    @app.callback(
        Output(ids.MATCHES_DOWNLOAD, "data"),
        Output(ids.MATCHES_ALERT, "children", allow_duplicate=True),
        Input(ids.MATCHES_EXPORT, "n_clicks"),
        State(ids.MATCHES_CYCLE, "value"),
        prevent_initial_call=True,
    )
    @safely(2)
    def export(_: int, cycle: Any) -> Any:
        filename, payload = services.export_introductions(context.current_user(), cycle)
        return dcc.send_bytes(payload, filename)  # type: ignore[attr-defined,no-untyped-call]
