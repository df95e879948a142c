"""The Data page in the browser: upload, validation report before storing, then store;
and the map search box."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dash.testing.wait import until

from orgbridge.graph._workspace import Workspace
from tests.e2e.test_app_roles import log_in, make_workspace, start, visit

pytestmark = pytest.mark.e2e

STAFF = (
    "Wrk #,Full name,Dept,Boss,Grade\n"
    "x1,X One,Finance,,9\nx2,X Two,Finance,x1,3\nx3,X Three,Finance,x1,8\n"
    "x4,X Four,Finance,x1,2\nx5,X Five,Finance,nobody,2\n,No Id,Finance,x1,2\n"
)
MAPPING = {
    "columns": {
        "Wrk #": "person_id",
        "Full name": "name",
        "Dept": "department",
        "Boss": "manager_id",
        "Grade": "level",
    },
    "leader_rule": "level>=9",
}


def _file_input(dash_duo: Any, box_id: str) -> Any:
    return dash_duo.find_element(f"#{box_id} input[type='file']")


def test_upload_shows_the_report_before_storing(dash_duo: Any, tmp_path: Path) -> None:
    creds = make_workspace(tmp_path / "ws")
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF, encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING), encoding="utf-8")
    app = start(dash_duo, tmp_path / "ws")
    log_in(dash_duo, "admin", creds["admin"])
    visit(dash_duo, "/data")
    _file_input(dash_duo, "data-upload-staff").send_keys(str(staff))
    _file_input(dash_duo, "data-mapping").send_keys(str(mapping))
    dash_duo.wait_for_contains_text("#data-files", "mapping.json", timeout=10)
    dash_duo.find_element("#data-leader-rule").send_keys("level>=8")
    dash_duo.find_element("#data-validate").click()
    # 5 people replacing 51: refused until the admin says the organisation may shrink
    dash_duo.wait_for_contains_text("#data-alert", "people", timeout=20)
    assert services_of(app).store.load_graph().n_people == 51
    dash_duo.find_element("#data-allow-shrink").click()
    dash_duo.find_element("#data-validate").click()
    dash_duo.wait_for_contains_text("#data-report", "nothing stored yet", timeout=20)
    report = dash_duo.find_element("#data-report").text
    assert "6" in report and "rejected" in report
    dash_duo.wait_for_element("#data-problems-grid .ag-row", timeout=10)
    problems = dash_duo.find_element("#data-problems-grid").text
    assert "nobody" in problems
    services = app.server.config["ORGBRIDGE_SERVICES"]
    assert services.store.load_graph().n_people == 51  # nothing stored yet
    dash_duo.find_element("#data-confirm").click()
    dash_duo.wait_for_contains_text("#data-message", "stored: 5 people", timeout=20)
    assert dash_duo.get_logs() == []
    dash_duo.server.stop()
    services.store.close()
    with Workspace.open(tmp_path / "ws") as ws:
        leaders = ws.load_graph().people.set_index("person_id")["is_leader"]
    assert sorted(leaders.index) == ["x1", "x2", "x3", "x4", "x5"]
    assert bool(leaders["x1"]) and bool(leaders["x3"]) and not bool(leaders["x2"])


def test_an_analyst_runs_the_analysis(dash_duo: Any, tmp_path: Path) -> None:
    """The Silos page's "Run the analysis": a job whose progress the page polls, which
    saves the per-person metrics the pages then reuse."""
    creds = make_workspace(tmp_path / "ws")
    app = start(dash_duo, tmp_path / "ws")
    log_in(dash_duo, "analyst", creds["analyst"])
    visit(dash_duo, "/silos")
    dash_duo.wait_for_element("#analysis-run", timeout=20).click()
    dash_duo.wait_for_contains_text("#analysis-status", "analysis saved: 51 people", timeout=60)
    assert services_of(app).store.metrics_about("analysis")["data"]
    assert dash_duo.get_logs() == []


def services_of(app: Any) -> Any:
    return app.server.config["ORGBRIDGE_SERVICES"]


def _highlighted(dash_duo: Any) -> list[str]:
    script = (
        "return document.getElementById('map')._cyreg.cy.nodes()"
        ".filter(n => n.style('border-width') === '6px').map(n => n.id())"
    )
    found: list[str] = dash_duo.driver.execute_script(script)
    return found


@pytest.mark.parametrize("role", ["executive", "coordinator"])
def test_map_search_highlights_a_match(dash_duo: Any, tmp_path: Path, role: str) -> None:
    creds = make_workspace(tmp_path)
    start(dash_duo, tmp_path)
    log_in(dash_duo, role, creds[role])
    visit(dash_duo, "/silos")
    nodes = "return document.getElementById('map')._cyreg.cy.nodes().length"
    # five departments, Legal (3 people) not drawn: its name would say who is in it
    until(lambda: dash_duo.driver.execute_script(nodes) == 4, timeout=10)
    box = dash_duo.find_element("#map-search")
    box.send_keys("sales\n")
    until(lambda: len(_highlighted(dash_duo)) == 1, timeout=10)
    label = dash_duo.driver.execute_script(
        "return document.getElementById('map')._cyreg.cy.getElementById(arguments[0])"
        ".data('label')",
        _highlighted(dash_duo)[0],
    )
    assert label == "Sales"
    dash_duo.wait_for_contains_text("#map-search-note", "1 match", timeout=10)
    assert dash_duo.get_logs() == []
