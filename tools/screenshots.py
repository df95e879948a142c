"""Screenshots of every page for every role, on the sample organisation (``make screenshots``).

Ingests ``examples/sample`` into a scratch workspace, starts ``orgbridge app`` on it with the
demo accounts, and drives Debian's headless chromium (selenium, /usr/bin/chromedriver:
nothing is downloaded) through each role's pages, waiting until no Dash request is in flight
before each shot. PNGs go to ``docs/screenshots/<role>-<page>.png``.

Usage: ``python tools/screenshots.py [--out docs/screenshots] [--width 1400]``
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "sample"
PAGES = {
    "executive": ["/", "/silos", "/exposure", "/programme", "/glossary"],
    "analyst": ["/", "/silos", "/exposure", "/programme", "/glossary"],
    "coordinator": ["/", "/silos", "/exposure", "/recommend", "/programme", "/glossary"],
    "admin": ["/", "/silos", "/exposure", "/recommend", "/programme", "/data", "/glossary"],
}
NAMES = {
    "/": "overview",
    "/silos": "silos",
    "/exposure": "exposure",
    "/recommend": "recommend",
    "/programme": "programme",
    "/data": "data",
    "/glossary": "glossary",
}
BUSY = "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"


def _orgbridge(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "orgbridge", *args], check=True, cwd=REPO)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workspace(folder: Path) -> None:
    _orgbridge(
        "ingest", "--workspace", str(folder), "--staff", str(SAMPLE / "staff.csv"),
        "--projects", str(SAMPLE / "projects.csv"), "--pairs", str(SAMPLE / "pairs.csv"),
        "--sponsorships", str(SAMPLE / "sponsorships.csv"), "--map", str(SAMPLE / "mapping.json"),
    )  # fmt: skip


def _driver(width: int) -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},1000", "--hide-scrollbars"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def _settle(driver: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    time.sleep(1.0)
    while time.monotonic() < deadline:
        if driver.execute_script(BUSY) == 0:  # type: ignore[attr-defined]
            time.sleep(1.0)  # let plotly and cytoscape draw
            if driver.execute_script(BUSY) == 0:  # type: ignore[attr-defined]
                return
        time.sleep(0.3)


def _log_in(driver: object, url: str, user: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()  # type: ignore[attr-defined]
    driver.get(f"{url}/login")  # type: ignore[attr-defined]
    _settle(driver)
    driver.find_element(By.ID, "login-user").send_keys(user)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "login-password").send_keys(password)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "login-button").click()  # type: ignore[attr-defined]
    time.sleep(2.0)


def _shoot(driver: object, path: Path, width: int) -> None:
    height = driver.execute_script("return document.body.scrollHeight")  # type: ignore[attr-defined]
    driver.set_window_size(width, min(max(int(height) + 40, 800), 6000))  # type: ignore[attr-defined]
    time.sleep(0.5)
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from orgbridge.app.auth import ensure_demo_users

    with tempfile.TemporaryDirectory(prefix="orgbridge-shots-") as scratch:
        workspace = Path(scratch) / "workspace"
        _workspace(workspace)
        passwords = ensure_demo_users(workspace)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = (Path(scratch) / "app.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "orgbridge", "app", "--workspace", str(workspace),
             "--demo-users", "--port", str(port)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        driver = _driver(args.width)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    time.sleep(0.5)
            for role, pages in PAGES.items():
                _log_in(driver, url, role, passwords[role])
                for page in pages:
                    driver.set_window_size(args.width, 1000)  # type: ignore[attr-defined]
                    driver.get(f"{url}{page}")  # type: ignore[attr-defined]
                    _settle(driver)
                    target = args.out / f"{role}-{NAMES[page]}.png"
                    _shoot(driver, target, args.width)
                    print(f"wrote {target.relative_to(REPO)}")
        finally:
            driver.quit()  # type: ignore[attr-defined]
            server.terminate()
            server.wait(timeout=30)
            log.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
