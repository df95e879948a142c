"""Glossary: every metric the app shows, in plain words, with its formula and how to read it."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from orgbridge.app import ids
from orgbridge.app.glossary import ENTRIES
from orgbridge.app.pages._common import Context, denied_layout
from orgbridge.app.pages._help import entry_body


def make_layout(context: Context) -> Any:
    def layout(**_: Any) -> Any:
        blocked = denied_layout(context, "aggregates")
        if blocked is not None:
            return blocked
        cards = [
            dbc.Card(
                dbc.CardBody([html.H5(item.title, className="card-title"), *entry_body(item)]),
                id=item.key,
                className="mb-2",
            )
            for item in sorted(ENTRIES, key=lambda e: e.title.casefold())
        ]
        return html.Div(
            [
                html.H2("Glossary"),
                html.P(
                    "What each figure in orgbridge measures. The ? beside a figure on any "
                    "page shows the same entry.",
                    className="text-muted",
                ),
                html.Div(cards, id=ids.GLOSSARY_LIST),
            ]
        )

    return layout


def register(app: dash.Dash, context: Context) -> None:
    dash.register_page(  # type: ignore[no-untyped-call]
        __name__, path="/glossary", name="Glossary", order=7, layout=make_layout(context)
    )
