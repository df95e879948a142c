"""Several app processes and a queue worker on one real Neo4j server and one real Redis.

Two apps serve one store with one app folder: app A is ``orgbridge app --workers 2``
(gunicorn, two processes behind one port), app B is ``orgbridge app`` (one process,
waitress); both send recommender runs, imports and analyses to ``orgbridge worker`` through
Redis. Users log in over HTTP to each; a run started through A is read through B by its
owner and by nobody else, a decision made through B is seen through A, and ``orgbridge
ingest`` from the command line meanwhile changes the organisation, which both apps and the
worker serve without a restart. An upload validated and stored through A's Data page is
stored by the worker and served by B; the analysis started through B runs in the worker and
A's processes then use its saved per-person metrics. A thread keeps requesting pages of both
apps throughout: every response must be a success (200, or 204 for "no update").

Never skipped: without the servers the test fails saying how to start them
(``make neo4j-start`` and ``make redis-start``, with ORGBRIDGE_NEO4J_PORT and
ORGBRIDGE_REDIS_PORT when they are not the default ports).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest
import requests

from orgbridge.app import ids
from orgbridge.app.auth import USERS_FILE, add_user
from tests.app import hostile
from tests.app.hostile import Client, free_port
from tests.neo4j_support import connect, credentials, empty_database

pytestmark = pytest.mark.neo4j

REPO = Path(__file__).resolve().parents[2]
NEW_DEPARTMENT = "Scale Test Unit"
UPLOADED_DEPARTMENT = "Upload Test Unit"
USERS = {
    "kim": ("K1m-scale-9a1f", "coordinator"),
    "lee": ("L33-scale-2c7e", "coordinator"),
    "ada": ("Ad4-scale-5d3b", "admin"),
    "ann": ("Ann-scale-7e1c", "analyst"),
}


def redis_url() -> str:
    """The test Redis (database 1 of ``make redis-start``'s server), or a failure saying how
    to start it."""
    port = int(os.environ.get("ORGBRIDGE_REDIS_PORT", "6379"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            answered = conn.recv(16).startswith(b"+PONG")
    except OSError:
        answered = False
    if not answered:
        pytest.fail(
            f"the multi-process test needs Redis on 127.0.0.1:{port}: run `make redis-start` "
            "(ORGBRIDGE_REDIS_PORT=<port> for another port; `make system-deps` installs "
            "Debian's redis-server)",
            pytrace=False,
        )
    return f"redis://127.0.0.1:{port}/1"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "orgbridge", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"orgbridge {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done


class Process:
    """A long-running ``python -m orgbridge ...`` with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orgbridge", *args],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def alive(self) -> None:
        assert self.process.poll() is None, f"{self.name} exited:\n{self.log()}"

    def stop(self) -> None:
        if self.process.poll() is None:
            children = psutil.Process(self.process.pid).children(recursive=True)
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            for child in children:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        self._log.close()


def wait_for_app(url: str, process: Process, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.alive()
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/_dash-layout", timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    raise AssertionError(f"{process.name} did not answer within {timeout:.0f} s:\n{process.log()}")


def wait_for_worker(process: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.alive()
        if " ready." in process.log():
            return
        time.sleep(0.3)
    raise AssertionError(f"the worker was not ready within {timeout:.0f} s:\n{process.log()}")


def find(tree: Any, key: str) -> list[Any]:
    """Every value of ``key`` anywhere in a JSON tree (a page layout)."""
    found = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == key:
                found.append(v)
            found += find(v, key)
    elif isinstance(tree, list):
        for item in tree:
            found += find(item, key)
    return found


def page(client: Client, path: str) -> Any:
    """The layout of one page as ``client``'s user receives it."""
    pages = client.callback_with_output("_pages_content", "children")
    reply = client.call(pages, {"_pages_location.pathname": path, "_pages_location.search": ""})
    assert reply.status_code == 200, reply.text[:300]
    return reply.json()


def cohorts(client: Client) -> set[str]:
    options = find(page(client, "/recommend"), "options")
    return {str(o.get("value")) for group in options for o in group if isinstance(o, dict)}


def decisions(client: Client) -> dict[tuple[str, str], str]:
    grids = [rows for rows in find(page(client, "/recommend"), "rowData") if rows]
    return {(r["a"], r["b"]): r["status"] for rows in grids for r in rows}


def job_of(reply: requests.Response) -> Any:
    assert reply.status_code == 200, reply.text[:300]
    return (reply.json().get("response") or {}).get(ids.REC_RESULT, {}).get("data")


def job_of_kind(reply: requests.Response, store: str) -> Any:
    """The job a start callback handed back in ``store`` (None when it started none)."""
    if reply.status_code != 200:
        return None
    return ((reply.json().get("response") or {}).get(store) or {}).get("data")


def analysis_finished(client: Client, job: Any) -> bool:
    return "analysis saved" in client.poll_job(ids.ANALYSIS_POLL, ids.ANALYSIS_JOB, job).text


def saved_analysis(client: Client, timeout: float = 120.0) -> str | None:
    """Which saved analysis the app process that answers uses (the Silos page's status
    line, once its precompute is done), or None."""
    status = client.callback_with_output(ids.SILO_STATUS, "children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = client.call(status, {f"{ids.SILO_STATUS_POLL}.n_intervals": 1})
        assert reply.status_code == 200, reply.text[:300]
        response = reply.json().get("response") or {}
        if response.get(ids.SILO_STATUS_POLL, {}).get("disabled"):
            text = str(response.get(ids.SILO_STATUS, {}).get("children") or "")
            return text if "from the saved analysis" in text else None
        time.sleep(0.5)
    return None


def rows_of(reply: requests.Response) -> list[dict[str, Any]]:
    if reply.status_code != 200:
        return []
    rows = (reply.json().get("response") or {}).get(ids.REC_GRID, {}).get("rowData")
    return list(rows) if isinstance(rows, list) else []


class Traffic:
    """A thread that keeps loading pages through every app and records each status code."""

    def __init__(self, clients: list[Client]) -> None:
        self.clients = clients
        self.codes: list[tuple[str, int, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        paths = ("/", "/recommend", "/programme")
        i = 0
        while not self._stop.is_set():
            client = self.clients[i % len(self.clients)]
            path = paths[i % len(paths)]
            pages = client.callback_with_output("_pages_content", "children")
            try:
                reply = client.call(
                    pages, {"_pages_location.pathname": path, "_pages_location.search": ""}
                )
                self.codes.append((client.url + path, reply.status_code, reply.text[:200]))
            except requests.RequestException as error:
                self.codes.append((client.url + path, 0, repr(error)))
            i += 1
            time.sleep(0.05)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(60)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Neo4j emptied and loaded from the CLI, two apps and a worker; stopped afterwards."""
    queue = redis_url()
    import redis

    redis.Redis.from_url(queue).flushdb()
    store = connect()
    try:
        empty_database(store)
    finally:
        store.close()
    creds = credentials()
    secret = tmp_path / "neo4j.json"
    secret.write_text(json.dumps({"user": creds["user"], "password": creds["password"]}))
    secret.chmod(0o600)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    env.pop("ORGBRIDGE_NEO4J_PASSWORD", None)  # the credentials file is the one source
    target = ["--store", creds["uri"], "--credentials", str(secret)]
    org = hostile.build_organisation(tmp_path / "org", people=300)
    files = [f"--{kind}={org.files[kind]}" for kind in ("staff", "projects", "pairs")]
    files += [f"--sponsorships={org.files['sponsorships']}", f"--map={org.files['mapping']}"]
    cli("ingest", *target, *files, env=env)
    folder = tmp_path / "app"
    folder.mkdir()
    for name, (password, role) in USERS.items():
        add_user(folder / USERS_FILE, name, password, role)
    logs = tmp_path / "logs"
    logs.mkdir()
    common = [*target, "--app-folder", str(folder), "--queue", queue]
    ports = {"a": free_port(), "b": free_port()}
    started = [
        Process("worker", ["worker", *common, "--concurrency", "2"], env, logs),
        Process("app-a", ["app", *common, "--workers", "2", "--port", str(ports["a"])], env, logs),
        Process("app-b", ["app", *common, "--port", str(ports["b"])], env, logs),
    ]
    try:
        urls = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
        wait_for_worker(started[0])
        wait_for_app(urls["a"], started[1])
        wait_for_app(urls["b"], started[2])
        yield {
            "urls": urls,
            "processes": started,
            "org": org,
            "files": files,
            "target": target,
            "env": env,
            "tmp": tmp_path,
        }
    finally:
        for process in reversed(started):
            process.stop()


def with_new_department(
    org: hostile.Organisation, folder: Path, department: str = NEW_DEPARTMENT
) -> Path:
    """The staff file plus six opted-in people in a new department."""
    staff = pd.read_csv(org.files["staff"], dtype=str, keep_default_na=False)
    extra = staff.iloc[:6].copy()
    extra["person_id"] = [f"NEW{i:04d}" for i in range(6)]
    extra["name"] = [f"Newcomer Number{i}" for i in range(6)]
    extra["department"] = department
    extra["manager_id"] = str(staff["person_id"].iloc[0])
    extra["opt_in"] = "true"
    extra["is_leader"] = "false"
    path = folder / f"staff-{department.replace(' ', '-').lower()}.csv"
    pd.concat([staff, extra], ignore_index=True).to_csv(path, index=False)
    return path


def test_two_apps_and_a_worker_share_one_store(servers: dict[str, Any]) -> None:
    urls = servers["urls"]
    kim_a, kim_b, lee_a, lee_b = (
        Client(urls["a"]),
        Client(urls["b"]),
        Client(urls["a"]),
        Client(urls["b"]),
    )
    for client, name in ((kim_a, "kim"), (kim_b, "kim"), (lee_a, "lee"), (lee_b, "lee")):
        client.login(name, USERS[name][0], USERS[name][1])
    baseline = hostile.baseline_values(kim_a)
    traffic_clients = [Client(urls["a"]), Client(urls["b"])]  # sessions of their own
    for client in traffic_clients:
        client.login("lee", USERS["lee"][0], USERS["lee"][1])
    with Traffic(traffic_clients) as traffic:
        # a run started through A, by its owner read through B, by nobody else anywhere
        job = job_of(kim_a.start_run({**baseline, f"{ids.REC_COUNT}.value": 6}))
        assert isinstance(job, dict) and job.get("job"), job
        for other in (lee_a, lee_b, Client(urls["b"])):
            stolen = other.poll_run(job, timeout=10)
            assert stolen.status_code == 200, stolen.text[:300]
            assert not rows_of(stolen), f"{other.url}: another user read kim's run"
        proposals = rows_of(kim_b.poll_run(job, timeout=90))
        assert proposals, "kim's run, read through app B, came back without proposals"
        assert not rows_of(lee_b.poll_run(job, timeout=5)), "lee read kim's finished run"

        # a decision made through B is seen through A (both processes behind its port)
        first = proposals[0]
        decide = kim_b.callback_with_input(ids.REC_APPROVE, "n_clicks")
        sent = {decide.key(p): baseline.get(decide.key(p)) for _, p in decide.params}
        sent[f"{ids.REC_GRID}.selectedRows"] = [first]
        reply = kim_b.call(decide, sent, changed=[f"{ids.REC_APPROVE}.n_clicks"])
        assert reply.status_code == 200 and "recorded" in reply.text, reply.text[:300]
        for _ in range(4):
            assert decisions(kim_a).get((first["a"], first["b"])) == "approved"

        # the CLI changes the organisation while both apps serve; no restart
        assert f"department={NEW_DEPARTMENT}" not in cohorts(kim_a)
        staff = with_new_department(servers["org"], servers["tmp"])
        files = [f for f in servers["files"] if not f.startswith("--staff=")]
        cli("ingest", *servers["target"], f"--staff={staff}", *files, env=servers["env"])
        for client in (kim_a, kim_a, kim_a, kim_a, kim_b):
            assert f"department={NEW_DEPARTMENT}" in cohorts(client), client.url

        # the worker follows too: a run on the new department (parsed again there)
        values = {**baseline, f"{ids.REC_COHORT}.value": f"department={NEW_DEPARTMENT}"}
        job = job_of(kim_b.start_run(values))
        done = kim_a.poll_run(job, timeout=90)
        alert = json.dumps((done.json().get("response") or {}).get(ids.REC_ALERT))
        assert done.status_code == 200 and "failed" not in alert, done.text[:300]
        assert "cohort" not in alert, alert

        # an upload validated and stored through A's Data page: the worker stores it (it
        # reads the pending upload from the app folder), and both apps serve the new data
        ada_a, ann_b = Client(urls["a"]), Client(urls["b"])
        ada_a.login("ada", *USERS["ada"])
        ann_b.login("ann", *USERS["ann"])
        org = servers["org"]
        files = {k: Path(org.files[k]) for k in ("projects", "pairs", "sponsorships")}
        files["staff"] = with_new_department(org, servers["tmp"], UPLOADED_DEPARTMENT)
        checked = ada_a.validate_upload(files, mapping=Path(org.files["mapping"]))
        token = ((checked.json().get("response") or {}).get(ids.DATA_TOKEN) or {}).get("data")
        assert isinstance(token, str) and token, checked.text[:300]
        assert not job_of_kind(kim_a.store_upload(token), ids.DATA_JOB), "a coordinator stored"
        stored = job_of_kind(ada_a.store_upload(token), ids.DATA_JOB)
        assert isinstance(stored, dict) and stored.get("job"), stored
        assert "stored:" not in Client(urls["b"]).poll_job(ids.DATA_POLL, ids.DATA_JOB, stored).text
        done = ada_a.poll_job(ids.DATA_POLL, ids.DATA_JOB, stored)
        assert "stored:" in done.text, done.text[:300]
        for client in (kim_b, kim_a, kim_a, kim_a, kim_a):
            assert f"department={UPLOADED_DEPARTMENT}" in cohorts(client), client.url

        # the analysis started through B runs in the worker, saves the per-person metrics,
        # and A's processes use them (their caches follow the store)
        analysis = job_of_kind(ann_b.start_analysis(), ids.ANALYSIS_JOB)
        assert isinstance(analysis, dict) and analysis.get("job"), analysis
        refused = ann_b.start_analysis()  # one at a time, across processes
        assert "already running" in refused.text or analysis_finished(ann_b, analysis)
        done = ann_b.poll_job(ids.ANALYSIS_POLL, ids.ANALYSIS_JOB, analysis, timeout=240)
        assert "analysis saved" in done.text, done.text[:300]
        store = connect()
        try:
            assert store.metrics_about("analysis")["data"] == store.data_stamp()
        finally:
            store.close()
        ann_a = Client(urls["a"])
        ann_a.login("ann", *USERS["ann"])
        seen = [saved_analysis(ann_a) for _ in range(6)]
        assert all(seen), f"an app process of A does not use the saved analysis: {seen}"

    # a message no app of this folder signed is refused by the worker
    from orgbridge.app._jobs_celery import CeleryJobs, queue_key

    # a job is cancelled by its owner only (through the queue's own interface)
    jobs = CeleryJobs(redis_url(), queue_key(servers["tmp"] / "app"))
    try:
        parameters = {
            "kind": "pairs",
            "cohort": "__all__",
            "objective": "balanced",
            "count": 40,
            "different_department": True,
            "max_level_gap": None,
            "seed": 3,
        }
        task = {"username": "kim", "role": "coordinator", "min_group": 5}
        owner = "kim\x00coordinator"
        job_id = jobs.submit(
            owner, lambda _: None, task=("recommend", {**task, "parameters": parameters})
        )
        assert not jobs.cancel("lee\x00coordinator", job_id)
        assert jobs.status("lee\x00coordinator", job_id) == {"state": "unknown"}
        if jobs.cancel(owner, job_id):  # still queued or running (nearly always)
            assert jobs.wait(owner, job_id, timeout=60)["state"] == "cancelled"
        else:
            assert jobs.status(owner, job_id)["state"] == "done"
    finally:
        jobs.close()

    forger = CeleryJobs(redis_url(), b"not the folder's key" * 2)
    try:
        task = {"username": "kim", "role": "admin", "min_group": 5, "parameters": {}}
        forged = forger.submit("kim\x00admin", lambda _: None, task=("recommend", task))
        assert forger.wait("kim\x00admin", forged, timeout=60) == {
            "state": "failed",
            "error": "the job was refused",
        }
    finally:
        forger.close()

    # failed log-ins are counted across processes: five through A and B lock the name in both
    for attempt in range(5):
        client = Client(urls["ab"[attempt % 2]])
        reply = client.call(
            client.login_callback(),
            {
                f"{ids.LOGIN_USER}.value": "kim",
                f"{ids.LOGIN_PASSWORD}.value": f"wrong-{attempt}",
                f"{ids.LOGIN_BUTTON}.n_clicks": 1,
            },
        )
        assert reply.status_code == 200 and "wrong password" in reply.text, reply.text[:300]
    for url in urls.values():
        with pytest.raises(RuntimeError, match="Too many failed"):
            Client(url).login("kim", USERS["kim"][0], USERS["kim"][1])

    for process in servers["processes"]:
        process.alive()
    failed = [c for c in traffic.codes if c[1] not in (200, 204)]
    assert len(traffic.codes) > 20, f"only {len(traffic.codes)} requests made"
    assert not failed, f"{len(failed)} of {len(traffic.codes)} requests failed: {failed[:5]}"
