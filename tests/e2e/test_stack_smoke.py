"""Smoke test of the UI stack: Dash + dbc + dash-cytoscape + dash-ag-grid in Debian's chromium."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
import pytest
from dash import Dash, Input, Output, html

pytestmark = pytest.mark.e2e

PEOPLE = [
    {"person_id": "P1", "name": "Ada", "unit": "Research"},
    {"person_id": "P2", "name": "Ben", "unit": "Research"},
    {"person_id": "P3", "name": "Cleo", "unit": "Sales"},
]
TIES = [("P1", "P2"), ("P2", "P3")]


def _smoke_app() -> Dash:
    # No dbc.themes.BOOTSTRAP here: it is a CDN URL, unreachable offline, and the failed load
    # would be a SEVERE console entry. The real app must serve Bootstrap's CSS from its assets/.
    app = Dash(__name__)
    elements = [
        {"data": {"id": p["person_id"], "label": p["name"]}, "position": {"x": 100 * i, "y": 50}}
        for i, p in enumerate(PEOPLE)
    ] + [{"data": {"source": s, "target": t}} for s, t in TIES]
    app.layout = dbc.Container(
        [
            dbc.Row(
                dbc.Col(
                    cyto.Cytoscape(
                        id="graph",
                        elements=elements,
                        layout={"name": "preset"},
                        style={"width": "600px", "height": "300px"},
                    )
                )
            ),
            dbc.Row(
                dbc.Col(
                    dag.AgGrid(
                        id="grid",
                        rowData=PEOPLE,
                        columnDefs=[{"field": f} for f in ("person_id", "name", "unit")],
                        getRowId="params.data.person_id",
                        style={"height": "200px"},
                    )
                )
            ),
            dbc.Button("Go", id="go", n_clicks=0),
            html.Div("not clicked", id="out"),
        ]
    )

    @app.callback(Output("out", "children"), Input("go", "n_clicks"), prevent_initial_call=True)
    def _on_click(n_clicks: int) -> str:
        return f"clicked {n_clicks}"

    return app


# "dev" serves React's development build with dev tools, where prop-type errors reach the console.
@pytest.mark.parametrize("debug", [False, True], ids=["prod", "dev"])
def test_stack_renders_without_console_errors(dash_duo, debug: bool) -> None:
    dash_duo.start_server(_smoke_app(), debug=debug, use_reloader=False, dev_tools_hot_reload=False)

    # cytoscape: the canvas exists, has a size, and cytoscape.js holds our 3 nodes and 2 edges
    canvas = dash_duo.wait_for_element("#graph canvas")
    assert canvas.size["width"] > 0 and canvas.size["height"] > 0
    counts = dash_duo.driver.execute_script(
        "const cy = document.getElementById('graph')._cyreg.cy;"
        "return [cy.nodes().length, cy.edges().length];"
    )
    assert counts == [3, 2]

    # ag-grid: three rows with our data
    dash_duo.wait_for_text_to_equal(".ag-row[row-id='P3'] [col-id='name']", "Cleo")
    rows = dash_duo.find_elements(".ag-center-cols-container .ag-row")
    assert len(rows) == 3

    # callback round trip
    dash_duo.wait_for_text_to_equal("#out", "not clicked")
    dash_duo.find_element("#go").click()
    dash_duo.wait_for_text_to_equal("#out", "clicked 1")

    # JS queries, not find_elements: an empty result would wait out the 2 s implicit wait
    count = "return document.querySelectorAll(arguments[0]).length"
    assert dash_duo.driver.execute_script(count, ".dash-debug-menu__outer") == int(debug)
    assert dash_duo.driver.execute_script(count, ".dash-fe-error__title") == 0, "dev tools error"
    assert dash_duo.get_logs() == []
