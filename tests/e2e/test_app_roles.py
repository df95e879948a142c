"""The app in Debian's chromium: every page per role, the map filter, privacy on the wire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import flask
import pytest
from dash.testing.wait import until

from orgbridge.app import create_app, ensure_demo_users
from orgbridge.graph import OrgGraph
from orgbridge.graph._workspace import Workspace
from orgbridge.programme import load_stored
from tests.app.org import person_strings, small_org

pytestmark = pytest.mark.e2e

PAGES = {
    "admin": [
        "/",
        "/silos",
        "/exposure",
        "/recommend",
        "/programme",
        "/matches",
        "/data",
        "/glossary",
    ],
    "analyst": ["/", "/silos", "/exposure", "/programme", "/glossary"],
    "coordinator": [
        "/",
        "/silos",
        "/exposure",
        "/recommend",
        "/programme",
        "/matches",
        "/glossary",
    ],
    "executive": ["/", "/silos", "/exposure", "/programme", "/glossary"],
}
TITLES = {
    "/": "Overview",
    "/silos": "Silos",
    "/exposure": "Exposure to leadership",
    "/recommend": "Recommend",
    "/programme": "Programme",
    "/matches": "Matches",
    "/data": "Data",
    "/glossary": "Glossary",
}


def make_workspace(folder: Path) -> dict[str, str]:
    with Workspace.open(folder) as ws:
        ws.save_graph(small_org(), log={"rows_in": 51, "rows_loaded": 51, "rows_rejected": 0})
    return ensure_demo_users(folder)


def start(dash_duo: Any, folder: Path, bodies: list[str] | None = None) -> Any:
    app = create_app(folder, demo_users=True)
    if bodies is not None:

        @app.server.after_request
        def record(response: flask.Response) -> flask.Response:
            if not response.direct_passthrough and response.mimetype in (
                "application/json",
                "text/html",
            ):
                bodies.append(response.get_data(as_text=True))
            return response

    dash_duo.start_server(app, debug=False, use_reloader=False, dev_tools_hot_reload=False)
    return app


def log_in(dash_duo: Any, user: str, password: str) -> None:
    dash_duo.wait_for_page(f"{dash_duo.server_url}/login")
    dash_duo.find_element("#login-user").send_keys(user)
    dash_duo.find_element("#login-password").send_keys(password)
    dash_duo.find_element("#login-button").click()
    dash_duo.wait_for_text_to_equal("h2", "Overview", timeout=15)


def visit(dash_duo: Any, path: str) -> None:
    dash_duo.driver.get(f"{dash_duo.server_url}{path}")
    dash_duo.wait_for_text_to_equal("h2", TITLES[path], timeout=15)
    # every callback of the page has answered when no component is loading any more
    loading = "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"
    until(lambda: dash_duo.driver.execute_script(loading) == 0, timeout=20)


@pytest.mark.parametrize("role", sorted(PAGES))
def test_every_page_loads_for_each_role(dash_duo: Any, tmp_path: Path, role: str) -> None:
    creds = make_workspace(tmp_path)
    bodies: list[str] = []
    start(dash_duo, tmp_path, bodies)
    log_in(dash_duo, role, creds[role])
    for path in PAGES[role]:
        visit(dash_duo, path)
        alerts = dash_duo.driver.execute_script(
            "return Array.from(document.querySelectorAll('.alert-danger')).map(e => e.innerText)"
        )
        assert alerts == [], f"{role} {path}: {alerts}"
    forbidden = sorted(set(TITLES) - set(PAGES[role]))
    for path in forbidden:
        dash_duo.driver.get(f"{dash_duo.server_url}{path}")
        dash_duo.wait_for_contains_text(".alert", "may not open this page", timeout=10)
    assert dash_duo.get_logs() == []
    if role == "executive":
        graph = small_org()
        leaked = [s for s in person_strings(graph) if any(s in body for body in bodies)]
        assert bodies and leaked == [], f"an executive received {leaked[:5]}"
        assert any("fewer than 5 people" in body for body in bodies)


def test_filter_changes_the_map(dash_duo: Any, tmp_path: Path) -> None:
    creds = make_workspace(tmp_path)
    start(dash_duo, tmp_path)
    log_in(dash_duo, "analyst", creds["analyst"])
    visit(dash_duo, "/silos")
    nodes = "return document.getElementById('map')._cyreg.cy.nodes().map(n => n.id())"
    # five departments; Legal (3 people) is not drawn
    until(lambda: len(dash_duo.driver.execute_script(nodes)) == 4, timeout=10)
    groups = dash_duo.driver.execute_script(nodes)
    assert groups == ["g0", "g1", "g2", "g3"]
    radio = dash_duo.find_elements("#map-view input")[1]  # people of one group
    dash_duo.driver.execute_script("arguments[0].click()", radio)
    until(lambda: dash_duo.driver.execute_script(nodes) != groups, timeout=15)
    people = dash_duo.driver.execute_script(nodes)
    assert len(people) == 12 and all(p.startswith("P-") for p in people)  # pseudonyms
    assert dash_duo.get_logs() == []


def test_recommendation_approval_survives_a_restart(dash_duo: Any, tmp_path: Path) -> None:
    creds = make_workspace(tmp_path)
    app = start(dash_duo, tmp_path)
    log_in(dash_duo, "coordinator", creds["coordinator"])
    visit(dash_duo, "/recommend")
    dash_duo.find_element("#rec-run").click()
    dash_duo.wait_for_element("#rec-grid .ag-row[row-index='0']", timeout=60)
    first = dash_duo.find_element("#rec-grid .ag-row[row-index='0'] .ag-selection-checkbox input")
    first.click()
    dash_duo.find_element("#rec-approve").click()
    dash_duo.wait_for_contains_text("#rec-decision-message", "approve: 1 proposal", timeout=15)
    row_id = dash_duo.find_element("#rec-grid .ag-row[row-index='0']").get_attribute("row-id")
    assert dash_duo.get_logs() == []

    dash_duo.server.stop()
    app.server.config["ORGBRIDGE_SERVICES"].store.close()
    with Workspace.open(tmp_path) as ws:
        matches = load_stored(ws).state.matches
    approved = matches.loc[matches["status"] == "approved", ["a", "b"]].astype(str)
    assert [sorted(p) for p in approved.to_numpy().tolist()] == [sorted(row_id.split("|"))]

    start(dash_duo, tmp_path)
    log_in(dash_duo, "coordinator", creds["coordinator"])
    visit(dash_duo, "/recommend")
    cell = f"#rec-grid .ag-row[row-id='{row_id}'] [col-id='status']"
    dash_duo.wait_for_text_to_equal(cell, "approved", timeout=15)
    assert dash_duo.get_logs() == []


def test_bodies_are_json_or_html() -> None:
    # guards the leak check above: a person string must show up in a JSON body as is
    assert "Name-fin01" in json.dumps({"label": "Name-fin01"})


def test_executive_group_by_offers_no_identifier_or_special_category(
    dash_duo: Any, tmp_path: Path
) -> None:
    graph = small_org()
    people = graph.people.assign(
        gender=["female" if i % 2 else "male" for i in range(graph.n_people)],
        email=[f"{p}@example.org" for p in graph.ids],
    )
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(
            OrgGraph(people, graph.explicit_ties(), special=["gender"]),
            log={"rows_in": 51, "rows_loaded": 51, "rows_rejected": 0},
        )
    creds = ensure_demo_users(tmp_path)
    start(dash_duo, tmp_path)
    log_in(dash_duo, "executive", creds["executive"])
    options = "return Array.from(document.querySelectorAll('[role=option]')).map(e => e.innerText)"
    for path, dropdown in (("/silos", "#silo-group-by"), ("/exposure", "#exposure-group-by")):
        visit(dash_duo, path)
        dash_duo.find_element(dropdown).click()
        until(lambda: len(dash_duo.driver.execute_script(options)) > 0, timeout=10)
        offered = [o.strip() for o in dash_duo.driver.execute_script(options)]
        assert "department" in offered
        forbidden = {"name", "person_id", "manager_id", "email", "gender", "start_date"}
        assert forbidden.isdisjoint(offered), offered
    assert dash_duo.get_logs() == []
