"""Login: username and password checked against the workspace's users file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, dcc, html, no_update

from orgbridge.app import ids
from orgbridge.app.auth import authenticate, session_record
from orgbridge.app.pages._common import Context


def layout(**_: Any) -> Any:
    return dbc.Row(
        dbc.Col(
            [
                html.H2("Log in"),
                dbc.Input(id=ids.LOGIN_USER, placeholder="username", className="mb-2"),
                dbc.Input(
                    id=ids.LOGIN_PASSWORD, type="password", placeholder="password", className="mb-2"
                ),
                dbc.Button("Log in", id=ids.LOGIN_BUTTON, color="primary", n_clicks=0),
                html.Div(id=ids.LOGIN_MESSAGE, className="mt-2"),
                dcc.Location(id=ids.LOGIN_REDIRECT, refresh=True),
            ],
            md=4,
        )
    )


def register(app: dash.Dash, context: Context, users_file: Path) -> None:
    dash.register_page(__name__, path="/login", name="Log in", order=99, layout=layout)  # type: ignore[no-untyped-call]

    @app.callback(
        Output(ids.LOGIN_REDIRECT, "href"),
        Output(ids.LOGIN_MESSAGE, "children"),
        Input(ids.LOGIN_BUTTON, "n_clicks"),
        State(ids.LOGIN_USER, "value"),
        State(ids.LOGIN_PASSWORD, "value"),
        prevent_initial_call=True,
    )
    def log_in(_: int, username: str | None, password: str | None) -> tuple[Any, Any]:
        user = authenticate(users_file, username or "", password or "")
        if user is None:
            return no_update, dbc.Alert("unknown user or wrong password", color="danger")
        flask.session.clear()
        flask.session.update(session_record(user))
        return "/", None
