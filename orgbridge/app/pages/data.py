"""Data: upload staff, projects, pairs, sponsorships and Viva files; validate, then confirm."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from orgbridge.app import figures, ids
from orgbridge.app.pages._common import (
    Context,
    alert,
    denied_layout,
    job_id_of,
    job_progress,
    safely,
)
from orgbridge.errors import OrgbridgeError

LABELS = {
    "staff": "Staff (HRIS)",
    "projects": "Project memberships",
    "pairs": "Mentoring pairs",
    "sponsorships": "Sponsorships",
    "viva_p2p": "Viva Insights P2P",
}


def make_layout(context: Context) -> Any:
    def layout(**_: Any) -> Any:
        blocked = denied_layout(context, "data")
        if blocked is not None:
            return blocked
        boxes = [
            dbc.Col(
                dcc.Upload(
                    id=ids.upload(kind),
                    children=html.Div([LABELS[kind], html.Br(), html.Small("drop or click")]),
                    style={"border": "1px dashed #888", "padding": "12px", "textAlign": "center"},
                ),
                md=2,
            )
            for kind in ids.DATA_KINDS
        ]
        options = dbc.Row(
            [
                dbc.Col(
                    [
                        dbc.Label("Column mapping (optional, JSON or CSV)"),
                        dcc.Upload(
                            id=ids.DATA_MAPPING,
                            children=html.Div(
                                ["Mapping file", html.Br(), html.Small("drop or click")]
                            ),
                            style={
                                "border": "1px dashed #888",
                                "padding": "12px",
                                "textAlign": "center",
                            },
                        ),
                    ],
                    md=4,
                ),
                dbc.Col(
                    [
                        dbc.Label("Leader rule (optional, overrides the mapping's)"),
                        dbc.Input(
                            id=ids.DATA_LEADER_RULE,
                            type="text",
                            placeholder="e.g. level>=7",
                        ),
                    ],
                    md=4,
                ),
                dbc.Col(
                    [
                        dbc.Label("Sheet of XLSX files (optional, default the first)"),
                        dbc.Input(id=ids.DATA_SHEET, type="text", placeholder="e.g. Staff"),
                        dbc.Checkbox(
                            id=ids.DATA_ALLOW_SHRINK,
                            label="allow this import to remove people or a whole tie layer",
                            value=False,
                            className="mt-2",
                        ),
                    ],
                    md=4,
                ),
            ],
            className="mb-2",
        )
        return html.Div(
            [
                html.H2("Data"),
                html.P("Upload files, check the validation report, then store them in one step."),
                dbc.Row(boxes, className="mb-2"),
                options,
                html.Div(id=ids.DATA_FILES, className="text-muted"),
                dbc.Button(
                    "Validate",
                    id=ids.DATA_VALIDATE,
                    color="secondary",
                    className="me-2",
                    n_clicks=0,
                ),
                dbc.Button(
                    "Store", id=ids.DATA_CONFIRM, color="primary", disabled=True, n_clicks=0
                ),
                dcc.Store(id=ids.DATA_TOKEN),
                dcc.Store(id=ids.DATA_JOB),
                dcc.Interval(id=ids.DATA_POLL, interval=700, disabled=True),
                html.Div(id=ids.DATA_ALERT),
                html.Div(id=ids.DATA_MESSAGE, className="mt-2"),
                html.Div(id=ids.DATA_REPORT, className="mt-2"),
                html.Hr(),
                html.H4("Settings"),
                dbc.Switch(
                    id=ids.DATA_SPECIAL,
                    label=(
                        "Allow grouping by special categories (gender, ethnicity, ...): "
                        "aggregates over at least 5 people only, never beside a person"
                    ),
                    value=context.services.special_grouping_enabled(context.current_user()),
                ),
                html.Div(id=ids.DATA_SPECIAL_MESSAGE, className="text-muted"),
            ]
        )

    return layout


def register(app: dash.Dash, context: Context) -> None:
    dash.register_page(__name__, path="/data", name="Data", order=5, layout=make_layout(context))  # type: ignore[no-untyped-call]
    services = context.services
    upload_names = [State(ids.upload(kind), "filename") for kind in ids.DATA_KINDS]
    upload_contents = [State(ids.upload(kind), "contents") for kind in ids.DATA_KINDS]

    @app.callback(
        Output(ids.DATA_FILES, "children"),
        [Input(ids.upload(kind), "filename") for kind in ids.DATA_KINDS],
        Input(ids.DATA_MAPPING, "filename"),
    )
    def list_files(*names: str | None) -> str:
        labels = [*(LABELS[k] for k in ids.DATA_KINDS), "Mapping"]
        chosen = [f"{label}: {n}" for label, n in zip(labels, names, strict=True) if n]
        return "; ".join(chosen) or "no file chosen"

    @app.callback(
        Output(ids.DATA_REPORT, "children"),
        Output(ids.DATA_TOKEN, "data"),
        Output(ids.DATA_CONFIRM, "disabled"),
        Output(ids.DATA_ALERT, "children"),
        Input(ids.DATA_VALIDATE, "n_clicks"),
        State(ids.DATA_MAPPING, "filename"),
        State(ids.DATA_MAPPING, "contents"),
        State(ids.DATA_LEADER_RULE, "value"),
        State(ids.DATA_SHEET, "value"),
        State(ids.DATA_ALLOW_SHRINK, "value"),
        *upload_names,
        *upload_contents,
        prevent_initial_call=True,
    )
    @safely(4)
    def validate(
        _: int,
        mapping_name: str | None,
        mapping_contents: str | None,
        leader_rule: str | None,
        sheet: Any,
        allow_shrink: Any,
        *states: Any,
    ) -> tuple[Any, ...]:
        # the files stay encoded until the service has checked the role and their size
        names, contents = states[: len(ids.DATA_KINDS)], states[len(ids.DATA_KINDS) :]
        files = {
            kind: (name, content)
            for kind, name, content in zip(ids.DATA_KINDS, names, contents, strict=True)
            if name and content
        }
        mapping = (mapping_name, mapping_contents) if mapping_name and mapping_contents else None
        checked = services.validate_upload(
            context.current_user(),
            files,
            mapping=mapping,
            leader_rule=leader_rule,
            allow_shrink=allow_shrink,
            sheet=sheet,
        )
        rows = figures.report_rows(checked["report"])
        report = html.Div(
            [
                html.H5("Validation report (nothing stored yet)"),
                html.P(rows["summary"]),
                dag.AgGrid(
                    rowData=rows["files"],
                    columnDefs=[
                        {"field": c}
                        for c in ("file", "kind", "rows_in", "rows_loaded", "rows_rejected")
                    ],
                    style={"height": "160px"},
                    id="data-files-grid",
                ),
                dag.AgGrid(
                    rowData=rows["problems"],
                    columnDefs=[
                        {"field": c} for c in ("severity", "file", "row", "column", "message")
                    ],
                    style={"height": "260px"},
                    id="data-problems-grid",
                ),
            ]
        )
        return report, checked["token"], False

    # Storing is a job on the server bound to the admin who validated the upload: the
    # client holds only the job's id; the page polls it for progress and the outcome.
    @app.callback(
        Output(ids.DATA_MESSAGE, "children"),
        Output(ids.DATA_JOB, "data"),
        Output(ids.DATA_POLL, "disabled"),
        Output(ids.DATA_CONFIRM, "disabled", allow_duplicate=True),
        Output(ids.DATA_ALERT, "children", allow_duplicate=True),
        Input(ids.DATA_CONFIRM, "n_clicks"),
        State(ids.DATA_TOKEN, "data"),
        prevent_initial_call=True,
    )
    @safely(5)
    def confirm(_: int, token: str | None) -> tuple[Any, ...]:
        job = services.start_store_upload(context.current_user(), token or "")
        return "import: queued…", {"job": job}, False, True

    @app.callback(
        Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
        Output(ids.DATA_POLL, "disabled", allow_duplicate=True),
        Output(ids.DATA_ALERT, "children", allow_duplicate=True),
        Input(ids.DATA_POLL, "n_intervals"),
        State(ids.DATA_JOB, "data"),
        prevent_initial_call=True,
    )
    def poll_store(_: int, job: Any) -> tuple[Any, ...]:
        try:
            status = services.upload_status(context.current_user(), job_id_of(job))
            line, result = job_progress(status, what="import")
        except OrgbridgeError as error:
            return "", True, alert(error)
        if result is None:
            return line, False, no_update
        return dbc.Alert(str(result.get("message", "stored")), color="success"), True, None

    @app.callback(
        Output(ids.DATA_SPECIAL_MESSAGE, "children"),
        Output(ids.DATA_ALERT, "children", allow_duplicate=True),
        Input(ids.DATA_SPECIAL, "value"),
        prevent_initial_call=True,
    )
    @safely(2)
    def special_grouping(enabled: Any) -> Any:
        return services.set_special_grouping(context.current_user(), enabled)
