"""Silos: group tie matrix, E-I per group, communities, brokers, and the network map."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import Input, Output, State, dcc, html, no_update

from orgbridge.app import figures, ids
from orgbridge.app.pages._common import Context, denied_layout, group_dropdown, safely
from orgbridge.app.pages._help import metric_label
from orgbridge.app.services import GROUP_METRICS, PERSON_METRICS
from orgbridge.disclosure._params import parse_choice
from orgbridge.errors import OrgbridgeError


def map_controls(context: Context, prefix: str = "") -> Any:
    people = context.user_may("people")
    views = [{"label": "Groups", "value": "groups"}]
    if people:
        views += [
            {"label": "People of one group", "value": "group"},
            {"label": "Ego network", "value": "ego"},
        ]
    colour = ["group", *GROUP_METRICS]
    if people:
        colour += [c for c in ("level", "location") if c not in colour] + list(PERSON_METRICS)
    size = ["size", *GROUP_METRICS[1:]]
    if people:
        size += ["degree", "exposure", "groups_tied", "constant"]
    # The group, person and steps controls act only on person-level views: hidden (still in
    # the layout, for the callbacks) from roles that have none.
    person_level = {} if people else {"display": "none"}
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Map"),
                    dbc.RadioItems(id=ids.MAP_VIEW, options=views, value="groups", inline=True),
                ],
                md=3,
            ),
            dbc.Col(
                [dbc.Label("Group"), dcc.Dropdown(id=ids.MAP_GROUP, options=[], value=None)],
                md=2,
                style=person_level,
            ),
            dbc.Col(
                [
                    dbc.Label("Person (search)"),
                    dcc.Dropdown(id=ids.MAP_PERSON, options=[], value=None, disabled=not people),
                ],
                md=2,
                style=person_level,
            ),
            dbc.Col(
                [
                    dbc.Label("Steps"),
                    dcc.Slider(
                        id=ids.MAP_STEPS,
                        min=1,
                        max=3,
                        step=1,
                        value=1,
                        marks={1: "1", 2: "2", 3: "3"},
                    ),
                ],
                md=2,
                style=person_level,
            ),
            dbc.Col(
                [
                    dbc.Label("Colour"),
                    dcc.Dropdown(id=ids.MAP_COLOUR, options=colour, value="group", clearable=False),
                ],
                md=1,
            ),
            dbc.Col(
                [
                    dbc.Label("Size"),
                    dcc.Dropdown(id=ids.MAP_SIZE, options=size, value="size", clearable=False),
                ],
                md=1,
            ),
            dbc.Col(
                [
                    dbc.Button("PNG", id=ids.MAP_PNG, size="sm", className="me-1", n_clicks=0),
                    dbc.Button("SVG", id=ids.MAP_SVG, size="sm", n_clicks=0),
                ],
                md=1,
            ),
            dbc.Col(
                [
                    dbc.Label("Find on the map"),
                    dbc.Input(
                        id=ids.MAP_SEARCH,
                        type="search",
                        debounce=True,
                        placeholder="a group or a person" if people else "a group",
                    ),
                    html.Small(id=ids.MAP_SEARCH_NOTE, className="text-muted"),
                ],
                md=3,
            ),
        ],
        className="mb-2",
    )


def make_layout(context: Context) -> Any:
    def layout(**_: Any) -> Any:
        blocked = denied_layout(context, "aggregates")
        if blocked is not None:
            return blocked
        people = context.user_may("people")
        grid_options = {"rowSelection": {"mode": "singleRow"}}
        # Always in the layout (callbacks need their outputs), hidden and left empty for
        # executives: the broker callback never asks the services for people on their behalf.
        brokers = html.Div(
            [
                html.H4(
                    [
                        "Brokers ",
                        metric_label("betweenness", "betweenness", "brokers"),
                        ", ",
                        metric_label("constraint", "constraint", "brokers"),
                        ", ",
                        metric_label("effective size", "effective_size", "brokers"),
                    ]
                ),
                dbc.Button(
                    "Export CSV", id=ids.BROKER_EXPORT, size="sm", className="mb-1", n_clicks=0
                ),
                dcc.Download(id=ids.BROKER_DOWNLOAD),
                dcc.Loading(
                    dag.AgGrid(
                        id=ids.BROKER_GRID,
                        rowData=[],
                        columnDefs=[],
                        dashGridOptions=grid_options,
                        style={"height": "300px"},
                    ),
                    overlay_style={"visibility": "visible", "opacity": 0.5},
                ),
            ],
            style={} if people else {"display": "none"},
        )
        return html.Div(
            [
                html.H2("Silos"),
                dbc.Row(
                    [
                        dbc.Col(
                            [dbc.Label("Group by"), group_dropdown(ids.SILO_GROUP_BY, context)],
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Label(
                                    [
                                        "Matrix: ",
                                        metric_label("ties", "ties", "matrix"),
                                        " or ",
                                        metric_label("density", "density", "matrix"),
                                    ]
                                ),
                                dbc.RadioItems(
                                    id=ids.SILO_MATRIX_VALUE,
                                    options=["ties", "density"],
                                    value="ties",
                                    inline=True,
                                ),
                            ],
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Order groups by"),
                                dbc.RadioItems(
                                    id=ids.SILO_MATRIX_ORDER,
                                    options=[
                                        {"label": "size", "value": "size"},
                                        {"label": "clustering", "value": "cluster"},
                                        {"label": "name", "value": "name"},
                                    ],
                                    value="size",
                                    inline=True,
                                ),
                            ],
                            md=3,
                        ),
                    ]
                ),
                html.Div(id=ids.SILO_ALERT),
                html.Div(id=ids.SILO_STATUS, className="text-muted"),
                dcc.Interval(id=ids.SILO_STATUS_POLL, interval=1500, n_intervals=0),
                html.Div(id=ids.SILO_SUMMARY, className="mt-2"),
                dbc.Row(
                    [
                        dbc.Col(dcc.Graph(id=ids.SILO_HEATMAP), md=6),
                        dbc.Col(dcc.Graph(id=ids.SILO_EI), md=6),
                    ]
                ),
                html.H4(
                    [
                        "Informal ",
                        metric_label("communities", "communities", "silos"),
                        " against the groups",
                    ]
                ),
                dcc.Loading(html.Div(id=ids.SILO_COMMUNITIES)),
                brokers,
                html.H4(metric_label("Single points of bridging", "bridging", "silos")),
                dag.AgGrid(
                    id=ids.BRIDGING_GRID, rowData=[], columnDefs=[], style={"height": "250px"}
                ),
                html.H4("Network map", className="mt-3"),
                map_controls(context),
                html.Div(id=ids.MAP_NOTE, className="text-muted"),
                html.Div(id=ids.MAP_LEGEND),
                cyto.Cytoscape(
                    id=ids.MAP,
                    elements=[],
                    layout={"name": "preset"},
                    style={"width": "100%", "height": "600px"},
                    minZoom=0.05,
                    maxZoom=4,
                ),
            ]
        )

    return layout


def _legend(view: Any) -> Any:
    return html.Div(
        [
            html.Span(
                [
                    html.Span(
                        style={
                            "display": "inline-block",
                            "width": "12px",
                            "height": "12px",
                            "background": colour,
                            "marginRight": "4px",
                        }
                    ),
                    text,
                ],
                className="me-3",
            )
            for colour, text in figures.legend_items(view)
        ]
    )


def status_text(status: dict[str, Any]) -> tuple[str, bool]:
    """The precompute banner and whether to stop polling.

    Example
    -------
    >>> status_text({"running": True, "done": 3, "total": 12, "step": "constraint", "error": None})
    ('Computing the standard analysis… 3 of 12 done (now: constraint)', False)
    >>> status_text({"running": False, "done": 12, "total": 12, "step": None, "error": None})
    ('', True)
    """
    if status.get("running"):
        step = f" (now: {status['step']})" if status.get("step") else ""
        return (
            f"Computing the standard analysis… {status.get('done', 0)} of "
            f"{status.get('total', 0)} done{step}",
            False,
        )
    error = status.get("error")
    return (f"Part of the analysis could not be computed: {error}" if error else ""), True


def communities_block(found: dict[str, Any], group_by: str) -> Any:
    """The communities section: a sentence and the community x group crosstab."""
    if "error" in found:
        return html.P(found["error"])
    return html.Div(
        [
            html.P(
                [
                    f"{found['count']:,} communities; agreement with {group_by}: ",
                    metric_label("NMI", "nmi", "communities"),
                    f" {figures.format_value(found['nmi'], 'plain')}, ",
                    metric_label("ARI", "ari", "communities"),
                    f" {figures.format_value(found['ari'], 'plain')}",
                ]
            ),
            dcc.Graph(
                figure=figures.matrix_figure(
                    found["crosstab"],
                    title="People per community and group",
                    axis_title=group_by.replace("_", " ").capitalize(),
                    row_title="Community",
                )
            ),
        ]
    )


def register(app: dash.Dash, context: Context) -> None:
    dash.register_page(__name__, path="/silos", name="Silos", order=1, layout=make_layout(context))  # type: ignore[no-untyped-call]
    services = context.services

    @app.callback(
        Output(ids.SILO_STATUS, "children"),
        Output(ids.SILO_STATUS_POLL, "disabled"),
        Input(ids.SILO_STATUS_POLL, "n_intervals"),
    )
    def precompute_status(_: int) -> tuple[Any, bool]:
        return status_text(services.precompute_status())

    @app.callback(
        Output(ids.SILO_HEATMAP, "figure"),
        Output(ids.SILO_EI, "figure"),
        Output(ids.SILO_SUMMARY, "children"),
        Output(ids.BRIDGING_GRID, "rowData"),
        Output(ids.BRIDGING_GRID, "columnDefs"),
        Output(ids.SILO_ALERT, "children"),
        Input(ids.SILO_GROUP_BY, "value"),
        Input(ids.SILO_MATRIX_VALUE, "value"),
        Input(ids.SILO_MATRIX_ORDER, "value"),
    )
    @safely(6)
    def update_silos(group_by: str | None, value: Any, order: Any = "size") -> tuple[Any, ...]:
        user = context.current_user()
        value = parse_choice(value, ("ties", "density"), what="matrix")
        order = parse_choice(order, ("size", "cluster", "name"), what="order")
        result = services.silos(user, group_by)
        bridging = services.bridging(user, group_by)
        matrix = result["counts"] if value == "ties" else result["density"]
        sizes = result["ei"].set_index("group")["size"] if "size" in result["ei"] else None
        heatmap = figures.matrix_figure(
            matrix,
            title=f"Ties between groups ({value})",
            suppressed=result["suppressed"],
            order=figures.matrix_order(result["density"], by=order, sizes=sizes),
            axis_title=str(result["group_by"]).replace("_", " ").capitalize(),
        )
        summary = [
            metric_label("Whole-network E-I", "ei_index", "summary"),
            f" {figures.format_value(result['ei_index'], 'signed')} (",
            metric_label("random mixing", "ei_baseline", "summary"),
            f" {figures.format_value(result['ei_baseline'], 'signed')}); ",
            metric_label("modularity", "modularity", "summary"),
            f" {figures.format_value(result['modularity'], 'plain')}",
        ]
        return (
            heatmap,
            figures.ei_figure(result["ei"]),
            summary,
            figures.grid_rows(bridging),
            figures.grid_columns(bridging),
        )

    @app.callback(
        Output(ids.SILO_COMMUNITIES, "children"),
        Output(ids.SILO_ALERT, "children", allow_duplicate=True),
        Input(ids.SILO_GROUP_BY, "value"),
        prevent_initial_call="initial_duplicate",
    )
    @safely(2)
    def update_communities(group_by: str | None) -> Any:
        found = services.communities(context.current_user(), group_by)
        return communities_block(found, group_by or "department")

    @app.callback(
        Output(ids.BROKER_GRID, "rowData"),
        Output(ids.BROKER_GRID, "columnDefs"),
        Output(ids.SILO_ALERT, "children", allow_duplicate=True),
        Input(ids.SILO_GROUP_BY, "value"),
        prevent_initial_call="initial_duplicate",
    )
    @safely(3)
    def update_brokers(group_by: str | None) -> tuple[Any, ...]:
        if not context.user_may("people"):
            return [], []
        table = services.brokers(context.current_user(), group_by)
        return figures.grid_rows(table), figures.grid_columns(table)

    # exported by the server, through the disclosure policy (no cell can start a formula)
    @app.callback(
        Output(ids.BROKER_DOWNLOAD, "data"),
        Output(ids.SILO_ALERT, "children", allow_duplicate=True),
        Input(ids.BROKER_EXPORT, "n_clicks"),
        State(ids.SILO_GROUP_BY, "value"),
        prevent_initial_call=True,
    )
    @safely(2)
    def export_brokers(_: int, group_by: Any) -> Any:
        filename, payload = services.export_brokers(context.current_user(), group_by)
        return dcc.send_bytes(payload, filename)  # type: ignore[attr-defined,no-untyped-call]

    @app.callback(
        Output(ids.MAP_GROUP, "options"),
        Output(ids.MAP_GROUP, "value"),
        Input(ids.SILO_GROUP_BY, "value"),
    )
    def group_options(group_by: str | None) -> tuple[Any, Any]:
        try:
            values = services.group_values(context.current_user(), group_by)
        except OrgbridgeError:
            return [], None
        return values, (values[0] if values else None)

    @app.callback(
        Output(ids.MAP_PERSON, "options"),
        Input(ids.MAP_PERSON, "search_value"),
        State(ids.MAP_PERSON, "value"),
    )
    def person_options(search: str | None, current: str | None) -> Any:
        if not context.user_may("people"):
            return []
        try:
            options = services.people_options(context.current_user(), search or "")
        except OrgbridgeError:
            return no_update
        if current and all(o["value"] != current for o in options):
            options = [{"label": current, "value": current}, *options]
        return options

    @app.callback(
        Output(ids.MAP, "elements"),
        Output(ids.MAP, "stylesheet"),
        Output(ids.MAP_NOTE, "children"),
        Output(ids.MAP_LEGEND, "children"),
        Output(ids.SILO_ALERT, "children", allow_duplicate=True),
        Input(ids.MAP_VIEW, "value"),
        Input(ids.SILO_GROUP_BY, "value"),
        Input(ids.MAP_GROUP, "value"),
        Input(ids.MAP_PERSON, "value"),
        Input(ids.MAP_STEPS, "value"),
        Input(ids.MAP_COLOUR, "value"),
        Input(ids.MAP_SIZE, "value"),
        prevent_initial_call="initial_duplicate",
    )
    @safely(5)
    def update_map(
        view: str,
        group_by: str | None,
        group: str | None,
        person: str | None,
        steps: int,
        colour: str,
        size: str,
    ) -> tuple[Any, ...]:
        if view == "ego" and not person:
            return [], no_update, "choose a person to draw their ego network", no_update
        shown = services.network(
            context.current_user(),
            view=view,
            group_by=group_by,
            group=group,
            person=person,
            steps=steps or 1,
            colour_by=colour,
            size_by=size,
        )
        return (
            figures.cytoscape_elements(shown),
            figures.cytoscape_stylesheet(shown),
            shown.note or f"{shown.shown:,} nodes",
            _legend(shown),
        )

    @app.callback(
        Output(ids.MAP, "stylesheet", allow_duplicate=True),
        Output(ids.MAP_SEARCH_NOTE, "children"),
        Input(ids.MAP_SEARCH, "value"),
        Input(ids.MAP, "elements"),
        State(ids.MAP, "stylesheet"),
        prevent_initial_call=True,
    )
    def search_map(
        query: str | None, elements: list[dict[str, Any]] | None, stylesheet: Any
    ) -> tuple[Any, str]:
        try:
            found = services.map_search(context.current_user(), elements, query)
        except OrgbridgeError as error:
            return no_update, str(error)
        return figures.highlight_stylesheet(stylesheet, found["matches"]), found["note"]

    @app.callback(
        Output(ids.MAP, "generateImage"),
        Input(ids.MAP_PNG, "n_clicks"),
        Input(ids.MAP_SVG, "n_clicks"),
        prevent_initial_call=True,
    )
    def export_map(_png: int, _svg: int) -> dict[str, Any]:
        kind = "svg" if dash.ctx.triggered_id == ids.MAP_SVG else "png"
        return {"type": kind, "action": "download", "filename": "orgbridge-map"}
