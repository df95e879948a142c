"""The map in Debian's chromium: the silo between two groups, the side panel, saved views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dash.testing.wait import until

from orgbridge.graph import INFORMAL_LAYERS
from orgbridge.graph._workspace import Workspace
from tests.e2e.test_app_roles import log_in, make_workspace, start, visit

pytestmark = pytest.mark.e2e

NODES = "return document.getElementById('map')._cyreg.cy.nodes().map(n => n.id())"
CELLS = (
    "return Array.from(document.querySelectorAll('#map-bridge-grid .ag-center-cols-container "
    '.ag-row [col-id="person"]\')).map(e => e.textContent.trim())'
)


def stored_bridges(folder: Path, chosen: list[str]) -> set[str]:
    """Names of the people of ``chosen`` departments with an informal tie to another chosen
    department, from the ties as stored (pandas, independent of the app's code)."""
    with Workspace.open(folder) as ws:
        graph = ws.load_graph()
    people = graph.people[["person_id", "name", "department"]].astype(str)
    ties = graph.ties.loc[graph.ties["layer"].isin(INFORMAL_LAYERS), ["source", "target"]]
    ids = graph.ids.astype(str).to_numpy()
    ends = pd.DataFrame({"a": ids[ties["source"]], "b": ids[ties["target"]]})
    both = pd.concat([ends, ends.rename(columns={"a": "b", "b": "a"})], ignore_index=True)
    dept = people.set_index("person_id")["department"]
    both["da"], both["db"] = both["a"].map(dept), both["b"].map(dept)
    across = both[both["da"].isin(chosen) & both["db"].isin(chosen) & (both["da"] != both["db"])]
    names = people.set_index("person_id")["name"]
    return set(names.loc[across["a"].unique()])


def choose_view(dash_duo: Any, value: str) -> None:
    radio = dash_duo.find_element(f"#map-view input[value='{value}']")
    dash_duo.driver.execute_script("arguments[0].click()", radio)


def test_silo_between_two_groups_lists_exactly_the_bridges(dash_duo: Any, tmp_path: Path) -> None:
    creds = make_workspace(tmp_path)
    start(dash_duo, tmp_path)
    log_in(dash_duo, "coordinator", creds["coordinator"])
    visit(dash_duo, "/silos")
    until(lambda: len(dash_duo.driver.execute_script(NODES)) == 4, timeout=15)
    # the group dropdown acts only on "people of one group": hidden on the group map
    assert not dash_duo.find_element("#map-group-col").is_displayed()
    choose_view(dash_duo, "between")
    dash_duo.wait_for_contains_text("#map-groups", "Finance", timeout=15)
    chosen = ["Finance", "Operations"]  # the first two groups the map may compare
    expected = stored_bridges(tmp_path, chosen)
    assert expected, "the fixture should have people bridging Finance and Operations"
    until(lambda: set(dash_duo.driver.execute_script(CELLS)) == expected, timeout=20)
    assert sorted(dash_duo.driver.execute_script(CELLS)) == sorted(expected)
    drawn = {f"Name-{n}" for n in dash_duo.driver.execute_script(NODES)}
    assert drawn == expected
    # clicking a person opens the side panel with their metrics
    first = sorted(dash_duo.driver.execute_script(NODES))[0]
    dash_duo.driver.execute_script(
        f"document.getElementById('map')._cyreg.cy.getElementById('{first}').emit('tap')"
    )
    dash_duo.wait_for_text_to_equal("#map-panel-title", f"Name-{first}", timeout=15)
    dash_duo.wait_for_contains_text("#map-panel", "exposure to leadership", timeout=5)
    assert dash_duo.get_logs() == []


def test_a_saved_view_restores_after_reload_in_a_new_session(dash_duo: Any, tmp_path: Path) -> None:
    creds = make_workspace(tmp_path)
    start(dash_duo, tmp_path)
    log_in(dash_duo, "analyst", creds["analyst"])
    visit(dash_duo, "/silos")
    choose_view(dash_duo, "between")
    dash_duo.wait_for_contains_text("#map-groups", "Operations", timeout=15)
    until(lambda: len(dash_duo.driver.execute_script(CELLS)) > 0, timeout=20)
    dash_duo.find_element("#view-name").send_keys("Finance and Operations")
    save = dash_duo.find_element("#view-save")
    dash_duo.driver.execute_script("arguments[0].click()", save)
    link = dash_duo.wait_for_element("#view-saved-link", timeout=15).get_attribute("href")
    assert "/silos?view=" in link

    dash_duo.driver.delete_all_cookies()  # a new session, and another user of another role
    log_in(dash_duo, "executive", creds["executive"])
    dash_duo.driver.get(link)
    dash_duo.wait_for_text_to_equal("h2", "Silos", timeout=15)
    dash_duo.wait_for_contains_text(
        "#view-restored", "Restored the saved view 'Finance and Operations'", timeout=15
    )
    checked = "return document.querySelector('#map-view input:checked').value"
    assert dash_duo.driver.execute_script(checked) == "between"
    labels = "return document.getElementById('map')._cyreg.cy.nodes().map(n => n.data('label'))"
    until(
        lambda: sorted(dash_duo.driver.execute_script(labels)) == ["Finance", "Operations"],
        timeout=20,
    )
    # an executive gets the group-level counts, never the people
    dash_duo.wait_for_element("#map-pairs-grid .ag-row", timeout=15)
    assert dash_duo.driver.execute_script(CELLS) == []
    assert dash_duo.get_logs() == []


def test_the_ego_person_is_marked(dash_duo: Any, tmp_path: Path) -> None:
    creds = make_workspace(tmp_path)
    start(dash_duo, tmp_path)
    log_in(dash_duo, "coordinator", creds["coordinator"])
    visit(dash_duo, "/silos")
    choose_view(dash_duo, "ego")
    assert dash_duo.find_element("#map-person-col").is_displayed()
    assert not dash_duo.find_element("#map-min-share-col").is_displayed()
    # the dropdown opens a menu of the first people (its own search narrows them down)
    dash_duo.driver.execute_script("arguments[0].click()", dash_duo.find_element("#map-person"))
    pick = (
        "const o = Array.from(document.querySelectorAll('.dash-dropdown-options "
        ".dash-dropdown-option')).find(e => e.textContent.trim() === 'Name-fin03');"
        "if (o) { o.click(); return true; } return false;"
    )
    until(lambda: dash_duo.driver.execute_script(pick), timeout=15)
    marked = (
        "return document.getElementById('map')._cyreg.cy.nodes('[?ego]')"
        ".map(n => [n.id(), n.style('shape')])"
    )
    until(lambda: dash_duo.driver.execute_script(marked) == [["fin03", "star"]], timeout=20)
    assert dash_duo.get_logs() == []
