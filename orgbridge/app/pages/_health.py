"""The Programme page's operations section: health per cycle, impact, and for coordinators the
active pairs (stalled only filter, export), the check-in form and the comments."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from orgbridge.app import figures, ids
from orgbridge.app.pages._common import Context, alert, safely
from orgbridge.errors import OrgbridgeError

__all__ = ["health_figure", "health_rows", "health_section", "register_health"]

_PERCENT = {"function": "params.value == null ? '' : d3.format('.0%')(params.value)"}
_NUMBER = {"function": "params.value == null ? '' : d3.format('.3~g')(params.value)"}
_SHARES = ("match_rate", "milestone_share", "ended_early_rate")


def health_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One grid row per cycle: the figures of :func:`orgbridge.programme.health`.

    Example
    -------
    >>> health_rows({"cycles": [{"cycle_id": "C1", "enrolled": 3, "ended_early_reasons":
    ...     {"moved": 5}, "statuses": {}, "rating_trend": []}]})[0]["ended_early_reasons"]
    'moved: 5'
    """
    rows = []
    for cycle in report.get("cycles", []):
        row = {
            k: v
            for k, v in cycle.items()
            if k not in ("statuses", "rating_trend", "by_group", "ended_early_reasons")
        }
        reasons = cycle.get("ended_early_reasons") or {}
        row["ended_early_reasons"] = "; ".join(f"{r}: {n}" for r, n in reasons.items())
        rows.append(row)
    return rows


def _health_columns() -> list[dict[str, Any]]:
    fields = [
        ("cycle_id", "Cycle"),
        ("start", "Start"),
        ("end", "End"),
        ("enrolled", "Participants"),
        ("matched", "Matched"),
        ("match_rate", "Match rate"),
        ("pairs_started", "Pairs started"),
        ("meetings_per_pair_month", "Meetings per active pair per month"),
        ("stalled", "Stalled pairs"),
        ("mean_rating", "Average rating"),
        ("rating_slope_per_month", "Rating trend (per month)"),
        ("milestones_reached", "Milestones reached"),
        ("milestones", "Milestones"),
        ("milestone_share", "Milestones reached (share)"),
        ("ended_early", "Ended early"),
        ("ended_early_rate", "Ended-early rate"),
        ("ended_early_reasons", "Reasons"),
    ]
    columns = []
    for field, name in fields:
        column: dict[str, Any] = {"field": field, "headerName": name, "resizable": True}
        if field in _SHARES:
            column["valueFormatter"] = _PERCENT
        elif field in ("meetings_per_pair_month", "mean_rating", "rating_slope_per_month"):
            column["valueFormatter"] = _NUMBER
        columns.append(column)
    return columns


def health_figure(report: dict[str, Any]) -> go.Figure:
    """Average rating per month, one line per cycle (months shown as dates)."""
    traces = []
    for cycle in report.get("cycles", []):
        trend = [t for t in cycle.get("rating_trend", []) if t.get("mean_rating") is not None]
        if trend:
            traces.append(
                go.Scatter(
                    x=[f"{t['month']}-01" for t in trend],
                    y=[t["mean_rating"] for t in trend],
                    mode="lines+markers",
                    name=str(cycle["cycle_id"]),
                )
            )
    figure = go.Figure(traces)
    figure.update_layout(
        xaxis={"type": "date", "tickformat": "%b %Y", "title": "month"},
        yaxis={"range": [1, 5], "title": "average rating (1-5)"},
    )
    return figure.update_layout(
        title="Average check-in rating by month (months with too few raters left out)",
        template="plotly_white",
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
    )


def _group_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for cycle in report.get("cycles", []):
        for group in cycle.get("by_group", []) or []:
            rows.append({"cycle_id": cycle["cycle_id"], **group})
    return rows


def _group_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    columns = []
    for name in list(rows[0]) if rows else []:
        column: dict[str, Any] = {"field": name, "resizable": True}
        if name == "match_rate":
            column["valueFormatter"] = _PERCENT
        elif name == "mean_rating":
            column["valueFormatter"] = _NUMBER
        columns.append(column)
    return columns


def _coordinator_part(context: Context) -> list[Any]:
    try:
        pairs = context.services.active_pair_options(context.current_user())
    except OrgbridgeError:
        pairs = []
    ratings = [{"label": str(r), "value": r} for r in range(1, 6)]

    def person(label: str, rating_id: str, comment_id: str) -> Any:
        return dbc.Col(
            [
                dbc.Label(label),
                dcc.Dropdown(id=rating_id, options=ratings, placeholder="rating 1-5"),
                dbc.Input(id=comment_id, placeholder="comment (optional)", maxLength=500),
            ],
            md=3,
        )

    return [
        html.H5("Active pairs"),
        html.Div(id=ids.PAIRS_ALERT),
        dbc.Row(
            [
                dbc.Col(
                    dbc.Checklist(
                        id=ids.STALLED_ONLY,
                        options=[{"label": "stalled only", "value": "yes"}],
                        value=[],
                    ),
                    md=2,
                ),
                dbc.Col(
                    dbc.Button("Export stalled (CSV)", id=ids.STALLED_EXPORT, size="sm"),
                    md=3,
                ),
            ]
        ),
        dcc.Download(id=ids.STALLED_DOWNLOAD),
        dag.AgGrid(
            id=ids.STALLED_GRID,
            rowData=[],
            columnDefs=[],
            dashGridOptions={"suppressColumnVirtualisation": True},
            style={"height": "250px"},
        ),
        html.H5("Record a check-in", className="mt-3"),
        dbc.Row(
            [
                dbc.Col(
                    [
                        dbc.Label("Pair"),
                        dcc.Dropdown(id=ids.CHECKIN_MATCH, options=pairs),
                    ],
                    md=4,
                ),
                dbc.Col(
                    [
                        dbc.Label("Date"),
                        dbc.Input(id=ids.CHECKIN_DATE, placeholder="YYYY-MM-DD", maxLength=10),
                    ],
                    md=2,
                ),
                dbc.Col(
                    [
                        dbc.Label("Minutes met"),
                        dbc.Input(id=ids.CHECKIN_MINUTES, type="number", min=1, max=1440),
                    ],
                    md=2,
                ),
                dbc.Col(
                    [
                        dbc.Label("Milestone reached"),
                        dbc.Input(id=ids.CHECKIN_MILESTONE, maxLength=500),
                    ],
                    md=4,
                ),
            ]
        ),
        dbc.Row(
            [
                person("First person", ids.CHECKIN_RATING_A, ids.CHECKIN_COMMENT_A),
                person("Second person", ids.CHECKIN_RATING_B, ids.CHECKIN_COMMENT_B),
            ],
            className="mt-2",
        ),
        dbc.Button("Save check-in", id=ids.CHECKIN_SAVE, color="primary", className="mt-2"),
        html.Div(id=ids.CHECKIN_MESSAGE),
        html.H5("Comments (coordinators only)", className="mt-3"),
        dag.AgGrid(id=ids.COMMENTS_GRID, rowData=[], columnDefs=[], style={"height": "200px"}),
    ]


def health_section(context: Context) -> Any:
    """The section's layout; the person-level part only for roles that see names."""
    try:
        groupings = context.services.group_attributes(context.current_user())
    except OrgbridgeError:
        groupings = []
    return html.Div(
        [
            html.H4("Programme health"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Stalled after (weeks without a meeting)"),
                            dbc.Input(
                                id=ids.HEALTH_STALL_WEEKS, type="number", min=1, max=104, value=6
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Participation by"),
                            dcc.Dropdown(
                                id=ids.HEALTH_GROUP_BY, options=groupings, placeholder="(none)"
                            ),
                        ],
                        md=3,
                    ),
                ]
            ),
            html.Div(id=ids.HEALTH_ALERT),
            dag.AgGrid(
                id=ids.HEALTH_GRID,
                rowData=[],
                columnDefs=_health_columns(),
                dashGridOptions={"suppressColumnVirtualisation": True},
                style={"height": "200px"},
            ),
            dcc.Graph(id=ids.HEALTH_TREND),
            dag.AgGrid(
                id=ids.HEALTH_GROUPS_GRID, rowData=[], columnDefs=[], style={"height": "200px"}
            ),
            html.H4("Impact on the participants' networks", className="mt-3"),
            html.P(
                "Difference in differences against comparable non-participants (same level "
                "band and department), with a bootstrap 95% interval.",
                className="text-muted",
            ),
            html.Div(id=ids.IMPACT_NOTE),
            dag.AgGrid(id=ids.IMPACT_GRID, rowData=[], columnDefs=[], style={"height": "200px"}),
            # always in the layout (so every callback finds its ids), shown only to roles that
            # see names; the services refuse the others on the server anyway
            html.Div(
                _coordinator_part(context),
                style={} if context.user_may("names") else {"display": "none"},
            ),
            html.Hr(),
        ]
    )


def register_health(app: dash.Dash, context: Context) -> None:
    """The section's callbacks (each service call checks the role on the server)."""
    services = context.services

    @app.callback(
        Output(ids.HEALTH_GRID, "rowData"),
        Output(ids.HEALTH_TREND, "figure"),
        Output(ids.HEALTH_GROUPS_GRID, "rowData"),
        Output(ids.HEALTH_GROUPS_GRID, "columnDefs"),
        Output(ids.HEALTH_ALERT, "children"),
        Input(ids.HEALTH_STALL_WEEKS, "value"),
        Input(ids.HEALTH_GROUP_BY, "value"),
        Input(ids.CHECKIN_MESSAGE, "children"),
    )
    @safely(5)
    def update_health(weeks: Any, group_by: Any, _: Any) -> tuple[Any, ...]:
        report = services.programme_health(context.current_user(), weeks or 6, group_by)
        groups = _group_rows(report)
        return health_rows(report), health_figure(report), groups, _group_columns(groups)

    # the impact has its own callback: its bootstrap never holds up the health figures
    @app.callback(
        Output(ids.IMPACT_GRID, "rowData"),
        Output(ids.IMPACT_GRID, "columnDefs"),
        Output(ids.IMPACT_NOTE, "children"),
        Input(ids.HEALTH_STALL_WEEKS, "id"),
    )
    def update_impact(_: Any) -> tuple[Any, ...]:
        try:
            effect = services.programme_impact(context.current_user())
        except OrgbridgeError as error:
            return [], [], alert(error)
        table = effect.get("table", [])
        note = effect.get("note") or ""
        if effect.get("cycle_id"):
            note = f"Cycle {effect['cycle_id']}. {note}".strip()
        columns = [
            {"field": k, "valueFormatter": _NUMBER} if k != "outcome" else {"field": k}
            for k in (list(table[0]) if table else [])
        ]
        return table, columns, html.P(note, className="text-muted")

    @app.callback(
        Output(ids.STALLED_GRID, "rowData"),
        Output(ids.STALLED_GRID, "columnDefs"),
        Output(ids.COMMENTS_GRID, "rowData"),
        Output(ids.COMMENTS_GRID, "columnDefs"),
        Output(ids.PAIRS_ALERT, "children"),
        Input(ids.HEALTH_STALL_WEEKS, "value"),
        Input(ids.STALLED_ONLY, "value"),
        Input(ids.CHECKIN_MESSAGE, "children"),
    )
    @safely(5)
    def update_pairs(weeks: Any, only: Any, _: Any) -> tuple[Any, ...]:
        user = context.current_user()
        stalled_only = isinstance(only, list) and "yes" in only
        pairs = services.pair_activity(user, weeks or 6, stalled_only)
        comments = services.checkin_comments(user)
        return (
            figures.grid_rows(pairs),
            figures.grid_columns(pairs),
            figures.grid_rows(comments),
            figures.grid_columns(comments),
        )

    @app.callback(
        Output(ids.STALLED_DOWNLOAD, "data"),
        Output(ids.PAIRS_ALERT, "children", allow_duplicate=True),
        Input(ids.STALLED_EXPORT, "n_clicks"),
        State(ids.HEALTH_STALL_WEEKS, "value"),
        prevent_initial_call=True,
    )
    @safely(2)
    def export_stalled(_: Any, weeks: Any) -> Any:
        filename, payload = services.export_stalled(context.current_user(), weeks or 6)
        return dcc.send_bytes(payload, filename)  # type: ignore[attr-defined,no-untyped-call]

    @app.callback(
        Output(ids.CHECKIN_MESSAGE, "children"),
        Input(ids.CHECKIN_SAVE, "n_clicks"),
        State(ids.CHECKIN_MATCH, "value"),
        State(ids.CHECKIN_DATE, "value"),
        State(ids.CHECKIN_MINUTES, "value"),
        State(ids.CHECKIN_RATING_A, "value"),
        State(ids.CHECKIN_COMMENT_A, "value"),
        State(ids.CHECKIN_RATING_B, "value"),
        State(ids.CHECKIN_COMMENT_B, "value"),
        State(ids.CHECKIN_MILESTONE, "value"),
        prevent_initial_call=True,
    )
    def save_checkin(
        _: Any,
        match: Any,
        date: Any,
        minutes: Any,
        rating_a: Any,
        comment_a: Any,
        rating_b: Any,
        comment_b: Any,
        milestone: Any,
    ) -> Any:
        try:
            message = services.record_checkin(
                context.current_user(),
                match,
                date=date,
                minutes=minutes,
                ratings={
                    "a": {"rating": rating_a, "comment": comment_a},
                    "b": {"rating": rating_b, "comment": comment_b},
                },
                milestone=milestone,
            )
        except OrgbridgeError as error:
            return alert(error)
        return dbc.Alert(message, color="success", className="mt-2")
