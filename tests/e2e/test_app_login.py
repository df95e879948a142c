"""Log-in and log-out in the browser: Enter submits the form, log-out ends the session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.keys import Keys

from tests.e2e.test_app_roles import make_workspace, start

pytestmark = pytest.mark.e2e


def test_enter_logs_in_and_the_logout_button_logs_out(dash_duo: Any, tmp_path: Path) -> None:
    creds = make_workspace(tmp_path)
    start(dash_duo, tmp_path)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/login")
    dash_duo.find_element("#login-user").send_keys("analyst")
    dash_duo.find_element("#login-password").send_keys(creds["analyst"] + Keys.ENTER)
    dash_duo.wait_for_text_to_equal("h2", "Overview", timeout=15)
    dash_duo.wait_for_contains_text("#nav", "analyst (analyst)", timeout=10)

    dash_duo.find_element("#nav button[value='this']").click()
    dash_duo.wait_for_text_to_equal("h2", "Log in", timeout=15)
    dash_duo.driver.get(f"{dash_duo.server_url}/")
    dash_duo.wait_for_contains_text("#_pages_content", "Please log in", timeout=15)
    assert dash_duo.get_logs() == []
