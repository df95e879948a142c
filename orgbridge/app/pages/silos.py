"""Silos: group tie matrix, E-I per group, communities, brokers, and the network map."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
from dash import Input, Output, State, dcc, html, no_update

from orgbridge.app import figures, ids
from orgbridge.app._legend import map_legend
from orgbridge.app._services_map import MAX_CHOSEN
from orgbridge.app.pages._common import (
    Context,
    alert,
    denied_layout,
    group_dropdown,
    job_id_of,
    job_progress,
    safely,
)
from orgbridge.app.pages._help import metric_label
from orgbridge.app.services import GROUP_METRICS, PERSON_METRICS
from orgbridge.disclosure._params import parse_choice
from orgbridge.errors import OrgbridgeError


def map_controls(
    context: Context, restored: dict[str, Any] | None = None, group_by: Any = None
) -> Any:
    """The map's controls; each shown only in the map views where it acts (see
    :func:`shown_controls`), the person search only to roles that may see people.
    ``restored``: control values from a saved view (already parsed for this user);
    ``group_by``: the page's grouping, whose groups the group choosers offer."""
    people = context.user_may("people")
    start = restored or {}
    group_options, group, compare_options, compared = group_choices(
        context, group_by, start.get("group"), start.get("groups")
    )
    person = start.get("person")
    views = [{"label": "Groups", "value": "groups"}]
    if people:
        views += [
            {"label": "People of one group", "value": "group"},
            {"label": "Ego network", "value": "ego"},
        ]
    views.append({"label": "Silo between groups", "value": "between"})
    colour = ["group", *GROUP_METRICS]
    if people:
        colour += [c for c in ("level", "location") if c not in colour] + list(PERSON_METRICS)
    size = ["size", *GROUP_METRICS[1:]]
    if people:
        size += ["degree", "exposure", "groups_tied", "constant"]
    view = start.get("view", "groups")
    first_people = person_options(context, "", person) if view == "ego" else []
    first_people = first_people if isinstance(first_people, list) else []
    hidden = shown_controls(view, people)
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Map"),
                    dbc.RadioItems(id=ids.MAP_VIEW, options=views, value=view, inline=True),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label("Group"),
                    dcc.Dropdown(id=ids.MAP_GROUP, options=group_options, value=group),
                ],
                md=2,
                id=ids.MAP_GROUP_COL,
                style=hidden[0],
            ),
            dbc.Col(
                [
                    dbc.Label("Groups to compare"),
                    dcc.Dropdown(
                        id=ids.MAP_GROUPS, options=compare_options, value=compared, multi=True
                    ),
                ],
                md=3,
                id=ids.MAP_GROUPS_COL,
                style=hidden[1],
            ),
            dbc.Col(
                [
                    dbc.Label("Person (search)"),
                    dcc.Dropdown(
                        id=ids.MAP_PERSON,
                        options=first_people,
                        value=person,
                        disabled=not people,
                    ),
                ],
                md=2,
                id=ids.MAP_PERSON_COL,
                style=hidden[2],
            ),
            dbc.Col(
                [
                    dbc.Label("Steps"),
                    dcc.Slider(
                        id=ids.MAP_STEPS,
                        min=1,
                        max=3,
                        step=1,
                        value=start.get("steps", 1),
                        marks={1: "1", 2: "2", 3: "3"},
                    ),
                ],
                md=2,
                id=ids.MAP_STEPS_COL,
                style=hidden[3],
            ),
            dbc.Col(
                [
                    dbc.Label("Hide ties weaker than (% of the strongest)"),
                    dcc.Slider(
                        id=ids.MAP_MIN_SHARE,
                        min=0,
                        max=100,
                        step=5,
                        value=start.get("min_share", 0),
                        marks={0: "0", 25: "25", 50: "50", 75: "75", 100: "100"},
                    ),
                ],
                md=3,
                id=ids.MAP_MIN_SHARE_COL,
                style=hidden[4],
            ),
            dbc.Col(
                [
                    dbc.Label("Colour"),
                    dcc.Dropdown(
                        id=ids.MAP_COLOUR,
                        options=colour,
                        value=start.get("colour", "group"),
                        clearable=False,
                    ),
                ],
                md=1,
            ),
            dbc.Col(
                [
                    dbc.Label("Size"),
                    dcc.Dropdown(
                        id=ids.MAP_SIZE,
                        options=size,
                        value=start.get("size", "size"),
                        clearable=False,
                    ),
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


#: Which map views each control acts in: group, groups to compare, person, steps, weak ties.
_ACTS_IN = (("group",), ("between",), ("ego",), ("ego",), ("groups",))


def shown_controls(view: Any, people: bool) -> list[dict[str, str]]:
    """Styles of the view-dependent controls: shown where they act, hidden elsewhere.

    Example
    -------
    >>> [s.get("display") for s in shown_controls("ego", True)]
    ['none', 'none', None, None, 'none']
    >>> [s.get("display") for s in shown_controls("ego", False)]
    ['none', 'none', 'none', 'none', 'none']
    """
    person_controls = (0, 2, 3)
    return [
        {} if view in acts and (people or i not in person_controls) else {"display": "none"}
        for i, acts in enumerate(_ACTS_IN)
    ]


def group_choices(
    context: Context, group_by: Any, current: Any, chosen: Any
) -> tuple[list[str], str | None, list[str], list[str]]:
    """The map's group options and values for ``group_by``: ``(one-group options, its value,
    compare options, compared groups)``. A value the client sends back is kept only when it
    is one of the offered options; people-level choices only for roles that see people.
    """
    user = context.current_user()
    try:
        choosable = context.services.silo_groups(user, group_by)
    except OrgbridgeError:
        choosable = []
    kept = [g for g in chosen if g in choosable] if isinstance(chosen, list) else []
    kept = list(dict.fromkeys(kept))[:MAX_CHOSEN]
    if len(kept) < 2:
        kept = choosable[:2]
    values: list[str] = []
    if context.user_may("people"):
        try:
            values = context.services.group_values(user, group_by)
        except OrgbridgeError:
            values = []
    group = current if isinstance(current, str) and current in values else None
    return values, group or (values[0] if values else None), choosable, kept


def person_options(context: Context, search: Any, current: Any) -> Any:
    """The person chooser's options for ``search`` (the first people when empty), with the
    current choice kept; none for roles that do not see people."""
    if not context.user_may("people"):
        return []
    try:
        options = context.services.people_options(
            context.current_user(), search if isinstance(search, str) else ""
        )
    except OrgbridgeError:
        return no_update
    if isinstance(current, str) and all(o["value"] != current for o in options):
        options = [{"label": current, "value": current}, *options]
    return options


def map_section(
    context: Context, restored: dict[str, Any] | None = None, group_by: Any = None
) -> Any:
    """The network map (for the page's grouping ``group_by``): controls, notes, legends,
    the map with its side panel, the silo tables and the saved-view box."""
    grid_style = {"height": "220px"}
    return html.Div(
        [
            html.H4("Network map", className="mt-3"),
            map_controls(context, restored, group_by),
            html.Div(id=ids.MAP_NOTE, className="text-muted"),
            html.Div(id=ids.MAP_LEGEND),
            dbc.Row(
                [
                    dbc.Col(
                        cyto.Cytoscape(
                            id=ids.MAP,
                            elements=[],
                            layout={"name": "preset"},
                            style={"width": "100%", "height": "600px"},
                            minZoom=0.05,
                            maxZoom=4,
                        ),
                        md=9,
                    ),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                html.Div(
                                    "Click a group or a person to see what it is.",
                                    id=ids.MAP_PANEL,
                                )
                            )
                        ),
                        md=3,
                    ),
                ]
            ),
            html.Div(
                [
                    html.H5("Between the chosen groups", className="mt-2"),
                    dag.AgGrid(id=ids.MAP_PAIRS_GRID, rowData=[], columnDefs=[], style=grid_style),
                    html.H5("People who connect them", className="mt-2")
                    if context.user_may("people")
                    else None,
                    dag.AgGrid(
                        id=ids.MAP_BRIDGE_GRID,
                        rowData=[],
                        columnDefs=[],
                        style=grid_style if context.user_may("people") else {"display": "none"},
                    ),
                ],
                id=ids.MAP_SILO,
                style={} if (restored or {}).get("view") == "between" else {"display": "none"},
            ),
            saved_view_box(restored),
        ]
    )


def saved_view_box(restored: dict[str, Any] | None) -> Any:
    """Save the page as it is (grouping and map) under a name, and get a link to share."""
    return dbc.Row(
        [
            dbc.Col(
                dbc.InputGroup(
                    [
                        dbc.Input(id=ids.VIEW_NAME, placeholder="name this view", maxLength=60),
                        dbc.Button("Save view", id=ids.VIEW_SAVE, n_clicks=0),
                    ],
                    size="sm",
                ),
                md=4,
            ),
            dbc.Col(html.Div(id=ids.VIEW_LINK), md=5),
            dbc.Col(
                html.Small(
                    f"Restored the saved view {restored['name']!r}" if restored else "",
                    id=ids.VIEW_RESTORED,
                    className="text-muted",
                ),
                md=3,
            ),
        ],
        className="mt-3",
    )


def make_layout(context: Context) -> Any:
    def layout(view: Any = None, **_: Any) -> Any:
        blocked = denied_layout(context, "aggregates")
        if blocked is not None:
            return blocked
        people = context.user_may("people")
        restored, problem = restore(context, view)
        grid_options = {"rowSelection": {"mode": "singleRow"}}
        status, settled = status_text(context.services.precompute_status())
        grouping = group_dropdown(
            ids.SILO_GROUP_BY, context, (restored or {}).get("group_by", "department")
        )
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
                problem,
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label("Group by"),
                                grouping,
                            ],
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
                                    value=(restored or {}).get("matrix", "ties"),
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
                html.Div(status, id=ids.SILO_STATUS, className="text-muted"),
                dcc.Interval(
                    id=ids.SILO_STATUS_POLL, interval=1500, n_intervals=0, disabled=settled
                ),
                analysis_section(context),
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
                map_section(context, restored, grouping.value),
            ]
        )

    return layout


def analysis_section(context: Context) -> Any:
    """The "Run the analysis" action (what ``orgbridge analyze`` computes and saves), for
    the roles that may; nothing for the others."""
    if not context.user_may("analyze"):
        return None
    return html.Div(
        [
            dbc.Button(
                "Run the analysis", id=ids.ANALYSIS_RUN, color="secondary", size="sm", n_clicks=0
            ),
            html.Small(
                " computes and saves the per-person metrics, which every page then reuses",
                className="text-muted",
            ),
            html.Div(id=ids.ANALYSIS_STATUS, className="text-muted"),
            dcc.Store(id=ids.ANALYSIS_JOB),
            dcc.Interval(id=ids.ANALYSIS_POLL, interval=1000, disabled=True),
            html.Div(id=ids.ANALYSIS_ALERT),
        ],
        className="my-2",
    )


def restore(context: Context, view: Any) -> tuple[dict[str, Any] | None, Any]:
    """A saved view's settings for this user from a link's ``?view=`` (None without one),
    and an alert when the link does not lead to a view."""
    if view is None:
        return None, None
    try:
        return context.services.restore_view(context.current_user(), view), None
    except OrgbridgeError as error:
        return None, alert(error)


def _swatch(background: str, width: str = "12px") -> Any:
    return html.Span(
        style={
            "display": "inline-block",
            "width": width,
            "height": "12px",
            "background": background,
            "marginRight": "4px",
            "verticalAlign": "middle",
        }
    )


def _legend(view: Any) -> Any:
    """The map's colour legend (categories, or a continuous ramp with ticks) and size scale."""
    found = map_legend(view)
    colour = found["colour"]
    if colour["kind"] == "categories":
        colour_part: list[Any] = [
            html.Span([_swatch(c), text], className="me-3") for c, text in colour["items"]
        ]
    elif colour["kind"] == "ramp":
        ticks = colour["ticks"]
        colour_part = [
            html.Span(f"{colour['title']}: ", className="me-1"),
            html.Span(ticks[0], className="me-1"),
            _swatch(colour["gradient"], "160px"),
            html.Span(ticks[-1], className="me-3"),
            html.Small(f"(ticks: {', '.join(ticks)})", className="text-muted me-3"),
        ]
    else:
        colour_part = [html.Span(colour["title"], className="me-3")]
    size_part: list[Any] = []
    if found["size"] is not None:
        size_part = [html.Span(f"size: {found['size']['title']} ", className="ms-2 me-1")]
        for text, diameter in found["size"]["circles"]:
            size_part.append(
                html.Span(
                    [
                        html.Span(
                            style={
                                "display": "inline-block",
                                "width": f"{diameter:.0f}px",
                                "height": f"{diameter:.0f}px",
                                "borderRadius": "50%",
                                "border": "1px solid #666",
                                "verticalAlign": "middle",
                                "marginRight": "3px",
                            }
                        ),
                        text,
                    ],
                    className="me-2",
                )
            )
    return html.Div([*colour_part, *size_part], className="mb-1")


def mark_ego(elements: list[dict[str, Any]], centre: str) -> list[dict[str, Any]]:
    """Flag the ego network's centre (drawn as a large star by :func:`ego_rules`).

    Example
    -------
    >>> mark_ego([{"data": {"id": "a", "label": "A"}}], "a")[0]["data"]["ego"]
    1
    """
    for element in elements:
        data = element.get("data", {})
        if data.get("id") == centre and "source" not in data:
            data["ego"] = 1
    return elements


EGO_RULE = {
    "selector": "node[?ego]",
    "style": {
        "shape": "star",
        "width": 44,
        "height": 44,
        "border-width": 3,
        "border-color": "#000",
        "font-weight": "bold",
    },
}


def panel_body(details: dict[str, Any]) -> Any:
    """The side panel's content: a title and a two-column table."""
    return html.Div(
        [
            html.H5(details["title"], id="map-panel-title"),
            dbc.Table(
                html.Tbody(
                    [html.Tr([html.Th(str(k)), html.Td(str(v))]) for k, v in details["rows"]]
                ),
                size="sm",
                className="mb-0",
            ),
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
    >>> status_text({"running": False, "error": None, "saved": "as of 2026-03-31"})
    ('Per-person metrics from the saved analysis as of 2026-03-31.', True)
    """
    if status.get("running"):
        step = f" (now: {status['step']})" if status.get("step") else ""
        return (
            f"Computing the standard analysis… {status.get('done', 0)} of "
            f"{status.get('total', 0)} done{step}",
            False,
        )
    error = status.get("error")
    if error:
        return f"Part of the analysis could not be computed: {error}", True
    saved = status.get("saved")
    return (f"Per-person metrics from the saved analysis {saved}." if saved else ""), True


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
        prevent_initial_call=True,  # the layout says it first; polled only while running
    )
    def precompute_status(_: int) -> tuple[Any, bool]:
        return status_text(services.precompute_status())

    # The analysis is a job on the server bound to the user who started it (one at a time
    # per app folder); the client holds only its id.
    @app.callback(
        Output(ids.ANALYSIS_JOB, "data"),
        Output(ids.ANALYSIS_POLL, "disabled"),
        Output(ids.ANALYSIS_RUN, "disabled"),
        Output(ids.ANALYSIS_STATUS, "children"),
        Output(ids.ANALYSIS_ALERT, "children"),
        Input(ids.ANALYSIS_RUN, "n_clicks"),
        prevent_initial_call=True,
    )
    @safely(5)
    def start_analysis(_: int) -> tuple[Any, ...]:
        job = services.start_analysis(context.current_user())
        return {"job": job}, False, True, "analysis: queued…"

    @app.callback(
        Output(ids.ANALYSIS_STATUS, "children", allow_duplicate=True),
        Output(ids.ANALYSIS_POLL, "disabled", allow_duplicate=True),
        Output(ids.ANALYSIS_RUN, "disabled", allow_duplicate=True),
        Output(ids.ANALYSIS_ALERT, "children", allow_duplicate=True),
        Input(ids.ANALYSIS_POLL, "n_intervals"),
        State(ids.ANALYSIS_JOB, "data"),
        prevent_initial_call=True,
    )
    def poll_analysis(_: int, job: Any) -> tuple[Any, ...]:
        try:
            status = services.analysis_status(context.current_user(), job_id_of(job))
            line, result = job_progress(status, what="analysis")
        except OrgbridgeError as error:
            return "", True, False, alert(error)
        if result is None:
            return line, False, True, no_update
        return str(result.get("message", "analysis saved")), True, False, None

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
        Output(ids.MAP_GROUPS, "options"),
        Output(ids.MAP_GROUPS, "value"),
        Input(ids.SILO_GROUP_BY, "value"),
        State(ids.MAP_GROUP, "value"),
        State(ids.MAP_GROUPS, "value"),
        prevent_initial_call=True,  # the layout fills them in (no request chain on load)
    )
    def group_options(group_by: Any, current: Any, chosen: Any) -> tuple[Any, ...]:
        return group_choices(context, group_by, current, chosen)

    @app.callback(
        Output(ids.MAP_GROUP_COL, "style"),
        Output(ids.MAP_GROUPS_COL, "style"),
        Output(ids.MAP_PERSON_COL, "style"),
        Output(ids.MAP_STEPS_COL, "style"),
        Output(ids.MAP_MIN_SHARE_COL, "style"),
        Output(ids.MAP_SILO, "style"),
        Input(ids.MAP_VIEW, "value"),
        prevent_initial_call=True,  # the layout shows the right ones
    )
    def controls_for_view(view: Any) -> tuple[Any, ...]:
        styles = shown_controls(view, context.user_may("people"))
        return (*styles, {} if view == "between" else {"display": "none"})

    @app.callback(
        Output(ids.MAP_PERSON, "options"),
        Input(ids.MAP_PERSON, "search_value"),
        Input(ids.MAP_VIEW, "value"),
        State(ids.MAP_PERSON, "value"),
        prevent_initial_call=True,  # the layout fills them when it opens on the ego view
    )
    def update_person_options(search: Any, view: Any, current: Any) -> Any:
        if view != "ego":
            return no_update
        return person_options(context, search, current)

    @app.callback(
        Output(ids.MAP, "elements"),
        Output(ids.MAP, "stylesheet"),
        Output(ids.MAP_NOTE, "children"),
        Output(ids.MAP_LEGEND, "children"),
        Output(ids.MAP_PAIRS_GRID, "rowData"),
        Output(ids.MAP_PAIRS_GRID, "columnDefs"),
        Output(ids.MAP_BRIDGE_GRID, "rowData"),
        Output(ids.MAP_BRIDGE_GRID, "columnDefs"),
        Output(ids.MAP_SEARCH_NOTE, "children", allow_duplicate=True),
        Output(ids.SILO_ALERT, "children", allow_duplicate=True),
        Input(ids.MAP_VIEW, "value"),
        Input(ids.SILO_GROUP_BY, "value"),
        Input(ids.MAP_GROUP, "value"),
        Input(ids.MAP_GROUPS, "value"),
        Input(ids.MAP_PERSON, "value"),
        Input(ids.MAP_STEPS, "value"),
        Input(ids.MAP_MIN_SHARE, "value"),
        Input(ids.MAP_COLOUR, "value"),
        Input(ids.MAP_SIZE, "value"),
        State(ids.MAP_SEARCH, "value"),
        prevent_initial_call="initial_duplicate",
    )
    @safely(10)
    def update_map(
        view: Any,
        group_by: Any,
        group: Any,
        groups: Any,
        person: Any,
        steps: Any,
        min_share: Any,
        colour: Any,
        size: Any,
        query: Any = None,
    ) -> tuple[Any, ...]:
        user = context.current_user()
        empty: tuple[Any, ...] = ([], [], [], [])
        if view == "ego" and not person:
            return (
                [],
                no_update,
                "choose a person to draw their ego network",
                no_update,
                *empty,
                no_update,
            )
        if view == "between":
            found = services.silo_between(user, group_by=group_by, groups=groups)
            shown = found["view"]
            people = found.get("people")
            tables: tuple[Any, ...] = (
                figures.grid_rows(found["pairs"]),
                figures.grid_columns(found["pairs"]),
                figures.grid_rows(people) if people is not None else [],
                figures.grid_columns(people) if people is not None else [],
            )
            note = shown.note or (
                f"{shown.total:,} people connect the chosen groups"
                if people is not None
                else "the chosen groups and the ties between them (people are not shown to "
                "your role)"
            )
        else:
            shown = services.network(
                user,
                view=view,
                group_by=group_by,
                group=group,
                person=person,
                steps=steps or 1,
                colour_by=colour,
                size_by=size,
                min_share=min_share if view == "groups" else 0,
            )
            tables = empty
            note = shown.note or f"{shown.shown:,} nodes"
            if shown.note and shown.level == "person":
                note = f"Sampled: {shown.note}"
        elements = figures.cytoscape_elements(shown)
        stylesheet = figures.cytoscape_stylesheet(shown)
        if view == "ego" and len(shown.nodes):
            elements = mark_ego(elements, str(shown.nodes["id"].iloc[0]))
            stylesheet = [*stylesheet, EGO_RULE]
        search_note: Any = no_update
        if query:  # a search typed before the map changed stays highlighted
            try:
                found = services.map_search(user, elements, query)
            except OrgbridgeError as error:
                search_note = str(error)
            else:
                stylesheet = figures.highlight_stylesheet(stylesheet, found["matches"])
                search_note = found["note"]
        return (elements, stylesheet, note, _legend(shown), *tables, search_note)

    @app.callback(
        Output(ids.MAP_PANEL, "children"),
        Input(ids.MAP, "tapNodeData"),
        State(ids.MAP_VIEW, "value"),
        State(ids.SILO_GROUP_BY, "value"),
        prevent_initial_call=True,
    )
    def node_panel(node: Any, view: Any, group_by: Any) -> Any:
        node_id = node.get("id") if isinstance(node, dict) else None
        try:
            details = services.map_node(
                context.current_user(), view=view, group_by=group_by, node=node_id
            )
        except OrgbridgeError as error:
            return alert(error)
        return panel_body(details)

    @app.callback(
        Output(ids.VIEW_LINK, "children"),
        Input(ids.VIEW_SAVE, "n_clicks"),
        State(ids.VIEW_NAME, "value"),
        State(ids.SILO_GROUP_BY, "value"),
        State(ids.MAP_VIEW, "value"),
        State(ids.MAP_GROUP, "value"),
        State(ids.MAP_GROUPS, "value"),
        State(ids.MAP_PERSON, "value"),
        State(ids.MAP_STEPS, "value"),
        State(ids.MAP_MIN_SHARE, "value"),
        State(ids.MAP_COLOUR, "value"),
        State(ids.MAP_SIZE, "value"),
        State(ids.SILO_MATRIX_VALUE, "value"),
        prevent_initial_call=True,
    )
    def save_view(_: Any, name: Any, *values: Any) -> Any:
        keys = ("group_by", "view", "group", "groups", "person", "steps", "min_share")
        state = dict(zip((*keys, "colour", "size", "matrix"), values, strict=True))
        # only what the chosen map view uses is saved (a hidden control's value is not)
        if state.get("view") != "group":
            state.pop("group", None)
        if state.get("view") != "between":
            state.pop("groups", None)
        if state.get("view") != "ego":
            state.pop("person", None)
            state.pop("steps", None)
        if state.get("view") != "groups":
            state.pop("min_share", None)
        state = {k: v for k, v in state.items() if v is not None}
        try:
            view_id = services.save_view(context.current_user(), name, state)
        except OrgbridgeError as error:
            return alert(error)
        href = f"/silos?view={view_id}"
        return html.Span(["Saved: ", html.A(href, href=href, id="view-saved-link")])

    @app.callback(
        Output(ids.MAP, "stylesheet", allow_duplicate=True),
        Output(ids.MAP_SEARCH_NOTE, "children"),
        Input(ids.MAP_SEARCH, "value"),
        State(ids.MAP, "elements"),
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
