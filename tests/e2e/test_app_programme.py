"""Programme operations in the browser: approve, undo, start a cycle, record a check-in, see
the pair on the Matches page and in the health figures; an executive sees aggregates only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dash.testing.wait import until

from tests.app.org import person_strings, small_org
from tests.e2e.test_app_roles import log_in, make_workspace, start

pytestmark = pytest.mark.e2e

TITLES = {"/recommend": "Recommend", "/matches": "Matches", "/programme": "Programme"}


def visit(dash_duo: Any, path: str) -> None:
    dash_duo.driver.get(f"{dash_duo.server_url}{path}")
    dash_duo.wait_for_text_to_equal("h2", TITLES[path], timeout=15)
    loading = "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"
    until(lambda: dash_duo.driver.execute_script(loading) == 0, timeout=30)


def cell(grid: str, row: int, column: str) -> str:
    return f"#{grid} .ag-row[row-index='{row}'] [col-id='{column}']"


def near(dash_duo: Any, selector: str) -> Any:
    """The element, scrolled to the middle of the window (the form is below the figures)."""
    element = dash_duo.find_element(selector)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    return element


def test_approve_undo_start_check_in_and_health(dash_duo: Any, tmp_path: Path) -> None:
    creds = make_workspace(tmp_path)
    bodies: list[str] = []
    start(dash_duo, tmp_path, bodies)
    log_in(dash_duo, "coordinator", creds["coordinator"])
    visit(dash_duo, "/recommend")
    dash_duo.find_element("#rec-run").click()
    dash_duo.wait_for_element("#rec-grid .ag-row[row-index='0']", timeout=60)
    dash_duo.wait_for_text_to_equal(cell("rec-grid", 0, "status"), "proposed", timeout=15)
    box = "#rec-grid .ag-row[row-index='0'] .ag-selection-checkbox input"
    dash_duo.find_element(box).click()
    dash_duo.find_element("#rec-approve").click()
    dash_duo.wait_for_contains_text("#rec-decision-message", "approve: 1 proposal", timeout=15)
    dash_duo.wait_for_text_to_equal(cell("rec-grid", 0, "status"), "approved", timeout=15)
    # the selection is cleared after the decision
    assert not dash_duo.find_element(box).is_selected()
    dash_duo.find_element("#rec-undo").click()
    dash_duo.wait_for_contains_text("#rec-decision-message", "proposed again", timeout=15)
    dash_duo.wait_for_text_to_equal(cell("rec-grid", 0, "status"), "proposed", timeout=15)
    person_a = dash_duo.find_element(cell("rec-grid", 0, "person_a")).text
    dash_duo.find_element(box).click()
    dash_duo.find_element("#rec-approve").click()
    dash_duo.wait_for_contains_text("#rec-decision-message", "approve: 1 proposal", timeout=15)
    dash_duo.wait_for_text_to_equal(cell("rec-grid", 0, "status"), "approved", timeout=15)

    visit(dash_duo, "/matches")
    dash_duo.wait_for_text_to_equal(cell("matches-grid", 0, "status"), "approved", timeout=15)
    dash_duo.find_element("#matches-start").click()
    dash_duo.wait_for_contains_text("#matches-message", "Started cycle", timeout=15)
    dash_duo.wait_for_text_to_equal(cell("matches-grid", 0, "status"), "active", timeout=15)
    names = {
        dash_duo.find_element(cell("matches-grid", 0, "name_a")).text,
        dash_duo.find_element(cell("matches-grid", 0, "name_b")).text,
    }
    assert person_a in names

    dash_duo.driver.set_window_size(1280, 3200)  # the whole Programme page in view
    visit(dash_duo, "/programme")
    dash_duo.wait_for_text_to_equal(cell("health-grid", 0, "pairs_started"), "1", timeout=20)
    near(dash_duo, "#checkin-match")
    dash_duo.select_dcc_dropdown("#checkin-match", index=0)
    near(dash_duo, "#checkin-date").send_keys(str(pd.Timestamp.now().date()))
    dash_duo.find_element("#checkin-minutes").send_keys("45")
    near(dash_duo, "#checkin-rating-a")
    dash_duo.select_dcc_dropdown("#checkin-rating-a", index=4)
    near(dash_duo, "#checkin-comment-a").send_keys("useful first meeting")
    near(dash_duo, "#checkin-save").click()
    dash_duo.wait_for_contains_text("#checkin-message", "recorded for", timeout=15)
    dash_duo.wait_for_contains_text("#comments-grid", "useful first meeting", timeout=15)
    dash_duo.wait_for_element(cell("stalled-grid", 0, "weeks_since"), timeout=15)
    assert dash_duo.find_element(cell("stalled-grid", 0, "weeks_since")).text == "0"
    assert dash_duo.get_logs() == []

    # an executive: the health figures, never a name, comment or pair
    dash_duo.driver.delete_all_cookies()
    bodies.clear()
    log_in(dash_duo, "executive", creds["executive"])
    visit(dash_duo, "/programme")
    dash_duo.wait_for_text_to_equal(cell("health-grid", 0, "pairs_started"), "1", timeout=20)
    dash_duo.driver.get(f"{dash_duo.server_url}/matches")
    dash_duo.wait_for_contains_text(".alert", "may not open this page", timeout=10)
    leaked = [s for s in person_strings(small_org()) if any(s in body for body in bodies)]
    assert bodies and leaked == [], f"an executive received {leaked[:5]}"
    assert not any("useful first meeting" in body for body in bodies)
    assert dash_duo.get_logs() == []
