"""Point dash[testing]'s browser fixtures (``dash_duo``, ``dash_br``) at Debian's chromium.

dash.testing builds its Chrome options from the first result of the ``pytest_setup_options``
hook, adds its own flags on top, and then calls ``webdriver.Chrome(options=...)`` without a
``Service``: selenium therefore starts whichever ``chromedriver`` is first on ``PATH``. We make
that ``/usr/bin/chromedriver`` (the one matching Debian's chromium) so that nothing is ever
downloaded, and we always run headless with a throwaway profile, because we run as root and
without a display.

Run with: ``.venv/bin/python -m pytest tests/e2e -m e2e`` (no ``--webdriver``/``--headless``
needed: ``--webdriver`` defaults to Chrome, and headless is forced here).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from selenium.webdriver.chrome.options import Options

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

_CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1280,900",
)

_scratch = Path(tempfile.mkdtemp(prefix="orgbridge-e2e-"))
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)


def _use_debian_chromedriver() -> None:
    """Make ``chromedriver`` on PATH resolve to /usr/bin/chromedriver, and forbid downloads."""
    # selenium >= 4.6 would otherwise ask Selenium Manager, which may download a driver.
    os.environ["SE_CHROMEDRIVER"] = CHROMEDRIVER
    os.environ["SE_OFFLINE"] = "true"
    os.environ.pop("DASH_TEST_CHROMEPATH", None)  # would override binary_location
    found = shutil.which("chromedriver")
    if found is None or os.path.realpath(found) != os.path.realpath(CHROMEDRIVER):
        bindir = _scratch / "bin"
        bindir.mkdir(exist_ok=True)
        link = bindir / "chromedriver"
        if not link.exists():
            link.symlink_to(CHROMEDRIVER)
        os.environ["PATH"] = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"


_use_debian_chromedriver()


def pytest_setup_options() -> Options:
    """Chrome options for one browser session: Debian's chromium, headless, fresh profile."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        # Fails only the browser tests (in fixture setup), not the whole run.
        pytest.fail(
            f"e2e tests need Debian's chromium and chromium-driver: {', '.join(missing)} "
            "not found (apt-get install chromium chromium-driver)",
            pytrace=False,
        )
    options = Options()
    options.binary_location = CHROMIUM
    for flag in _CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="profile-", dir=_scratch)
    options.add_argument(f"--user-data-dir={profile}")
    return options
