"""What a user waits for: every app page in headless Chromium, from navigation to settled.

For each organisation size (20,000 people; 100,000 with ``ORGBRIDGE_BENCH_FULL=1`` or
``python -m bench.bench_browser 100000``) the same synthetic organisation
(:func:`bench.bench_app.organisation`) is served twice by ``orgbridge app`` in a fresh
process, in the same run:

- ``baseline``: the old path. The workspace holds no saved metrics, so the app recomputes
  the per-person metrics (constraint, effective size, betweenness, communities) at start;
- ``saved``: ``orgbridge analyze`` ran first, so the app loads them from the store.

Right after each start (the moment the server answers), an analyst and then a coordinator
log in (one fresh browser each) and visit every page of their role twice: ``first`` and
``repeat`` visits. A visit is timed from navigation to settled: the page is complete, no
Dash request is in flight and none starts for 1.6 s (longer than the silos page's status
poll), and no ``._dash-loading`` / ``data-dash-is-loading`` marker is left; the time
recorded is when the last request ended (``performance.now()``, which counts from the
navigation). Requests are counted by wrapping ``window.fetch`` before any page script
runs (Chrome DevTools ``Page.addScriptToEvaluateOnNewDocument``).

Debian's chromium and chromedriver (``/usr/bin``) are used; nothing is downloaded. Goal:
settled under 2 s on a repeat visit and under 4 s on a first visit at 100,000 people.
Writes ``bench/results/browser.json`` with the load average before and after each run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench._common import write_results
from bench.bench_app import organisation

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ROLES = {
    "analyst": ["/", "/silos", "/exposure", "/programme"],
    "coordinator": ["/", "/silos", "/exposure", "/recommend", "/programme"],
}
GOALS = {"first_seconds": 4.0, "repeat_seconds": 2.0}
QUIET_SECONDS = 1.6
TIMEOUT_SECONDS = 180.0

#: Counts Dash's requests in flight; installed before any script of every page.
_HOOK = """
window.__obPending = 0; window.__obLast = 0; window.__obRequests = 0; window.__obTrace = [];
const __obFetch = window.fetch;
window.fetch = function (...args) {
  window.__obPending += 1; window.__obRequests += 1; window.__obLast = performance.now();
  let output = String(args[0]);
  try { output = JSON.parse(args[1].body).output; } catch (e) {}
  const entry = [output, Math.round(performance.now()), null];
  window.__obTrace.push(entry);
  return __obFetch.apply(this, args).finally(() => {
    window.__obPending -= 1; window.__obLast = performance.now();
    entry[2] = Math.round(window.__obLast);
  });
};
"""
_STATE = """
return {
  ready: document.readyState,
  renderer: !!document.querySelector('#react-entry-point') && !!window.dash_clientside,
  pending: window.__obPending === undefined ? -1 : window.__obPending,
  requests: window.__obRequests || 0,
  last: window.__obLast || 0,
  trace: window.__obTrace || [],
  now: performance.now(),
  loading: document.querySelectorAll(
    '._dash-loading, [data-dash-is-loading="true"]').length,
};
"""


def browser() -> Any:
    """A headless Debian chromium driven by Debian's chromedriver (no download)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--window-size=1280,900",
        f"--user-data-dir={tempfile.mkdtemp(prefix='orgbridge-bench-profile-')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _HOOK})
    return driver


def settled(driver: Any) -> dict[str, Any]:
    """Wait until the page settles; its time in seconds from navigation, or a timeout."""
    start = time.monotonic()
    while time.monotonic() - start < TIMEOUT_SECONDS:
        state = driver.execute_script(_STATE)
        idle = (
            state["ready"] == "complete"
            and state["renderer"]
            and state["pending"] == 0
            and state["loading"] == 0
            and state["now"] - state["last"] >= QUIET_SECONDS * 1000
        )
        if idle:
            seconds = (state["last"] or state["now"] - QUIET_SECONDS * 1000) / 1000
            return {
                "seconds": round(seconds, 3),
                "requests": state["requests"],
                # [callback outputs, start ms, end ms] from navigation, for finding the slow one
                "trace": [[str(o)[:80], a, b] for o, a, b in state["trace"]],
            }
        time.sleep(0.05)
    return {"seconds": None, "requests": None, "timeout": TIMEOUT_SECONDS}


def visit(driver: Any, url: str) -> dict[str, Any]:
    driver.get(url)
    return settled(driver)


def log_in(driver: Any, base: str, user: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/login")
    wait = WebDriverWait(driver, 60)
    wait.until(ec.presence_of_element_located((By.ID, "login-user"))).send_keys(user)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-button").click()
    wait.until(lambda d: "/login" not in d.current_url)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(folder: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    """``orgbridge app`` on ``folder``; returns the process and seconds until it answered."""
    start = time.perf_counter()
    command = [sys.executable, "-c", "import sys; from orgbridge.cli import main; sys.exit(main())"]
    process = subprocess.Popen(
        [*command, "app", "--workspace", str(folder), "--port", str(port), "--demo-users"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"orgbridge app exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).close()
            return process, round(time.perf_counter() - start, 3)
        except OSError:
            time.sleep(0.1)


def browse(folder: Path) -> dict[str, Any]:
    """Start the app on ``folder`` and time every page of every role, first and repeat."""
    from orgbridge.app import ensure_demo_users

    passwords = ensure_demo_users(folder)
    port = free_port()
    found: dict[str, Any] = {"load_before": os.getloadavg()}
    process, found["server_start_seconds"] = serve(folder, port)
    base = f"http://127.0.0.1:{port}"
    try:
        for role, pages in ROLES.items():
            driver = browser()
            try:
                log_in(driver, base, role, passwords[role])
                first = {page: visit(driver, base + page) for page in pages}
                repeat = {page: visit(driver, base + page) for page in pages}
            finally:
                driver.quit()
            found[role] = {"first": first, "repeat": repeat}
            print(role, {p: v["seconds"] for p, v in first.items()}, flush=True)
            print(role, {p: v["seconds"] for p, v in repeat.items()}, flush=True)
    finally:
        process.terminate()
        process.wait(30)
    found["load_after"] = os.getloadavg()
    return found


def worst(run: dict[str, Any], kind: str) -> float | None:
    """The slowest page of a run's ``first`` or ``repeat`` visits (None: one timed out)."""
    seconds = [v["seconds"] for role in ROLES for v in run[role][kind].values()]
    return None if None in seconds else max(seconds)


def measure(n_people: int) -> dict[str, Any]:
    """Baseline and saved-metrics runs on one organisation of ``n_people``."""
    from orgbridge.cli import main as cli
    from orgbridge.graph import Workspace

    graph = organisation(n_people)
    out: dict[str, Any] = {"people": n_people, "ties": graph.tie_counts()}
    with tempfile.TemporaryDirectory(prefix="orgbridge-bench-browser-") as scratch:
        folders = {mode: Path(scratch) / mode for mode in ("baseline", "saved")}
        for folder in folders.values():
            with Workspace.open(folder) as ws:
                ws.save_graph(graph, log={"rows_in": n_people, "rows_loaded": n_people})
        start = time.perf_counter()
        assert cli(["analyze", "--workspace", str(folders["saved"])]) == 0
        out["analyze_seconds"] = round(time.perf_counter() - start, 3)
        for mode, folder in folders.items():
            print(f"-- {n_people:,} people, {mode}", flush=True)
            run = browse(folder)
            run["worst_first_seconds"] = worst(run, "first")
            run["worst_repeat_seconds"] = worst(run, "repeat")
            out[mode] = run
    saved, base = out["saved"], out["baseline"]
    for kind in ("first", "repeat"):
        if saved[f"worst_{kind}_seconds"] and base[f"worst_{kind}_seconds"]:
            out[f"worst_{kind}_ratio_baseline_over_saved"] = round(
                base[f"worst_{kind}_seconds"] / saved[f"worst_{kind}_seconds"], 2
            )
        value = saved[f"worst_{kind}_seconds"]
        out[f"goal_{kind}_met"] = value is not None and value < GOALS[f"{kind}_seconds"]
    return out


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [20_000]
    if not argv and os.environ.get("ORGBRIDGE_BENCH_FULL"):
        sizes.append(100_000)
    results: dict[str, Any] = {"goals": GOALS, "quiet_seconds": QUIET_SECONDS, "runs": []}
    for n in sizes:
        results["runs"].append(measure(n))
    write_results("browser" if not argv else "browser_" + "_".join(argv), results)


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
