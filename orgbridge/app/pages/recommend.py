"""Recommend: run the recommender in the background, review, decide, export."""

from __future__ import annotations

import contextlib
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from orgbridge.app import figures, ids
from orgbridge.app._format import column_label, grid_formatter
from orgbridge.app.pages._common import Context, alert, denied_layout, safely
from orgbridge.app.services import OBJECTIVES
from orgbridge.errors import OrgbridgeError

_HEADERS = {
    "pair": ("Person A", "Person B"),
    "sponsorship": ("Sponsor", "Protégé"),
}


def _round(value: Any) -> Any:
    """Two to three significant digits for the grid (None stays None)."""
    if isinstance(value, float):
        return float(f"{value:.3g}")
    return value


def review_rows(table: Any) -> list[dict[str, Any]]:
    """Grid rows of a run's proposals: both people with department and level, the reason,
    the status (proposed, approved, declined...) and the scores rounded.

    Example
    -------
    >>> import pandas as pd
    >>> rows = review_rows(pd.DataFrame({"a": ["x"], "b": ["y"], "a_label": ["Ann"],
    ...     "b_label": ["Bo"], "kind": ["pair"], "score": [0.123456], "reason": ["r"],
    ...     "decision": [""]}))
    >>> rows[0]["person_a"], rows[0]["score"], rows[0]["status"]
    ('Ann', 0.123, 'proposed')
    """
    rows = []
    for base, record in zip(figures.proposal_rows(table), figures.grid_rows(table), strict=True):
        row = {
            "id": base["id"],
            "a": base["a"],
            "b": base["b"],
            "kind": base.get("kind") or "pair",
            "person_a": base["person_a"],
            "department_a": record.get("department_a"),
            "level_a": record.get("level_a"),
            "person_b": base["person_b"],
            "department_b": record.get("department_b"),
            "level_b": record.get("level_b"),
            "reason": base.get("reason"),
            "status": base.get("decision") or "proposed",
            "score": _round(base.get("score")),
        }
        row.update({k: _round(v) for k, v in base.items() if k.startswith("gain_")})
        rows.append(row)
    return rows


def _grid_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kind = str(rows[0].get("kind")) if rows else "pair"
    first, second = _HEADERS.get(kind, _HEADERS["pair"])
    headers = {
        "person_a": first,
        "department_a": f"{first}: department",
        "level_a": f"{first}: level",
        "person_b": second,
        "department_b": f"{second}: department",
        "level_b": f"{second}: level",
        "reason": "Reason",
        "status": "Status",
        "score": "Score",
    }
    fields = list(rows[0]) if rows else list(headers)
    columns = []
    for name in fields:
        if name in ("id", "a", "b", "kind"):
            continue
        column: dict[str, Any] = {
            "field": name,
            "headerName": headers.get(name, column_label(name)),
            "sortable": True,
            "filter": True,
            "resizable": True,
        }
        if name in ("person_a", "person_b"):
            column["pinned"] = "left"
        if name == "score" or name.startswith("gain_"):
            column["valueFormatter"] = grid_formatter("plain")
        if name == "status":
            column["pinned"] = "right"  # always in view
        if name == "reason":
            column["minWidth"] = 400
            column["wrapText"] = True
            column["autoHeight"] = True
        columns.append(column)
    return columns


def make_layout(context: Context) -> Any:
    def layout(**_: Any) -> Any:
        blocked = denied_layout(context, "recommend")
        if blocked is not None:
            return blocked
        user = context.current_user()
        try:
            cohorts = context.services.cohort_options(user)
            rows = review_rows(context.services.review(user))
            message = None
        except OrgbridgeError as error:
            cohorts, rows, message = [], [], dbc.Alert(str(error), color="danger")
        return html.Div(
            [
                html.H2("Recommend"),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label("Kind"),
                                dbc.RadioItems(
                                    id=ids.REC_KIND,
                                    options=[
                                        {"label": "Reciprocal pairs", "value": "pairs"},
                                        {"label": "Sponsorships", "value": "sponsorships"},
                                    ],
                                    value="pairs",
                                ),
                            ],
                            md=2,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Cohort"),
                                dcc.Dropdown(
                                    id=ids.REC_COHORT,
                                    options=cohorts,
                                    value="__all__",
                                    clearable=False,
                                ),
                            ],
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Objective"),
                                dcc.Dropdown(
                                    id=ids.REC_OBJECTIVE,
                                    options=[
                                        {"label": label, "value": value}
                                        for value, (label, _, _) in OBJECTIVES.items()
                                    ],
                                    value="balanced",
                                    clearable=False,
                                ),
                            ],
                            md=2,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("How many"),
                                dbc.Input(
                                    id=ids.REC_COUNT, type="number", min=1, max=500, value=10
                                ),
                            ],
                            md=1,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Max level gap"),
                                dbc.Input(
                                    id=ids.REC_MAX_LEVEL_GAP, type="number", min=0, value=None
                                ),
                            ],
                            md=2,
                        ),
                        dbc.Col(
                            [
                                dbc.Checklist(
                                    id=ids.REC_DIFFERENT_DEPARTMENT,
                                    options=[{"label": "different departments", "value": "yes"}],
                                    value=["yes"],
                                    className="mt-4",
                                )
                            ],
                            md=2,
                        ),
                    ]
                ),
                dbc.Button(
                    "Run", id=ids.REC_RUN, color="primary", className="me-2 mt-2", n_clicks=0
                ),
                dbc.Button(
                    "Cancel",
                    id=ids.REC_CANCEL,
                    color="secondary",
                    className="mt-2",
                    disabled=True,
                    n_clicks=0,
                ),
                dbc.Progress(
                    id=ids.REC_PROGRESS, value=0, className="mt-2", style={"height": "18px"}
                ),
                dcc.Store(id=ids.REC_RESULT),
                dcc.Interval(id=ids.REC_POLL, interval=500, disabled=True),
                html.Div(message, id=ids.REC_ALERT),
                html.Div(
                    [
                        dbc.Button(
                            "Approve",
                            id=ids.REC_APPROVE,
                            color="success",
                            size="sm",
                            className="me-1",
                            n_clicks=0,
                        ),
                        dbc.Button(
                            "Decline",
                            id=ids.REC_DECLINE,
                            color="danger",
                            size="sm",
                            className="me-1",
                            n_clicks=0,
                        ),
                        dbc.Button(
                            "Lock",
                            id=ids.REC_LOCK,
                            color="warning",
                            size="sm",
                            className="me-1",
                            n_clicks=0,
                        ),
                        dbc.Button(
                            "Undo last decision",
                            id=ids.REC_UNDO,
                            color="secondary",
                            size="sm",
                            className="me-3",
                            n_clicks=0,
                        ),
                        dbc.Button(
                            "Export CSV",
                            id=ids.REC_EXPORT_CSV,
                            size="sm",
                            className="me-1",
                            n_clicks=0,
                        ),
                        dbc.Button("Export XLSX", id=ids.REC_EXPORT_XLSX, size="sm", n_clicks=0),
                        dcc.Download(id=ids.REC_DOWNLOAD),
                    ],
                    className="mt-3 mb-1",
                ),
                dbc.Input(
                    id=ids.REC_NOTE,
                    placeholder="note (kept with the decision, e.g. why declined)",
                    maxLength=500,
                    size="sm",
                    className="mb-1",
                    style={"maxWidth": "600px"},
                ),
                html.Div(id=ids.REC_DECISION_MESSAGE),
                dag.AgGrid(
                    id=ids.REC_GRID,
                    rowData=rows,
                    columnDefs=_grid_columns(rows),
                    getRowId="params.data.id",
                    # one checkbox per row (no click selection), cleared after each decision
                    dashGridOptions={
                        "rowSelection": {
                            "mode": "multiRow",
                            "checkboxes": True,
                            "headerCheckbox": True,
                            "enableClickSelection": False,
                        },
                        "suppressColumnVirtualisation": True,
                    },
                    style={"height": "400px"},
                ),
                dcc.Graph(id=ids.REC_BEFORE_AFTER),
            ]
        )

    return layout


def register(app: dash.Dash, context: Context) -> None:
    dash.register_page(  # type: ignore[no-untyped-call]
        __name__, path="/recommend", name="Recommend", order=3, layout=make_layout(context)
    )
    services = context.services

    # A run is a job on the server bound to the user who started it: the client holds only
    # the job's id, and asking about someone else's id answers "unknown".
    @app.callback(
        Output(ids.REC_RESULT, "data"),
        Output(ids.REC_POLL, "disabled"),
        Output(ids.REC_RUN, "disabled"),
        Output(ids.REC_CANCEL, "disabled"),
        Output(ids.REC_ALERT, "children", allow_duplicate=True),
        Input(ids.REC_RUN, "n_clicks"),
        State(ids.REC_KIND, "value"),
        State(ids.REC_COHORT, "value"),
        State(ids.REC_OBJECTIVE, "value"),
        State(ids.REC_COUNT, "value"),
        State(ids.REC_DIFFERENT_DEPARTMENT, "value"),
        State(ids.REC_MAX_LEVEL_GAP, "value"),
        prevent_initial_call=True,
    )
    @safely(5)
    def start_run(
        _: int,
        kind: Any,
        cohort: Any,
        objective: Any,
        count: Any,
        different: Any,
        max_gap: Any,
    ) -> tuple[Any, ...]:
        job = services.start_recommend(
            context.current_user(),
            kind=kind,
            cohort=cohort,
            objective=objective,
            count=count,
            different_department=different,
            max_level_gap=max_gap,
        )
        return {"job": job}, False, True, False

    @app.callback(
        Output(ids.REC_GRID, "rowData"),
        Output(ids.REC_GRID, "columnDefs"),
        Output(ids.REC_BEFORE_AFTER, "figure"),
        Output(ids.REC_PROGRESS, "value"),
        Output(ids.REC_PROGRESS, "label"),
        Output(ids.REC_POLL, "disabled", allow_duplicate=True),
        Output(ids.REC_RUN, "disabled", allow_duplicate=True),
        Output(ids.REC_CANCEL, "disabled", allow_duplicate=True),
        Output(ids.REC_DECISION_MESSAGE, "children", allow_duplicate=True),
        Output(ids.REC_ALERT, "children"),
        Input(ids.REC_POLL, "n_intervals"),
        State(ids.REC_RESULT, "data"),
        prevent_initial_call=True,
    )
    def poll_run(_: int, job: Any) -> tuple[Any, ...]:
        user = context.current_user()
        job_id = job.get("job") if isinstance(job, dict) else None
        stop = (True, False, True)  # polling off, Run on, Cancel off
        try:
            status = services.recommend_status(user, job_id)
            state = status["state"]
            if state == "running":
                total = status.get("total") or 0
                done = int(100 * status.get("done", 0) / total) if total else 5
                stage = str(status.get("stage", ""))
                return (no_update,) * 3 + (done, stage, False, True, False, no_update, None)
            if state == "done":
                result = status["result"]
                rows = review_rows(services.review(user, result["run_id"]))
                figure = figures.before_after_figure(result.get("simulation") or {})
                lines = [*result.get("shortfall", []), *result.get("notes", [])]
                notes = html.Ul([html.Li(str(line)) for line in lines]) if lines else None
                return (rows, _grid_columns(rows), figure, 100, "done", *stop, notes, None)
            message = {
                "cancelled": "the run was cancelled",
                "failed": status.get("error", "the run failed"),
            }.get(state, "no such run (it may have finished long ago): run it again")
            raise OrgbridgeError(str(message))
        except OrgbridgeError as error:
            return (no_update,) * 3 + (0, "", *stop, no_update, alert(error))

    @app.callback(
        Output(ids.REC_CANCEL, "disabled", allow_duplicate=True),
        Input(ids.REC_CANCEL, "n_clicks"),
        State(ids.REC_RESULT, "data"),
        prevent_initial_call=True,
    )
    def cancel_run(_: int, job: Any) -> bool:
        job_id = job.get("job") if isinstance(job, dict) else None
        with contextlib.suppress(OrgbridgeError):
            services.cancel_recommend(context.current_user(), job_id)
        return True

    @app.callback(
        Output(ids.REC_GRID, "rowData", allow_duplicate=True),
        Output(ids.REC_GRID, "selectedRows"),
        Output(ids.REC_NOTE, "value"),
        Output(ids.REC_DECISION_MESSAGE, "children"),
        Output(ids.REC_ALERT, "children", allow_duplicate=True),
        Input(ids.REC_APPROVE, "n_clicks"),
        Input(ids.REC_DECLINE, "n_clicks"),
        Input(ids.REC_LOCK, "n_clicks"),
        Input(ids.REC_UNDO, "n_clicks"),
        State(ids.REC_GRID, "selectedRows"),
        State(ids.REC_NOTE, "value"),
        prevent_initial_call=True,
    )
    @safely(5)
    def decide(_a: Any, _d: Any, _l: Any, _u: Any, selected: Any, note: Any) -> tuple[Any, ...]:
        decision = {ids.REC_APPROVE: "approve", ids.REC_DECLINE: "decline", ids.REC_LOCK: "lock"}
        user = context.current_user()
        if dash.ctx.triggered_id == ids.REC_UNDO:
            message = services.undo_decision(user)
        else:
            # the selected rows come from the client: the services check every pair
            rows = (
                [r for r in selected if isinstance(r, dict)] if isinstance(selected, list) else []
            )
            pairs = [(r.get("a"), r.get("b")) for r in rows]
            kind = rows[0].get("kind") or "pair" if rows else "pair"
            message = services.decide(
                user,
                pairs,
                kind=kind,
                decision=decision.get(str(dash.ctx.triggered_id)),
                note=note,
            )
        return review_rows(services.review(user)), [], "", message

    @app.callback(
        Output(ids.REC_DOWNLOAD, "data"),
        Output(ids.REC_ALERT, "children", allow_duplicate=True),
        Input(ids.REC_EXPORT_CSV, "n_clicks"),
        Input(ids.REC_EXPORT_XLSX, "n_clicks"),
        prevent_initial_call=True,
    )
    @safely(2)
    def export(_csv: int, _xlsx: int) -> Any:
        fmt = "xlsx" if dash.ctx.triggered_id == ids.REC_EXPORT_XLSX else "csv"
        filename, payload = services.export_proposals(context.current_user(), fmt)
        return dcc.send_bytes(payload, filename)  # type: ignore[attr-defined,no-untyped-call]
