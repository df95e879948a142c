"""Overview, the landing page: headline cards that lead to their pages, trends across
snapshots, and the downloadable report."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from orgbridge.app import figures, ids
from orgbridge.app._report_route import REPORT_PATH
from orgbridge.app.pages._common import Context, alert, denied_layout
from orgbridge.app.pages._help import help_icon
from orgbridge.errors import OrgbridgeError

#: Each headline's page and glossary entry.
CARD_TARGETS: dict[str, tuple[str, str, str]] = {
    "ei_index": ("/silos", "Silos", "ei_index"),
    "modularity": ("/silos", "Silos", "modularity"),
    "within_2_hops": ("/exposure", "Exposure", "within_2_hops"),
    "equity_gap": ("/exposure", "Exposure", "equity_gap"),
    "coverage": ("/programme", "Programme", "coverage"),
}


def card(row: dict[str, str]) -> Any:
    """One headline card: its title with a help icon, the value, details, a link."""
    path, page, key = CARD_TARGETS.get(row["key"], ("/", "Overview", "people"))
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.H6(
                        [row["title"], help_icon(key, "card")],
                        className="card-subtitle text-muted ob-metric",
                    ),
                    html.H3(row["value"], className="card-title", id=f"headline-{row['key']}"),
                    html.Small(row["detail"]),
                    html.Div(dcc.Link(f"See {page} →", href=path, className="card-link")),
                ]
            )
        ),
        md=4,
        className="mb-3",
    )


def trends_block(context: Context) -> Any:
    """Small line charts of the headlines across snapshots, or a note when there is one."""
    try:
        trends = context.services.trends(context.current_user())
    except OrgbridgeError as error:
        return alert(error)
    if len(trends) == 0:
        return html.P(
            "Trends appear here once the organisation has been imported more than once.",
            className="text-muted",
        )
    graphs = [
        dbc.Col(dcc.Graph(figure=figures.trend_figure(trends, key)), md=4)
        for key in dict.fromkeys(trends["key"])
    ]
    return dbc.Row(graphs)


def make_layout(context: Context) -> Any:
    def layout(**_: Any) -> Any:
        blocked = denied_layout(context, "aggregates")
        if blocked is not None:
            return blocked
        try:
            overview = context.services.overview(context.current_user())
        except OrgbridgeError as error:
            return html.Div([html.H2("Overview"), html.Div(alert(error), id=ids.OVERVIEW_ALERT)])
        cards = [card(row) for row in figures.headline_rows(overview)]
        notes = [html.P(note, className="text-muted") for note in overview["notes"]]
        return html.Div(
            [
                html.H2("Overview"),
                html.P(
                    [
                        f"{overview['people']:,} people. ",
                        html.A(
                            "Download the report (HTML, aggregates only)",
                            href=REPORT_PATH,
                            id=ids.OVERVIEW_REPORT,
                        ),
                        " · ",
                        dcc.Link("What do these figures mean?", href="/glossary"),
                    ]
                ),
                dbc.Row(cards, id=ids.OVERVIEW_CARDS),
                *notes,
                html.H4("Trends across snapshots"),
                html.Div(trends_block(context), id=ids.OVERVIEW_TRENDS),
                html.Div(id=ids.OVERVIEW_ALERT),
            ]
        )

    return layout


def register(app: dash.Dash, context: Context) -> None:
    dash.register_page(__name__, path="/", name="Overview", order=0, layout=make_layout(context))  # type: ignore[no-untyped-call]
