"""Figures that explain themselves, in Debian's chromium: every metric a page shows has a
glossary entry, and executives see no person-level control."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from orgbridge.app.glossary import ENTRIES, lookup
from tests.e2e.test_app_roles import PAGES, log_in, make_workspace, start, visit

pytestmark = pytest.mark.e2e

#: Grid headers that name or describe rather than measure.
DESCRIPTIVE = {
    "Group", "Group A", "Group B", "Person", "Person A", "Person B", "Note", "Kind", "Reason",
    "Decision", "Status", "Start", "End", "Snapshot", "Programme", "Department", "Level",
    "Location", "Division", "Id", "Layer", "", "Cycle", "Match", "Proposed", "Decided",
    "Decided by", "Started", "Ended", "End reason", "Goals", "Email", "Name", "Comment",
    "Date", "Rating", "Sponsor", "Protégé",
}  # fmt: skip


def _descriptive(header: str) -> bool:
    """A header naming who or what a row is (not a metric): "Department A", "Person B: level",
    "Cycle id" are descriptive when their base word is."""
    base = header.split(":")[-1].strip() if ":" in header else header
    base = re.sub(r"\s+(a|b|id)$", "", base, flags=re.IGNORECASE).strip()
    return header in DESCRIPTIVE or base[:1].upper() + base[1:] in DESCRIPTIVE


KEYS = {e.key for e in ENTRIES}

#: What the page shows as metrics: help icons, labelled metrics, card titles, grid headers.
COLLECT = """
const q = s => Array.from(document.querySelectorAll(s));
return {
  icons: q('.ob-help').map(e => e.getAttribute('data-metric')),
  unexplained_labels: q('.ob-metric').filter(e => !e.querySelector('.ob-help'))
                          .map(e => e.innerText),
  cards: q('.card-subtitle').map(e => [e.innerText, !!e.querySelector('.ob-help')]),
  headers: q('.ag-header-cell-text').map(e => e.innerText.trim()),
};
"""


def _settle(dash_duo: Any) -> None:
    from dash.testing.wait import until

    busy = "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"
    until(lambda: dash_duo.driver.execute_script(busy) == 0, timeout=30)


@pytest.mark.parametrize("role", ["executive", "coordinator"])
def test_every_metric_on_every_page_has_a_help_entry(
    dash_duo: Any, tmp_path: Path, role: str
) -> None:
    creds = make_workspace(tmp_path)
    start(dash_duo, tmp_path)
    log_in(dash_duo, role, creds[role])
    problems: list[str] = []
    seen: set[str] = set()
    for path in PAGES[role]:
        if path == "/data":
            continue
        visit(dash_duo, path)
        _settle(dash_duo)
        found = dash_duo.driver.execute_script(COLLECT)
        seen.update(found["icons"])
        problems += [
            f"{path}: help icon for unknown {k!r}" for k in found["icons"] if k not in KEYS
        ]
        problems += [
            f"{path}: metric label without help: {t!r}" for t in found["unexplained_labels"]
        ]
        problems += [f"{path}: card {t!r} has no help icon" for t, has in found["cards"] if not has]
        problems += [
            f"{path}: grid column {h!r} has no glossary entry"
            for h in found["headers"]
            if not _descriptive(h) and lookup(h) is None
        ]
    # the pages' icons cover the headline metrics
    for key in ("ei_index", "ei_baseline", "modularity", "within_2_hops", "equity_gap", "gini"):
        if key not in seen:
            problems.append(f"no page explains {key}")
    assert problems == [], "\n".join(problems)
    # an icon opens the same text as the Glossary page
    visit(dash_duo, "/")
    icon = dash_duo.find_element(".ob-help[data-metric='ei_index']")
    ActionChains(dash_duo.driver).move_to_element(icon).perform()
    dash_duo.wait_for_contains_text(".popover", "Krackhardt and Stern", timeout=10)
    visit(dash_duo, "/glossary")
    dash_duo.wait_for_contains_text("#ei_index", "Krackhardt and Stern", timeout=10)
    assert dash_duo.get_logs() == []


#: Controls that act on people: none may be shown to an executive.
PERSON_CONTROLS = ("#map-person", "#map-group", "#map-steps", "#broker-grid", "#broker-export")
VISIBLE = """
return arguments[0].map(s => Array.from(document.querySelectorAll(s))
  .filter(e => e.offsetParent !== null).length > 0 ? s : null).filter(s => s);
"""


def test_executive_pages_show_no_person_level_control(dash_duo: Any, tmp_path: Path) -> None:
    creds = make_workspace(tmp_path)
    start(dash_duo, tmp_path)
    log_in(dash_duo, "executive", creds["executive"])
    shown = {}
    for path in PAGES["executive"]:
        visit(dash_duo, path)
        _settle(dash_duo)
        shown[path] = dash_duo.driver.execute_script(VISIBLE, list(PERSON_CONTROLS))
        options = dash_duo.driver.execute_script(
            "return Array.from(document.querySelectorAll('#map-view input')).map(e => e.value)"
        )
        # the silo view between groups is group-level for executives (counts, no people)
        assert options in ([], ["groups", "between"]), f"{path}: map views {options}"
    assert all(v == [] for v in shown.values()), shown
    # ... and the analyst, for contrast, does see them (the check can fail)
    dash_duo.driver.delete_all_cookies()
    log_in(dash_duo, "analyst", creds["analyst"])
    visit(dash_duo, "/silos")
    # each map control shows only in the view where it acts: the person search in "ego"
    radio = dash_duo.find_element("#map-view input[value='ego']")
    dash_duo.driver.execute_script("arguments[0].click()", radio)
    from dash.testing.wait import until

    until(
        lambda: "#map-person" in dash_duo.driver.execute_script(VISIBLE, list(PERSON_CONTROLS)),
        timeout=10,
    )
    assert dash_duo.get_logs() == []
