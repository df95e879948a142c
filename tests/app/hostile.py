"""Helpers for the adversarial HTTP suite: a real app in a subprocess, hand-built requests.

Everything that knows how the app is started, how a user logs in and out, and what each
role was promised lives here, so the suite adapts in one place when those mechanics change.

- :func:`build_organisation` writes a seeded synthetic organisation with distinctive ids
  (``EMP0001``...), a special-category ``gender`` column declared in a mapping file, and a
  three-person "Skunkworks Unit" (under the privacy threshold);
- :func:`ingest` loads it with the CLI as ``make run`` does, :func:`write_users` adds one user
  per role with a non-demo password, and :class:`AppServer` runs ``python -m orgbridge app`` on
  a free port (the one place to change if the app's flags change);
- :class:`Client` is one browser-like HTTP session: page config, login, logout, callbacks
  (including the background-callback protocol);
- :func:`scan` checks one response against what the role was promised.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import requests

from orgbridge.app import ids
from orgbridge.app.auth import USERS_FILE, add_user, load_users

REPO = Path(__file__).resolve().parents[2]
ROLES = ("anonymous", "executive", "analyst", "coordinator", "admin")
SPECIAL = "gender"
SMALL_DEPARTMENT = "Skunkworks Unit"
SMALL_DIVISION = "Skunkworks Division"
#: The three people of the small department: distinctive names nobody else has.
SMALL_PEOPLE = (
    ("EMP9001", "Zebulon Quixotely"),
    ("EMP9002", "Xanthe Featherstonehaugh"),
    ("EMP9003", "Ignatius Wrenfield-Oyelaran"),
)
#: Non-demo passwords (the app must not rely on the demo accounts).
PASSWORDS = {
    "admin": "Adm1n-hostile-7f3a",
    "analyst": "An4lyst-hostile-91c2",
    "coordinator": "C00rd-hostile-5be0",
    "executive": "Ex3c-hostile-d41e",
}
REQUEST_TIMEOUT = 60.0
#: A hostile value that keeps the server busy longer than this is a finding of its own.
SWEEP_TIMEOUT = 20.0


# ---- the organisation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    """The fixture organisation's files and the strings a scan looks for."""

    folder: Path
    names: frozenset[str]
    person_ids: frozenset[str]
    group_labels: frozenset[str]  # every department, division and location label
    small_labels: frozenset[str]  # labels of groups under 5 people
    special_values: frozenset[str]  # values of the special-category column
    files: dict[str, Path] = field(default_factory=dict)


def build_organisation(folder: Path, people: int = 400, seed: int = 11) -> Organisation:
    """Write the synthetic organisation (plus the small department) and its mapping file."""
    from orgbridge.synthetic import generate_organisation, write_organisation

    written = write_organisation(generate_organisation(people, seed=seed), folder)
    files = {k: Path(v) for k, v in written.items() if k != "readme"}
    # Distinctive ids, so a scan can never mistake another token for one.
    for path in files.values():
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\bE(\d+)\b", lambda m: f"EMP{int(m.group(1)):04d}", text)
        path.write_text(text, encoding="utf-8")
    staff = pd.read_csv(files["staff"], dtype=str, keep_default_na=False)
    anchor = staff.iloc[0]
    extra = []
    for i, (pid, name) in enumerate(SMALL_PEOPLE):
        row = dict(anchor)
        row.update(
            person_id=pid,
            name=name,
            department=SMALL_DEPARTMENT,
            division=SMALL_DIVISION,
            manager_id=str(anchor["person_id"]) if i == 0 else SMALL_PEOPLE[0][0],
            is_leader="false",
            opt_in="true",
            level="2",
            gender="female",
        )
        extra.append(row)
    staff = pd.concat([staff, pd.DataFrame(extra)], ignore_index=True)
    staff.to_csv(files["staff"], index=False)
    projects = pd.read_csv(files["projects"], dtype=str, keep_default_na=False)
    outsiders = [str(p) for p in staff["person_id"].iloc[1:3]]
    members = [pid for pid, _ in SMALL_PEOPLE] + outsiders
    rows = [
        {"project_id": "PRJ-SKUNK", "person_id": m, "role": "member", "start": "2026-01-05"}
        for m in members
    ]
    projects = pd.concat([projects, pd.DataFrame(rows)], ignore_index=True).fillna("")
    projects.to_csv(files["projects"], index=False)
    mapping = folder / "mapping.json"
    mapping.write_text(json.dumps({"special_category": [SPECIAL]}), encoding="utf-8")
    files["mapping"] = mapping

    def sizes(column: str) -> pd.Series:
        return staff[column].replace("", pd.NA).dropna().value_counts()

    labels = set()
    small = set()
    for column in ("department", "division", "location"):
        counts = sizes(column)
        labels.update(str(v) for v in counts.index)
        small.update(str(v) for v, n in counts.items() if n < 5)
    return Organisation(
        folder=folder,
        names=frozenset(str(n) for n in staff["name"] if n),
        person_ids=frozenset(str(p) for p in staff["person_id"]),
        group_labels=frozenset(labels),
        small_labels=frozenset(small),
        special_values=frozenset(str(v) for v in staff[SPECIAL].unique() if v),
        files=files,
    )


# ---- the server ------------------------------------------------------------------------------


#: A check-in comment seeded in the programme: only coordinators and admins may read it.
SEEDED_COMMENT = "Seeded-confidential-remark-7731"


def seed_programme(workspace: Path, org: Organisation) -> str:
    """Give the workspace a running programme: one active pair of two large-department
    people with a meeting and a commented check-in. Returns the pair's match id."""
    from orgbridge.graph._workspace import Workspace
    from orgbridge.programme import (
        ProgrammeState,
        add_cycle,
        add_programme,
        propose,
        save_stored,
        start_cycle,
        transition,
    )

    today = pd.Timestamp.now().normalize()
    small = {pid for pid, _ in SMALL_PEOPLE}
    a, b = sorted(p for p in org.person_ids if p not in small)[5:7]
    s = add_programme(ProgrammeState.empty(), programme_id="RM", name="Reverse", kind="pairs")
    s = add_cycle(
        s,
        cycle_id="C1",
        programme_id="RM",
        start=today - pd.Timedelta(days=60),
        end=today + pd.Timedelta(days=60),
    )
    s = propose(
        s, programme_id="RM", cycle_id="C1", a=a, b=b, by="coord", at=today - pd.Timedelta(days=70)
    )
    match = str(s.matches["match_id"].iloc[0])
    s = transition(s, [match], "approved", by="coord", at=today - pd.Timedelta(days=65))
    s = start_cycle(s, "C1", by="coord", at=today - pd.Timedelta(days=60))
    day = today - pd.Timedelta(days=20)
    with Workspace.open(workspace) as ws:
        save_stored(
            ws,
            s,
            meetings=pd.DataFrame({"match_id": [match], "date": [day], "minutes": [30.0]}),
            checkins=pd.DataFrame(
                {
                    "match_id": [match],
                    "person_id": [a],
                    "date": [day],
                    "rating": [4],
                    "comment": [SEEDED_COMMENT],
                }
            ),
        )
    return match


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m orgbridge ARGS`` on this checkout; raise with its output if it fails."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "orgbridge", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"orgbridge {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def ingest(workspace: Path, org: Organisation) -> None:
    """Load the organisation into a workspace as ``make run`` does (with its mapping file)."""
    run_cli(
        "ingest",
        "--workspace",
        str(workspace),
        "--staff",
        str(org.files["staff"]),
        "--projects",
        str(org.files["projects"]),
        "--pairs",
        str(org.files["pairs"]),
        "--sponsorships",
        str(org.files["sponsorships"]),
        "--map",
        str(org.files["mapping"]),
    )


def write_users(workspace: Path) -> dict[str, tuple[str, str]]:
    """One user per role with a non-demo password: ``role -> (username, password)``."""
    users = {}
    for role, password in PASSWORDS.items():
        username = f"{role}-h"
        add_user(workspace / USERS_FILE, username, password, role)
        users[role] = (username, password)
    return users


def remove_user(workspace: Path, username: str) -> None:
    """Delete one user from the users file (what an admin does to revoke access)."""
    path = workspace / USERS_FILE
    kept = [r for name, r in load_users(path).items() if name != username]
    path.write_text(json.dumps({"users": kept}, indent=2) + "\n", encoding="utf-8")


class AppServer:
    """``python -m orgbridge app --workspace DIR --port P`` in a subprocess."""

    def __init__(self, workspace: Path, log: Path) -> None:
        self.workspace = workspace
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = log.open("w", encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orgbridge",
                "app",
                "--workspace",
                str(workspace),
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/_dash-layout", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the app did not answer within {timeout:.0f} s:\n{self.log()}")

    def wait_for_precompute(self, client: Client, timeout: float = 240.0) -> None:
        """Wait until the start-up analysis is done (so timings do not include it)."""
        deadline = time.monotonic() + timeout
        callback = client.callback_with_output(ids.SILO_STATUS, "children")
        while time.monotonic() < deadline:
            reply = client.call(callback, {f"{ids.SILO_STATUS_POLL}.n_intervals": 1})
            if reply.status_code == 200 and '"disabled": true' in reply.text.replace(
                '"disabled":true', '"disabled": true'
            ):
                return
            time.sleep(1.0)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            parent = psutil.Process(self.process.pid)
            children = parent.children(recursive=True)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            for child in children:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        self._log.close()

    def rss(self) -> int:
        return int(psutil.Process(self.process.pid).memory_info().rss)


class PeakMemory:
    """Peak resident memory of the server while a block runs (sampled every 5 ms)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.before = 0
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, int(self.process.memory_info().rss))
            except psutil.NoSuchProcess:
                return
            time.sleep(0.005)

    def __enter__(self) -> PeakMemory:
        self.before = int(self.process.memory_info().rss)
        self.peak = self.before
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        time.sleep(0.2)
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.before


# ---- one browser-like session ----------------------------------------------------------------


@dataclass(frozen=True)
class Callback:
    """One server-side callback as ``/_dash-dependencies`` describes it."""

    output: str
    outputs: tuple[dict[str, str], ...]
    inputs: tuple[dict[str, str], ...]
    state: tuple[dict[str, str], ...]
    background: bool

    @property
    def params(self) -> list[tuple[str, dict[str, str]]]:
        return [("input", p) for p in self.inputs] + [("state", p) for p in self.state]

    def key(self, param: dict[str, str]) -> str:
        return f"{param['id']}.{param['property']}"

    def has(self, component_id: str, prop: str | None = None) -> bool:
        return any(
            o["id"] == component_id and (prop is None or o["property"].split("@")[0] == prop)
            for o in self.outputs
        )


def _outputs(output: str) -> tuple[dict[str, str], ...]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    found = []
    for part in parts:
        component, _, prop = part.rpartition(".")
        found.append({"id": component, "property": prop})
    return tuple(found)


def parse_dependencies(deps: list[dict[str, Any]]) -> list[Callback]:
    """Every server-side callback (clientside ones have nothing to attack on the server)."""
    callbacks = []
    for dep in deps:
        if dep.get("clientside_function"):
            continue
        callbacks.append(
            Callback(
                output=dep["output"],
                outputs=_outputs(dep["output"]),
                inputs=tuple({"id": p["id"], "property": p["property"]} for p in dep["inputs"]),
                state=tuple({"id": p["id"], "property": p["property"]} for p in dep["state"]),
                background=bool(dep.get("background")),
            )
        )
    return callbacks


class Client:
    """One HTTP session, built by hand as a hostile client would (no browser)."""

    def __init__(self, url: str, role: str = "anonymous") -> None:
        self.url = url
        self.role = role
        self.http = requests.Session()
        self.end_id: str | None = None
        self.callbacks: list[Callback] = []
        self.load_page()

    def load_page(self, path: str = "/") -> None:
        """GET a page like a browser: the config carries the page load's ``end_id``."""
        page = self.http.get(self.url + path, timeout=REQUEST_TIMEOUT)
        page.raise_for_status()
        found = re.search(
            r'<script id="_dash-config" type="application/json">(.*?)</script>', page.text, re.S
        )
        config = json.loads(found.group(1)) if found else {}
        self.end_id = config.get("end_id")
        deps = self.http.get(self.url + "/_dash-dependencies", timeout=REQUEST_TIMEOUT)
        deps.raise_for_status()
        self.callbacks = parse_dependencies(deps.json())

    def callback_with_output(self, component_id: str, prop: str | None = None) -> Callback:
        for callback in self.callbacks:
            if callback.has(component_id, prop):
                return callback
        raise LookupError(f"no callback outputs {component_id}.{prop}")

    def callback_with_input(self, component_id: str, prop: str) -> Callback:
        for callback in self.callbacks:
            if any(p["id"] == component_id and p["property"] == prop for p in callback.inputs):
                return callback
        raise LookupError(f"no callback takes {component_id}.{prop} as input")

    def login_callback(self) -> Callback:
        for callback in self.callbacks:
            states = {p["id"] for p in callback.state}
            if {ids.LOGIN_USER, ids.LOGIN_PASSWORD} <= states:
                return callback
        raise LookupError("no login callback in /_dash-dependencies")

    # Login and logout in one place: adapt here when their mechanics change.
    def login(self, username: str, password: str, role: str) -> requests.Response:
        callback = self.login_callback()
        values = {
            f"{ids.LOGIN_USER}.value": username,
            f"{ids.LOGIN_PASSWORD}.value": password,
            f"{ids.LOGIN_BUTTON}.n_clicks": 1,
        }
        reply = self.call(callback, values)
        redirect = (reply.json().get("response") or {}) if reply.status_code == 200 else {}
        if (redirect.get(ids.LOGIN_REDIRECT) or {}).get("href") != "/":
            raise RuntimeError(f"login as {username} failed: {reply.status_code} {reply.text}")
        self.role = role
        self.load_page()  # a new page load after logging in, as the browser does
        return reply

    def logout(self) -> None:
        """Log out as the navbar's form does: a same-origin POST."""
        reply = self.http.post(
            self.url + "/logout",
            headers={"Origin": self.url},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        if reply.status_code not in (200, 302, 303):
            raise RuntimeError(f"logout failed: HTTP {reply.status_code} {reply.text[:200]}")
        self.role = "anonymous"

    def cookies(self) -> dict[str, str]:
        return dict(self.http.cookies.get_dict())

    def replay(self, cookies: dict[str, str]) -> Client:
        """A new session that only carries the given cookies (e.g. one saved before logout)."""
        other = Client(self.url)
        other.http.cookies.clear()
        for name, value in cookies.items():
            other.http.cookies.set(name, value)
        other.load_page()
        return other

    def body(
        self, callback: Callback, values: dict[str, Any], changed: list[str] | None = None
    ) -> dict[str, Any]:
        """The JSON body the renderer would post for these input/state values."""

        def with_value(param: dict[str, str]) -> dict[str, Any]:
            return {**param, "value": values.get(callback.key(param))}

        outputs: Any = [dict(o) for o in callback.outputs]
        if not callback.output.startswith(".."):
            outputs = outputs[0]
        if changed is None:
            changed = [k for k in values if k in {callback.key(p) for p in callback.inputs}][:1]
            if not changed and callback.inputs:
                changed = [callback.key(callback.inputs[0])]
        return {
            "output": callback.output,
            "outputs": outputs,
            "inputs": [with_value(p) for p in callback.inputs],
            "state": [with_value(p) for p in callback.state],
            "changedPropIds": changed,
        }

    def post(
        self, body: dict[str, Any], params: dict[str, str] | None = None, timeout: float = 0
    ) -> requests.Response:
        query = {"endId": self.end_id} if self.end_id else {}
        query.update(params or {})
        return self.http.post(
            self.url + "/_dash-update-component",
            params=query,
            data=json.dumps(body, allow_nan=True),
            headers={"Content-Type": "application/json"},
            timeout=timeout or REQUEST_TIMEOUT,
        )

    def call(
        self,
        callback: Callback,
        values: dict[str, Any],
        changed: list[str] | None = None,
        timeout: float = 0,
    ) -> requests.Response:
        return self.post(self.body(callback, values, changed), timeout=timeout)

    # Recommender runs are server-side jobs bound to their user: the run callback hands back
    # a job id (output REC_RESULT), and the poll callback (input REC_POLL, state REC_RESULT)
    # answers with the grid's rows once the job is done.
    def start_run(self, values: dict[str, Any]) -> requests.Response:
        run = self.callback_with_output(ids.REC_RESULT, "data")
        return self.call(run, values, changed=[f"{ids.REC_RUN}.n_clicks"])

    def poll_run(self, job: Any, timeout: float = 90.0) -> requests.Response:
        """Poll the run ``job`` (the REC_RESULT data) until it is no longer running."""
        poll = self.callback_with_output(ids.REC_GRID, "rowData")
        deadline = time.monotonic() + timeout
        while True:
            values = {f"{ids.REC_POLL}.n_intervals": 1, f"{ids.REC_RESULT}.data": job}
            reply = self.call(poll, values, changed=[f"{ids.REC_POLL}.n_intervals"])
            if reply.status_code != 200 or time.monotonic() > deadline:
                return reply
            response = reply.json().get("response") or {}
            if response.get(ids.REC_POLL, {}).get("disabled") is not False:
                return reply
            time.sleep(0.3)

    # Storing an upload and the analysis are jobs too: a start callback hands back a job id
    # (in a store), a poll callback (an interval) reports progress and the outcome.
    def validate_upload(
        self, files: dict[str, Path], mapping: Path | None = None, allow_shrink: bool = False
    ) -> requests.Response:
        """Post files (kind -> path) to the Data page's Validate, as the browser does."""
        validate = self.callback_with_output(ids.DATA_TOKEN, "data")
        values: dict[str, Any] = {
            f"{ids.DATA_VALIDATE}.n_clicks": 1,
            f"{ids.DATA_ALLOW_SHRINK}.value": allow_shrink,
        }
        for kind, path in files.items():
            values[f"{ids.upload(kind)}.filename"] = path.name
            values[f"{ids.upload(kind)}.contents"] = data_url(path.read_bytes())
        if mapping is not None:
            values[f"{ids.DATA_MAPPING}.filename"] = mapping.name
            values[f"{ids.DATA_MAPPING}.contents"] = data_url(mapping.read_bytes(), "text/plain")
        return self.call(validate, values, changed=[f"{ids.DATA_VALIDATE}.n_clicks"])

    def store_upload(self, token: Any) -> requests.Response:
        """Press Store with ``token`` (the DATA_TOKEN data): the reply carries the job."""
        confirm = self.callback_with_output(ids.DATA_JOB, "data")
        values = {f"{ids.DATA_CONFIRM}.n_clicks": 1, f"{ids.DATA_TOKEN}.data": token}
        return self.call(confirm, values, changed=[f"{ids.DATA_CONFIRM}.n_clicks"])

    def start_analysis(self) -> requests.Response:
        """Press "Run the analysis": the reply carries the job."""
        start = self.callback_with_output(ids.ANALYSIS_JOB, "data")
        return self.call(
            start, {f"{ids.ANALYSIS_RUN}.n_clicks": 1}, changed=[f"{ids.ANALYSIS_RUN}.n_clicks"]
        )

    def poll_job(
        self, poll_id: str, store_id: str, job: Any, timeout: float = 120.0
    ) -> requests.Response:
        """Poll a job (``job``: its store's data) through the interval ``poll_id`` until
        the poll turns itself off (the job ended, or the server refused)."""
        poll = self.callback_with_input(poll_id, "n_intervals")
        deadline = time.monotonic() + timeout
        while True:
            values = {f"{poll_id}.n_intervals": 1, f"{store_id}.data": job}
            reply = self.call(poll, values, changed=[f"{poll_id}.n_intervals"])
            if reply.status_code != 200 or time.monotonic() > deadline:
                return reply
            response = reply.json().get("response") or {}
            if response.get(poll_id, {}).get("disabled") is not False:
                return reply
            time.sleep(0.3)

    def start_background(self, body: dict[str, Any]) -> requests.Response:
        return self.post(body)

    def poll_background(
        self, body: dict[str, Any], handles: dict[str, str], timeout: float = 90.0
    ) -> requests.Response:
        """Re-post with ``cacheKey`` and ``job`` (values nulled, as the renderer does) until
        the job's outputs come back (or no update: HTTP 204)."""
        nulled = {
            **body,
            "inputs": [{**p, "value": None} for p in body["inputs"]],
            "state": [{**p, "value": None} for p in body["state"]],
        }
        deadline = time.monotonic() + timeout
        params = {"cacheKey": handles["cacheKey"], "job": handles["job"]}
        while True:
            reply = self.post(nulled, params)
            if reply.status_code != 200 or time.monotonic() > deadline:
                return reply
            try:
                data = reply.json()
            except ValueError:
                return reply
            if "response" in data or "sideUpdate" in data:
                return reply
            time.sleep(0.2)


def job_pid(handle: str) -> int | None:
    """The process id inside a signed background ``job`` handle (``pid~signature``)."""
    value = handle.rpartition("~")[0] or handle
    return int(value) if value.isdigit() else None


def wait_for_process(pid: int | None, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while pid is not None and time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.1)


# ---- payloads --------------------------------------------------------------------------------


def data_url(content: bytes, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


TINY_STAFF = b"person_id,name,department\nT1,Tiny One,Tiny\nT2,Tiny Two,Tiny\n"


PAGES = ("/", "/silos", "/exposure", "/recommend", "/programme", "/matches", "/data", "/login")


def hostile_values(org: Organisation, pseudonym: str) -> dict[str, list[Any]]:
    """Hostile values by family of parameter (see :func:`kind_of`)."""
    ids_sorted = sorted(org.person_ids)
    some_id, other_id = ids_sorted[0], ids_sorted[1]
    some_name = sorted(org.names)[0]
    return {
        "group_by": ["name", "person_id", "manager_id", "email", SPECIAL, "no_such_attribute"],
        "group": [SMALL_DEPARTMENT, some_id, pseudonym, "female", some_name, "Sales"],
        "person": [some_id, pseudonym, some_name, SMALL_PEOPLE[0][0]],
        "path": [*PAGES, "/../../etc/passwd", "/" + "x" * 5000, "/silos\x00"],
        # the silo view's chosen groups: small, special, people, wrong shapes, too many
        "groups": [
            [SMALL_DEPARTMENT, "Sales"],
            [some_id, "Sales"],
            [pseudonym, "Finance"],
            ["female", "Sales"],
            [some_name, "Finance"],
            "Sales",
            [["Sales"], "Finance"],
            ["Sales", "Finance"] * 6,
        ],
        # a clicked node: people for roles that may not see them, small groups, forged ids
        "node": [
            {"id": some_id},
            {"id": pseudonym},
            {"id": SMALL_PEOPLE[0][0]},
            {"id": SMALL_DEPARTMENT},
            {"id": "g99"},
            {"id": ["g0"]},
            "g0",
        ],
        # a saved view's link (restored by the page layout): forged, traversal, oversized
        "search": [
            "?view=AAAAAAAAAAAAAAAA",
            "?view=../../views.json",
            "?view=" + "x" * 5000,
            "?view=a&view=b",
            "?view=%00",
            "?group_by=name&view=",
        ],
        "filename": ["..", "a\x00b.csv", "x" * 300 + ".csv", "../../etc/passwd", ""],
        "contents": [
            "data:text/csv;base64,!!!not base64!!!",
            "no comma at all",
            "data:text/csv;base64," + "A" * 10,
            data_url(b"=cmd|' /C calc'!A0,b\n1,2\n"),
            {"not": "a string"},
        ],
        "run": [
            {"run_id": "../../forged", "kind": "pairs", "proposals": []},
            {"run_id": "x", "proposals": [{"a": some_id, "b": other_id, "a_label": some_name}]},
        ],
        "rows": [[{"a": some_id, "b": other_id, "kind": "pair"}], [{"a": None}], ["x"]],
        "wrong": [
            None,
            True,
            -1,
            1e308,
            10**30,
            ["department"],
            {"department": 1},
            "x" * 100_000,
            "../../etc/passwd",
            "a\x00b",
        ],
    }


def kind_of(param: dict[str, str]) -> str:
    """Which family of hostile values fits a parameter (by its id and property)."""
    component, prop = param["id"], param["property"]
    if "group-by" in component:
        return "group_by"
    if component == ids.MAP_GROUP:
        return "group"
    if component == ids.MAP_GROUPS and prop == "value":
        return "groups"
    if prop == "tapNodeData":
        return "node"
    if prop == "search" and component == "_pages_location":
        return "search"
    if component in (ids.MAP_PERSON, ids.MAP_SEARCH) and prop in ("value", "search_value"):
        return "person"
    if prop == "pathname":
        return "path"
    if prop in ("filename", "contents"):
        return prop
    if component == ids.REC_RESULT:
        return "run"
    if prop == "selectedRows":
        return "rows"
    return "wrong"


def scenarios(
    callback: Callback, base: dict[str, Any], values: dict[str, list[Any]]
) -> list[dict[str, Any]]:
    """Several parameters at once where one alone cannot show a leak (the map's views)."""
    keys = {kind_of(p): callback.key(p) for _, p in callback.params}
    view = f"{ids.MAP_VIEW}.value"
    if view not in base:
        return []
    found = []
    if "group_by" in keys and "group" in keys:
        for group_by, group in (
            (SPECIAL, "female"),
            ("department", SMALL_DEPARTMENT),
            ("department", "Sales"),
            ("name", sorted(values["group"])[-1]),
            ("person_id", values["person"][0]),
        ):
            found.append({**base, view: "group", keys["group_by"]: group_by, keys["group"]: group})
    if "person" in keys:
        for person in values["person"]:
            found.append({**base, view: "ego", keys["person"]: person})
            for group_by in (SPECIAL, "name", "person_id") if "group_by" in keys else ():
                found.append(
                    {**base, view: "ego", keys["person"]: person, keys["group_by"]: group_by}
                )
    if "groups" in keys:
        for group_by, groups in (
            (SPECIAL, ["female", "male"]),
            ("department", ["Sales", "Finance"]),
            ("department", [SMALL_DEPARTMENT, "Sales"]),
            ("name", sorted(values["group"])[:2]),
        ):
            found.append(
                {**base, view: "between", keys["group_by"]: group_by, keys["groups"]: groups}
            )
    if "node" in keys:
        # an executive (or anyone) asking a person-level view for a person's details
        for node in values["node"]:
            for shown in ("ego", "between", "group", "groups"):
                found.append({**base, view: shown, keys["node"]: node})
        found.append({**base, view: "ego", keys["node"]: {"id": "g0"}, keys["group_by"]: SPECIAL})
    # colouring by the group refuses a special attribute; colouring by level does not
    colour = f"{ids.MAP_COLOUR}.value"
    if colour in base:
        found += [{**f, colour: "level"} for f in found]
    return found


def payloads(
    callback: Callback,
    baseline: dict[str, Any],
    values: dict[str, list[Any]],
    budget: int,
    seed: str,
) -> list[dict[str, Any]]:
    """Input/state values to send: the baseline, combined scenarios, one value of each
    parameter's family at a time, then a deterministic sample of wrong-type values.

    Group-by, group, person, page and upload parameters get their whole family (they are where
    the known leaks are), up to ``budget`` requests; wrong types add at most ``budget // 3``.
    """
    rng = random.Random(seed)
    base = {callback.key(p): baseline.get(callback.key(p)) for _, p in callback.params}
    first, rest = [], []
    for _, param in callback.params:
        kind = kind_of(param)
        key = callback.key(param)
        for value in values[kind] if kind != "wrong" else []:
            first.append({**base, key: value})
        for value in values["wrong"]:
            rest.append({**base, key: value})
    rng.shuffle(rest)
    return [base, *scenarios(callback, base, values), *first[:budget], *rest[: budget // 3]]


def layout_values(tree: Any) -> dict[str, Any]:
    """``id.prop -> value`` of every component with an id in a layout (Dash JSON)."""
    found: dict[str, Any] = {}
    for d in _dicts(tree):
        props = d.get("props")
        if isinstance(props, dict) and isinstance(props.get("id"), str):
            for prop, value in props.items():
                if prop not in ("id", "children"):
                    found.setdefault(f"{props['id']}.{prop}", value)
    return found


def baseline_values(admin: Client) -> dict[str, Any]:
    """Sensible values for every parameter: each page's layout as the admin sees it, plus
    a tiny staff file in the staff upload box and a real group for the map."""
    pages = admin.callback_with_output("_pages_content", "children")
    found: dict[str, Any] = {}
    for path in PAGES:
        reply = admin.call(pages, {"_pages_location.pathname": path, "_pages_location.search": ""})
        if reply.status_code == 200:
            for key, value in layout_values(reply.json()).items():
                found.setdefault(key, value)
    found.update(
        {
            "_pages_location.pathname": "/",
            "_pages_location.search": "",
            f"{ids.MAP_GROUP}.value": "Sales",
            f"{ids.MAP_GROUPS}.value": ["Sales", "Finance"],
            f"{ids.MAP}.tapNodeData": {"id": "g0"},
            f"{ids.VIEW_NAME}.value": "hostile view",
            f"{ids.upload('staff')}.filename": "staff.csv",
            f"{ids.upload('staff')}.contents": data_url(TINY_STAFF),
            f"{ids.REC_RUN}.n_clicks": 1,
            f"{ids.SILO_STATUS_POLL}.n_intervals": 1,
        }
    )
    for key in list(found):
        if key.endswith(".n_clicks") and not found[key]:
            found[key] = 1
    return found


# ---- the promise -----------------------------------------------------------------------------

PSEUDONYM = re.compile(r"\bP-[0-9a-f]{8}\b")
PERSON_ID = re.compile(r"\bEMP\d{4,}\b")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _dicts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _dicts(v)


@dataclass
class Promise:
    """What each role may see, as patterns over the strings of a response."""

    org: Organisation

    def __post_init__(self) -> None:
        self.names = _word_pattern(self.org.names)
        self.labels = _word_pattern(self.org.group_labels)
        self.small = _word_pattern(self.org.small_labels)
        self.special = _word_pattern(self.org.special_values)

    def names_person(self, text: str) -> bool:
        """Does this text name a person (name, real id or pseudonym)?"""
        return bool(self.names.search(text) or PERSON_ID.search(text) or PSEUDONYM.search(text))

    def special_value(self, text: str) -> bool:
        return bool(self.special.search(text))


def _word_pattern(words: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives or '(?!)'})(?![\w-])")


def _has_data(value: Any) -> list[str]:
    """Figures with traces, maps with elements, grids with rows: what anonymous never gets."""
    found = []
    for d in _dicts(value):
        if isinstance(d.get("data"), list) and d["data"] and "layout" in d:
            found.append("a figure with data")
        for key in ("elements", "rowData"):
            if isinstance(d.get(key), list) and d[key]:
                found.append(f"non-empty {key}")
    return found


def _leaf_records(value: Any) -> Iterator[dict[str, Any]]:
    """Dicts that hold no further dicts: a grid row, a map node's data, a hover."""
    for d in _dicts(value):
        if not any(any(_dicts(v)) for v in d.values() if isinstance(v, dict | list)):
            yield d


def scan(promise: Promise, role: str, sent: dict[str, Any], reply: requests.Response) -> list[str]:
    """Every way this response breaks the role's promise (empty when it keeps it).

    A value the client sent itself and the server merely echoes (in a message, or as the
    selected value) is not a leak; every other occurrence is.
    """
    if reply.status_code >= 500:
        return [f"HTTP {reply.status_code}"]
    if reply.status_code != 200 or not reply.content:
        return []
    try:
        data = reply.json()
    except ValueError:
        return [f"not JSON: {reply.text[:80]!r}"]
    echoed = set(_strings(sent))
    echo_text = "\n".join(echoed)
    strings = list(_strings(data))
    problems: list[str] = []

    def found(pattern: re.Pattern[str], what: str) -> None:
        hits = {m for s in strings for m in pattern.findall(s) if m not in echo_text}
        if hits:
            examples = ", ".join(repr(h) for h in sorted(hits)[:3])
            problems.append(f"{len(hits)} {what} (e.g. {examples})")

    if role in ("anonymous", "executive", "analyst"):
        found(promise.names, "names")
        found(PERSON_ID, "person ids")
        found(promise.small, "labels of groups under 5 people")
    if role in ("anonymous", "executive"):
        found(PSEUDONYM, "pseudonyms")
    if role == "anonymous":
        found(promise.labels, "group labels")
        problems += sorted(set(_has_data(data)))
    # nobody groups by a special-category attribute (it is not enabled in this workspace)
    found(promise.special, f"{SPECIAL} values")
    if SPECIAL not in echoed and SPECIAL in strings:
        problems.append(f"{SPECIAL!r} offered as an attribute or column")
    if SPECIAL in echoed and any(promise.names_person(s) for s in strings):
        problems.append(f"people listed while grouping by {SPECIAL}")
    # and nobody sees a person's special-category value
    for record in _leaf_records(data):
        texts = list(_strings(record))
        if any(promise.names_person(t) for t in texts) and (
            SPECIAL in record or any(promise.special_value(t) for t in texts)
        ):
            problems.append(f"a person-level record carrying {SPECIAL}")
            break
    return problems


# ---- the sweep -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One response that broke the promise."""

    role: str
    callback: str
    sent: str
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"[{self.role}] {self.callback} <- {self.sent}: {'; '.join(self.problems)}"


def _short(values: dict[str, Any], base: dict[str, Any]) -> str:
    changed = {k: v for k, v in values.items() if base.get(k) != v} or {"(baseline)": ""}
    return ", ".join(f"{k}={str(v)[:40]!r}" for k, v in changed.items())


def exchange(client: Client, callback: Callback, values: dict[str, Any]) -> requests.Response:
    """One call as the renderer makes it; a background callback is started and polled."""
    body = client.body(callback, values)
    reply = client.post(body, timeout=SWEEP_TIMEOUT)
    if not callback.background or reply.status_code != 200:
        return reply
    handles = reply.json()
    if "cacheKey" not in handles:
        return reply
    return client.poll_background(body, handles)


def sweep(
    client: Client,
    promise: Promise,
    baseline: dict[str, Any],
    values: dict[str, list[Any]],
    budget: int,
    background_budget: int,
) -> tuple[int, list[Finding]]:
    """Send hostile payloads to every callback as ``client.role``; the requests sent and the
    findings."""
    sent, findings = 0, []
    for callback in client.callbacks:
        limit = background_budget if callback.background else budget
        base = {callback.key(p): baseline.get(callback.key(p)) for _, p in callback.params}
        for chosen in payloads(callback, baseline, values, limit, seed=callback.output):
            try:
                reply = exchange(client, callback, chosen)
            except requests.Timeout:
                findings.append(
                    Finding(client.role, callback.output, _short(chosen, base), ("no answer",))
                )
                continue
            sent += 1
            problems = scan(promise, client.role, chosen, reply)
            if problems:
                findings.append(
                    Finding(client.role, callback.output, _short(chosen, base), tuple(problems))
                )
    return sent, findings


def short_name(output: str) -> str:
    """A callback's first output without Dash's duplicate-output hash, e.g. ``map.elements+4``."""
    parts = [o.split("@")[0] for o in output.strip(".").split("...")]
    return parts[0] + (f"+{len(parts) - 1}" if len(parts) > 1 else "")


def summary(findings: list[Finding], sent: int) -> str:
    """The findings grouped by callback and kind of problem, one example each."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        for problem in finding.problems:
            kind = re.sub(r"^\d+ | \(e\.g\. .*\)$", "", problem)
            groups.setdefault((short_name(finding.callback), kind), []).append(finding)
    lines = [
        f"{len(findings)} of {sent} responses broke the promise to the {findings[0].role} role:"
    ]
    for (callback, kind), found in sorted(groups.items()):
        example = found[0]
        detail = next(p for p in example.problems if kind in p)
        lines.append(
            f"  {callback}: {kind} in {len(found)} response(s), e.g. {example.sent[:120]} "
            f"-> {detail[:160]}"
        )
    return "\n".join(lines)
