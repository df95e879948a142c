"""Overview: the headline figures with their baselines and change since the previous snapshot."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from orgbridge.app import figures, ids
from orgbridge.app.pages._common import Context, alert, denied_layout
from orgbridge.errors import OrgbridgeError


def make_layout(context: Context) -> Any:
    def layout(**_: Any) -> Any:
        blocked = denied_layout(context, "aggregates")
        if blocked is not None:
            return blocked
        try:
            overview = context.services.overview(context.current_user())
        except OrgbridgeError as error:
            return html.Div([html.H2("Overview"), html.Div(alert(error), id=ids.OVERVIEW_ALERT)])
        cards = [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.H6(row["title"], className="card-subtitle text-muted"),
                            html.H3(
                                row["value"], className="card-title", id=f"headline-{row['key']}"
                            ),
                            html.Small(row["detail"]),
                        ]
                    )
                ),
                md=4,
                className="mb-3",
            )
            for row in figures.headline_rows(overview)
        ]
        notes = [html.P(note, className="text-muted") for note in overview["notes"]]
        return html.Div(
            [
                html.H2("Overview"),
                html.P(f"{overview['people']:,} people"),
                dbc.Row(cards, id=ids.OVERVIEW_CARDS),
                *notes,
                html.Div(id=ids.OVERVIEW_ALERT),
            ]
        )

    return layout


def register(app: dash.Dash, context: Context) -> None:
    dash.register_page(__name__, path="/", name="Overview", order=0, layout=make_layout(context))  # type: ignore[no-untyped-call]
