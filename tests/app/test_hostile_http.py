"""The trust boundary, tested over HTTP against the real app running in a subprocess.

Every request here is built by hand, as a hostile client would build it: no browser, no
layout that hides a control. Each response is scanned against the promise to its role:

- anonymous sees nothing (no name, id, pseudonym, group label or metric);
- executive sees aggregates over at least 5 people, never a name, id, pseudonym or the label
  of a group under 5 people;
- analyst sees pseudonyms, never a name or a real id (nor the label of a small group);
- coordinator and admin see names, never a per-person special-category value;
- nobody groups by a special-category attribute (not enabled here); no response is a 500.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from orgbridge.app import ids
from orgbridge.app.auth import USERS_FILE, add_user
from tests.app import hostile
from tests.app.hostile import (
    ROLES,
    SPECIAL,
    AppServer,
    Client,
    Organisation,
    PeakMemory,
    Promise,
)

pytestmark = pytest.mark.slow  # about 2 minutes on the 2-core machine; no browser, no Neo4j

#: Requests per callback and role in the sweep (background callbacks are started and polled).
BUDGET = 30
BACKGROUND_BUDGET = 3
#: An upload a role may not make must be refused before it is decoded: the server may not
#: grow by more than this while refusing a 30 MB upload.
REFUSED_UPLOAD_BYTES = 30_000_000
REFUSED_UPLOAD_GROWTH = 50_000_000
#: No deployment needs a single upload this large; the admin's must be refused too.
OVERSIZED_UPLOAD_BYTES = 80_000_000


@dataclass
class HostileApp:
    server: AppServer
    org: Organisation
    workspace: Path
    users: dict[str, tuple[str, str]]
    promise: Promise
    values: dict[str, list[Any]]
    baseline: dict[str, Any]
    match: str  # the seeded programme's active pair

    def client(self, role: str) -> Client:
        client = Client(self.server.url)
        if role != "anonymous":
            client.login(*self.users[role], role)
        return client


def _pseudonym(workspace: Path, person_id: str) -> str:
    """A real pseudonym of this app (its keyed hash of a person_id)."""
    try:
        from orgbridge.app._access import pseudonym

        key = bytes.fromhex((workspace / ".app-secret").read_text(encoding="utf-8").strip())
        return str(pseudonym([person_id], key)[0])
    except (ImportError, OSError, ValueError):
        return "P-0badc0de"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileApp]:
    root = tmp_path_factory.mktemp("hostile-http")
    org = hostile.build_organisation(root / "org")
    workspace = root / "workspace"
    hostile.ingest(workspace, org)
    match = hostile.seed_programme(workspace, org)
    users = hostile.write_users(workspace)
    server = AppServer(workspace, root / "app.log")
    try:
        server.wait_until_ready()
        admin = Client(server.url)
        admin.login(*users["admin"], "admin")
        server.wait_for_precompute(admin)
        values = hostile.hostile_values(org, _pseudonym(workspace, hostile.SMALL_PEOPLE[0][0]))
        yield HostileApp(
            server=server,
            org=org,
            workspace=workspace,
            users=users,
            promise=Promise(org),
            values=values,
            baseline=hostile.baseline_values(admin),
            match=match,
        )
    finally:
        server.stop()


@pytest.fixture
def live(app: HostileApp) -> HostileApp:
    """The app, checked to be still running (a crash would hide every later finding)."""
    assert app.server.process.poll() is None, f"the app exited:\n{app.server.log()}"
    return app


# ---- background callbacks (first: the sweeps below record decisions that shape later runs) --


def _rows(reply: Any) -> list[Any]:
    """The proposals a poll of a recommender run returned (the grid's rows)."""
    if reply.status_code != 200:
        return []
    rows = (reply.json().get("response") or {}).get(ids.REC_GRID, {}).get("rowData")
    return list(rows) if isinstance(rows, list) else []


def _job(reply: Any) -> Any:
    if reply.status_code != 200:
        return None
    return (reply.json().get("response") or {}).get(ids.REC_RESULT, {}).get("data")


def test_background_result_is_not_handed_to_another_user(live: HostileApp) -> None:
    """A recommender run is a job bound to the user who started it: another session that
    polls the same job id (anonymous, an executive, another coordinator) receives nothing,
    a role that may not run the recommender starts no job with the identical payload, and the
    coordinator still receives its own result."""
    add_user(live.workspace / USERS_FILE, "second-coord-h", "S3cond-hostile-0bb2", "coordinator")
    second = Client(live.server.url)
    second.login("second-coord-h", "S3cond-hostile-0bb2", "coordinator")
    coordinator = live.client("coordinator")
    findings = []
    values = {
        **live.baseline,
        f"{ids.REC_OBJECTIVE}.value": "exposure",
        f"{ids.REC_COUNT}.value": 7,
    }
    started = coordinator.start_run(values)
    assert started.status_code == 200, started.text[:200]
    job = _job(started)
    assert isinstance(job, dict) and job.get("job"), started.text[:200]
    for name, other in (
        ("anonymous", live.client("anonymous")),
        ("executive", live.client("executive")),
        ("analyst", live.client("analyst")),
        ("another coordinator", second),
    ):
        own = other.start_run(values)
        assert own.status_code != 500, f"{name}: HTTP 500"
        if name != "another coordinator" and isinstance(_job(own), dict):
            findings.append(f"{name} started a recommender job: {own.text[:120]!r}")
        stolen = other.poll_run(job, timeout=15)
        assert stolen.status_code != 500, f"{name}: HTTP 500 polling"
        if _rows(stolen):
            findings.append(
                f"{name} polled the coordinator's job and got {len(_rows(stolen))} rows"
            )
        sent = {f"{ids.REC_RESULT}.data": job}
        role = "coordinator" if name == "another coordinator" else name
        findings += [f"{name}: {p}" for p in hostile.scan(live.promise, role, sent, stolen)]
    mine = coordinator.poll_run(job)
    if not _rows(mine):
        findings.append(
            f"the coordinator's own run came back without proposals "
            f"(HTTP {mine.status_code} {mine.text[:160]!r})"
        )
    if findings:
        pytest.fail("\n".join(findings), pytrace=False)


# ---- every callback, every role --------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_callback_keeps_the_promise_to_the_role(live: HostileApp, role: str) -> None:
    client = live.client(role)
    sent, findings = hostile.sweep(
        client, live.promise, live.baseline, live.values, BUDGET, BACKGROUND_BUDGET
    )
    assert sent >= 5 * len(client.callbacks), "the sweep must reach every callback"
    if findings:
        pytest.fail(hostile.summary(findings, sent), pytrace=False)


@pytest.mark.parametrize("role", ["anonymous", "executive", "coordinator"])
def test_callbacks_survive_a_forged_trigger(live: HostileApp, role: str) -> None:
    """The browser always names the input that changed; a hand-built request need not."""
    client = live.client(role)
    findings = []
    for callback in client.callbacks:
        if callback.background:
            continue
        sent = {callback.key(p): live.baseline.get(callback.key(p)) for _, p in callback.params}
        for changed in ([], ["no-such-component.value"]):
            reply = client.call(callback, sent, changed=changed)
            if reply.status_code >= 500:  # what it shows is the sweep's business
                findings.append(
                    f"{hostile.short_name(callback.output)} (changedPropIds={changed}): "
                    f"HTTP {reply.status_code}"
                )
    if findings:
        pytest.fail("\n".join(findings), pytrace=False)


@pytest.mark.parametrize("role", ["executive", "analyst", "coordinator", "admin"])
def test_group_by_offers_no_identifier_or_special_category(live: HostileApp, role: str) -> None:
    client = live.client(role)
    pages = client.callback_with_output("_pages_content", "children")
    offered: dict[str, list[str]] = {}
    for path in ("/silos", "/exposure", "/programme"):
        reply = client.call(pages, {"_pages_location.pathname": path, "_pages_location.search": ""})
        assert reply.status_code == 200, f"{path}: HTTP {reply.status_code}"
        for key, options in hostile.layout_values(reply.json()).items():
            if "group-by" in key and key.endswith(".options"):
                values = [o.get("value") if isinstance(o, dict) else o for o in options]
                offered[key] = [str(v) for v in values]
    assert offered, "no Group-by dropdown found in the pages' layouts"
    forbidden = {"name", "person_id", "manager_id", "email", SPECIAL}
    wrong = {key: sorted(forbidden & set(values)) for key, values in offered.items()}
    assert not any(wrong.values()), f"Group-by offers {wrong}"


# ---- saved views ------------------------------------------------------------------------------


def _save_view(client: Client, live: HostileApp, values: dict[str, Any]) -> str:
    """Save a view through the app's own callback; the id from the link it answers with."""
    save = client.callback_with_output(ids.VIEW_LINK, "children")
    sent = {
        client_key: live.baseline.get(client_key)
        for client_key in (save.key(p) for _, p in save.params)
    }
    sent.update(values)
    reply = client.call(save, sent, changed=[f"{ids.VIEW_SAVE}.n_clicks"])
    assert reply.status_code == 200, reply.text[:200]
    found = re.search(r"silos\?view=([A-Za-z0-9_-]{16})", reply.text)
    assert found, f"no link in {reply.text[:300]}"
    return found.group(1)


def test_a_saved_view_with_people_restores_as_each_role_may_see_it(live: HostileApp) -> None:
    coordinator = live.client("coordinator")
    person = sorted(live.org.person_ids)[5]
    view_id = _save_view(
        coordinator,
        live,
        {
            f"{ids.MAP_VIEW}.value": "ego",
            f"{ids.MAP_PERSON}.value": person,
            f"{ids.MAP_STEPS}.value": 2,
            f"{ids.SILO_GROUP_BY}.value": "department",
        },
    )
    views = live.workspace / "views.json"
    assert views.stat().st_mode & 0o077 == 0, "the views file must be owner-only"
    search = {"_pages_location.pathname": "/silos", "_pages_location.search": f"?view={view_id}"}
    for role in ("executive", "analyst", "coordinator", "anonymous"):
        client = live.client(role)
        pages = client.callback_with_output("_pages_content", "children")
        reply = client.call(pages, search)
        problems = hostile.scan(live.promise, role, {}, reply)
        assert not problems, f"{role}: {problems}"
        restored = hostile.layout_values(reply.json()) if reply.status_code == 200 else {}
        if role == "executive":
            assert restored.get(f"{ids.MAP_VIEW}.value") == "groups"
            assert not restored.get(f"{ids.MAP_PERSON}.value")
        if role == "analyst":
            assert restored.get(f"{ids.MAP_VIEW}.value") == "ego"
            assert str(restored.get(f"{ids.MAP_PERSON}.value")).startswith("P-")
        if role == "coordinator":
            assert restored.get(f"{ids.MAP_PERSON}.value") == person


def test_saving_a_forged_view_stores_nothing(live: HostileApp) -> None:
    executive = live.client("executive")
    views = live.workspace / "views.json"
    before = views.read_text() if views.exists() else ""
    save = executive.callback_with_output(ids.VIEW_LINK, "children")
    for forged in (
        {f"{ids.MAP_VIEW}.value": "ego", f"{ids.MAP_PERSON}.value": sorted(live.org.person_ids)[0]},
        {
            f"{ids.MAP_VIEW}.value": "between",
            f"{ids.MAP_GROUPS}.value": [hostile.SMALL_DEPARTMENT, "Sales"],
        },
        {f"{ids.VIEW_NAME}.value": "<img src=x onerror=alert(1)>"},
    ):
        sent = {save.key(p): live.baseline.get(save.key(p)) for _, p in save.params}
        sent.update(forged)
        reply = executive.call(save, sent, changed=[f"{ids.VIEW_SAVE}.n_clicks"])
        assert reply.status_code == 200 and "view=" not in reply.text
    assert (views.read_text() if views.exists() else "") == before


# ---- sessions --------------------------------------------------------------------------------


def _anonymous_findings(live: HostileApp, client: Client) -> list[str]:
    """What a session that should be anonymous still sees."""
    problems = []
    checks = [
        (ids.BROKER_GRID, {f"{ids.SILO_GROUP_BY}.value": "department"}),
        (ids.SILO_HEATMAP, {f"{ids.SILO_GROUP_BY}.value": "department"}),
        (
            "_pages_content",
            {"_pages_location.pathname": "/recommend", "_pages_location.search": ""},
        ),
    ]
    for component, values in checks:
        callback = client.callback_with_output(component)
        keys = [callback.key(p) for _, p in callback.params]
        sent = {k: values.get(k, live.baseline.get(k)) for k in keys}
        reply = client.call(callback, sent)
        problems += [
            f"{component}: {p}" for p in hostile.scan(live.promise, "anonymous", sent, reply)
        ]
    return problems


def test_logout_ends_the_session(live: HostileApp) -> None:
    client = live.client("coordinator")
    saved = client.cookies()
    assert _anonymous_findings(live, client), "a logged-in coordinator should see names"
    client.logout()
    replayed = client.replay(saved)
    assert not _anonymous_findings(live, client), "the logged-out session still sees data"
    found = _anonymous_findings(live, replayed)
    assert not found, "the cookie saved before logout still works: " + "; ".join(found)


def test_removing_a_user_ends_their_session(live: HostileApp) -> None:
    add_user(live.workspace / USERS_FILE, "leaver-h", "Le4ver-hostile-0aa1", "coordinator")
    client = Client(live.server.url)
    client.login("leaver-h", "Le4ver-hostile-0aa1", "coordinator")
    assert _anonymous_findings(live, client), "a logged-in coordinator should see names"
    hostile.remove_user(live.workspace, "leaver-h")
    found = _anonymous_findings(live, client.replay(client.cookies()))
    assert not found, "the removed user's session still works: " + "; ".join(found)


# ---- decisions -------------------------------------------------------------------------------


def test_a_forged_decision_does_not_break_later_runs(live: HostileApp) -> None:
    """Selected rows come from the client: a pair nobody proposed (two people outside the
    opted-in cohort) must not be recorded, and later recommender runs must still work."""
    coordinator = live.client("coordinator")
    decide = coordinator.callback_with_input(ids.REC_LOCK, "n_clicks")
    staff = pd.read_csv(live.org.files["staff"], dtype=str)
    outsiders = sorted(staff.loc[staff["opt_in"] == "false", "person_id"])[:2]
    sent = {decide.key(p): live.baseline.get(decide.key(p)) for _, p in decide.params}
    sent[f"{ids.REC_GRID}.selectedRows"] = [{"a": outsiders[0], "b": outsiders[1], "kind": "pair"}]
    reply = coordinator.call(decide, sent, changed=[f"{ids.REC_LOCK}.n_clicks"])
    assert reply.status_code != 500
    alert = json.dumps((reply.json().get("response") or {}).get(ids.REC_ALERT) or {})
    assert "only proposals" in alert, f"a pair nobody proposed was recorded: {reply.text[:200]}"
    started = coordinator.start_run({**live.baseline, f"{ids.REC_COUNT}.value": 5})
    assert started.status_code == 200, started.text[:200]
    result = coordinator.poll_run(_job(started))
    assert _rows(result), (
        f"after a forged lock of {outsiders}, the recommender returns {result.text[:300]!r}"
    )


# ---- programme operations ---------------------------------------------------------------------

#: Callbacks (by output) that carry names, comments or decisions: coordinators and admins only.
_NAMED_OUTPUTS = (
    (ids.MATCHES_GRID, "rowData"),
    (ids.MATCHES_DOWNLOAD, "data"),
    (ids.STALLED_GRID, "rowData"),
    (ids.STALLED_DOWNLOAD, "data"),
    (ids.COMMENTS_GRID, "rowData"),
    (ids.CHECKIN_MESSAGE, "children"),
)


def _forged_programme_values(live: HostileApp, comment: str) -> dict[str, Any]:
    match = live.match
    return {
        **live.baseline,
        f"{ids.MATCHES_CYCLE}.value": "C1",
        f"{ids.CHECKIN_MATCH}.value": match,
        f"{ids.CHECKIN_DATE}.value": str(pd.Timestamp.now().date()),
        f"{ids.CHECKIN_MINUTES}.value": 30,
        f"{ids.CHECKIN_RATING_A}.value": 5,
        f"{ids.CHECKIN_COMMENT_A}.value": comment,
        f"{ids.STALLED_ONLY}.value": [],
    }


@pytest.mark.parametrize("role", ["anonymous", "executive", "analyst"])
def test_programme_operations_refused_without_names(live: HostileApp, role: str) -> None:
    """Forged requests for the register, stalled pairs, comments, exports or a check-in:
    nothing named comes back and nothing is recorded."""
    client = live.client(role)
    forged = f"forged-by-{role}"
    values = _forged_programme_values(live, forged)
    findings = []
    for component, prop in _NAMED_OUTPUTS:
        callback = client.callback_with_output(component, prop)
        sent = {callback.key(p): values.get(callback.key(p)) for _, p in callback.params}
        trigger = callback.key(callback.inputs[0])
        reply = client.call(callback, sent, changed=[trigger])
        if reply.status_code >= 500:
            findings.append(f"{component}: HTTP {reply.status_code}")
            continue
        if hostile.SEEDED_COMMENT in reply.text:
            findings.append(f"{component}: the check-in comment came back")
        response = (reply.json().get("response") or {}) if reply.status_code == 200 else {}
        if component == ids.CHECKIN_MESSAGE:  # the answer is a message: a refusal is fine
            if "recorded for" in reply.text:
                findings.append(f"{role} was told the check-in was recorded")
        elif (response.get(component) or {}).get(prop):
            findings.append(f"{component}.{prop} answered: {reply.text[:160]!r}")
        findings += [f"{component}: {p}" for p in hostile.scan(live.promise, role, sent, reply)]
    coordinator = live.client("coordinator")
    comments = coordinator.callback_with_output(ids.COMMENTS_GRID, "rowData")
    sent = {comments.key(p): values.get(comments.key(p)) for _, p in comments.params}
    seen = coordinator.call(comments, sent, changed=[comments.key(comments.inputs[0])])
    assert hostile.SEEDED_COMMENT in seen.text, "the coordinator should read the comment"
    if forged in seen.text:
        findings.append(f"{role} recorded a check-in")
    if findings:
        pytest.fail("\n".join(findings), pytrace=False)


def test_coordinator_records_a_check_in(live: HostileApp) -> None:
    coordinator = live.client("coordinator")
    values = _forged_programme_values(live, "=HYPERLINK(1) fine")
    save = coordinator.callback_with_output(ids.CHECKIN_MESSAGE, "children")
    sent = {save.key(p): values.get(save.key(p)) for _, p in save.params}
    reply = coordinator.call(save, sent, changed=[f"{ids.CHECKIN_SAVE}.n_clicks"])
    assert reply.status_code == 200 and "recorded for" in reply.text, reply.text[:300]


# ---- jobs: storing an upload, the analysis ----------------------------------------------------

#: Job handles a hostile client may send instead of its own.
_FORGED_JOBS: tuple[Any, ...] = (
    None,
    "",
    {"job": None},
    {"job": "../../etc/passwd"},
    {"job": "0" * 32},
    {"job": "x" * 5000},
    {"job": ["a"]},
    {"job": {"$ne": ""}},
    ["job"],
    7,
)


def _response(reply: Any) -> dict[str, Any]:
    if reply.status_code != 200:
        return {}
    found = reply.json().get("response") or {}
    return found if isinstance(found, dict) else {}


def _handed_job(reply: Any, store: str) -> Any:
    """The job a start callback handed back (None when it started none)."""
    return (_response(reply).get(store) or {}).get("data")


def test_storing_an_upload_is_a_job_of_the_admin_who_validated_it(live: HostileApp) -> None:
    """Store takes the pending upload's token: only the admin who validated it starts a job
    with it (not anonymous, another role, another admin, or a malformed token), and only
    that admin reads the job's outcome; the same files are stored again, so the data the
    other tests expect does not change."""
    add_user(live.workspace / USERS_FILE, "second-admin-h", "S3cond-admin-h0st", "admin")
    second = Client(live.server.url)
    second.login("second-admin-h", "S3cond-admin-h0st", "admin")
    admin = live.client("admin")
    files = {kind: live.org.files[kind] for kind in ("staff", "projects", "pairs", "sponsorships")}
    checked = admin.validate_upload(files, mapping=live.org.files["mapping"])
    token = (_response(checked).get(ids.DATA_TOKEN) or {}).get("data")
    assert isinstance(token, str) and token, checked.text[:300]
    findings = []
    for name, other in (
        ("anonymous", live.client("anonymous")),
        ("executive", live.client("executive")),
        ("analyst", live.client("analyst")),
        ("coordinator", live.client("coordinator")),
        ("another admin", second),
    ):
        reply = other.store_upload(token)
        if reply.status_code >= 500 or _handed_job(reply, ids.DATA_JOB):
            findings.append(f"{name} started storing the admin's upload: {reply.text[:160]!r}")
    for forged in ("../" + token, token.upper(), "x" * 5000, {"token": token}, [token], 5):
        reply = admin.store_upload(forged)
        if reply.status_code >= 500 or _handed_job(reply, ids.DATA_JOB):
            findings.append(
                f"a forged token {str(forged)[:40]!r} started a job: {reply.text[:160]!r}"
            )
    started = admin.store_upload(token)
    job = _handed_job(started, ids.DATA_JOB)
    assert isinstance(job, dict) and job.get("job"), started.text[:300]
    for name, other in (
        ("anonymous", live.client("anonymous")),
        ("executive", live.client("executive")),
        ("coordinator", live.client("coordinator")),
        ("another admin", second),
    ):
        reply = other.poll_job(ids.DATA_POLL, ids.DATA_JOB, job, timeout=10)
        if reply.status_code >= 500 or "stored:" in reply.text:
            findings.append(f"{name} read the admin's import: {reply.text[:160]!r}")
    for forged in _FORGED_JOBS:
        reply = admin.poll_job(ids.DATA_POLL, ids.DATA_JOB, forged, timeout=10)
        if reply.status_code >= 500 or "stored:" in reply.text:
            findings.append(f"polling {str(forged)[:40]!r}: {reply.text[:160]!r}")
    done = admin.poll_job(ids.DATA_POLL, ids.DATA_JOB, job)
    if "stored:" not in done.text:
        findings.append(f"the admin's own import did not finish: {done.text[:300]!r}")
    again = admin.store_upload(token)
    if _handed_job(again, ids.DATA_JOB) or "no longer pending" not in again.text:
        findings.append(f"a stored upload's token was accepted again: {again.text[:160]!r}")
    if findings:
        pytest.fail("\n".join(findings), pytrace=False)


def test_the_analysis_is_a_job_of_the_roles_that_may_run_it(live: HostileApp) -> None:
    """Analysts and admins start the analysis (one at a time); anonymous, executives and
    coordinators start none with the same payload; nobody else reads its outcome."""
    analyst = live.client("analyst")
    admin = live.client("admin")
    findings = []
    for role in ("anonymous", "executive", "coordinator"):
        reply = live.client(role).start_analysis()
        if reply.status_code >= 500 or _handed_job(reply, ids.ANALYSIS_JOB):
            findings.append(f"{role} started the analysis: {reply.text[:160]!r}")
    started = analyst.start_analysis()
    job = _handed_job(started, ids.ANALYSIS_JOB)
    assert isinstance(job, dict) and job.get("job"), started.text[:300]
    second = admin.start_analysis()  # while the first runs (or, rarely, after it finished)
    assert second.status_code == 200, second.text[:300]
    extra = _handed_job(second, ids.ANALYSIS_JOB)
    if extra is None and "already running" not in second.text:
        findings.append(f"a second analysis was neither refused nor started: {second.text!r}")
    for role in ("anonymous", "executive", "coordinator", "admin"):
        other = live.client(role)
        reply = other.poll_job(ids.ANALYSIS_POLL, ids.ANALYSIS_JOB, job, timeout=10)
        if reply.status_code >= 500 or "analysis saved" in reply.text:
            findings.append(f"{role} read the analyst's analysis: {reply.text[:160]!r}")
        findings += [
            f"{role} polling: {p}"
            for p in hostile.scan(live.promise, role, {f"{ids.ANALYSIS_JOB}.data": job}, reply)
        ]
    for forged in _FORGED_JOBS:
        reply = analyst.poll_job(ids.ANALYSIS_POLL, ids.ANALYSIS_JOB, forged, timeout=10)
        if reply.status_code >= 500 or "analysis saved" in reply.text:
            findings.append(f"polling {str(forged)[:40]!r}: {reply.text[:160]!r}")
    done = analyst.poll_job(ids.ANALYSIS_POLL, ids.ANALYSIS_JOB, job, timeout=240)
    if "analysis saved" not in done.text:
        findings.append(f"the analyst's own analysis did not finish: {done.text[:300]!r}")
    findings += [f"analyst: {p}" for p in hostile.scan(live.promise, "analyst", {}, done)]
    if extra is not None:
        admin.poll_job(ids.ANALYSIS_POLL, ids.ANALYSIS_JOB, extra, timeout=240)
    if findings:
        pytest.fail("\n".join(findings), pytrace=False)


# ---- uploads ---------------------------------------------------------------------------------


def _upload_values(live: HostileApp, contents: str, filename: str = "staff.csv") -> dict[str, Any]:
    return {
        **live.baseline,
        f"{ids.upload('staff')}.filename": filename,
        f"{ids.upload('staff')}.contents": contents,
    }


def _big_csv(size: int) -> str:
    row = b"EMPX,Some Body,Somewhere\n"
    raw = b"person_id,name,department\n" + row * (size * 3 // 4 // len(row))
    return hostile.data_url(raw)


def _validated(reply: Any) -> bool:
    """Did the server validate the upload (a report or a pending-upload token came back)?"""
    if reply.status_code != 200:
        return False
    response = reply.json().get("response", {})
    return bool((response.get(ids.DATA_TOKEN) or {}).get("data")) or bool(
        (response.get(ids.DATA_REPORT) or {}).get("children")
    )


@pytest.mark.parametrize("role", ["anonymous", "executive"])
def test_upload_refused_before_it_is_decoded(live: HostileApp, role: str) -> None:
    client = live.client(role)
    validate = client.callback_with_output(ids.DATA_TOKEN, "data")
    contents = _big_csv(REFUSED_UPLOAD_BYTES)
    with PeakMemory(live.server.process.pid) as memory:
        reply = client.call(validate, _upload_values(live, contents))
    assert reply.status_code != 500
    assert not _validated(reply), f"{role}'s upload was validated"
    assert memory.growth < REFUSED_UPLOAD_GROWTH, (
        f"refusing {role}'s {len(contents) / 1e6:.0f} MB upload grew the server by "
        f"{memory.growth / 1e6:.0f} MB (HTTP {reply.status_code})"
    )


@pytest.mark.parametrize("name", ["..", "staff\x00.csv", "x" * 300 + ".csv", "../../etc/passwd"])
def test_hostile_file_name_gives_a_clear_error(live: HostileApp, name: str) -> None:
    client = live.client("admin")
    validate = client.callback_with_output(ids.DATA_TOKEN, "data")
    reply = client.call(validate, _upload_values(live, hostile.data_url(hostile.TINY_STAFF), name))
    assert reply.status_code != 500, f"file name {name[:20]!r}: HTTP 500"
    assert reply.status_code in (200, 400, 413, 422), f"HTTP {reply.status_code}"
    alert = json.dumps((reply.json().get("response") or {}).get(ids.DATA_ALERT) or {})
    assert reply.status_code != 200 or "Alert" in alert, (
        f"file name {name[:20]!r} was accepted without a word: {reply.text[:200]!r}"
    )


# Last: an upload the server does not refuse keeps it busy.
def test_oversized_upload_is_refused(live: HostileApp) -> None:
    client = live.client("admin")
    validate = client.callback_with_output(ids.DATA_TOKEN, "data")
    # bytes no parser accepts, so today's code fails fast instead of parsing 60 MB
    contents = hostile.data_url(b"\x80\x81\x00" * (OVERSIZED_UPLOAD_BYTES // 4))
    started = time.monotonic()
    try:
        reply = client.call(validate, _upload_values(live, contents), timeout=30)
    except requests.Timeout:
        pytest.fail(f"an upload of {len(contents) / 1e6:.0f} MB got no answer within 30 s")
    seconds = time.monotonic() - started
    assert reply.status_code != 500
    text = reply.text.lower() if reply.status_code == 200 else ""
    refused = reply.status_code == 413 or any(
        word in text for word in ("too large", "too big", "limit", "larger than")
    )
    assert refused and not _validated(reply), (
        f"an upload of {len(contents) / 1e6:.0f} MB was not refused for its size "
        f"(HTTP {reply.status_code} after {seconds:.1f} s: {reply.text[:200]!r})"
    )


# ---- the scanner itself (no server): it must be able to pass and to fail ---------------------


def _reply(payload: Any, status: int = 200) -> requests.Response:
    reply = requests.Response()
    reply.status_code = status
    reply._content = json.dumps(payload).encode()
    return reply


@pytest.fixture(scope="module")
def promise(tmp_path_factory: pytest.TempPathFactory) -> Promise:
    return Promise(hostile.build_organisation(tmp_path_factory.mktemp("scan-org"), people=80))


def test_scan_passes_aggregates_and_flags_what_each_role_may_not_see(promise: Promise) -> None:
    name = sorted(promise.org.names)[3]
    person = sorted(promise.org.person_ids)[3]
    figure = {"data": [{"x": ["Sales", "Finance"], "y": [0.4, 0.5]}], "layout": {}}
    aggregates = _reply({"response": {"silo-ei": {"figure": figure}}})
    assert hostile.scan(promise, "executive", {}, aggregates) == []
    assert "a figure with data" in hostile.scan(promise, "anonymous", {}, aggregates)
    named = _reply({"response": {"grid": {"rowData": [{"person": name, "group": "Sales"}]}}})
    assert hostile.scan(promise, "coordinator", {}, named) == []
    assert any("names" in p for p in hostile.scan(promise, "analyst", {}, named))
    pseudonymous = _reply({"response": {"grid": {"rowData": [{"person": "P-0123abcd"}]}}})
    assert hostile.scan(promise, "analyst", {}, pseudonymous) == []
    assert any("pseudonyms" in p for p in hostile.scan(promise, "executive", {}, pseudonymous))
    small = _reply({"response": {"x": {"children": f"{hostile.SMALL_DEPARTMENT} (suppressed)"}}})
    assert any("under 5" in p for p in hostile.scan(promise, "executive", {}, small))
    ids_only = _reply({"response": {"x": {"options": [person]}}})
    assert any("person ids" in p for p in hostile.scan(promise, "executive", {}, ids_only))
    assert hostile.scan(promise, "executive", {}, _reply({}, 500)) == ["HTTP 500"]


def test_scan_tolerates_echoes_but_not_special_categories(promise: Promise) -> None:
    name = sorted(promise.org.names)[0]
    echo = _reply({"response": {"alert": {"children": f"no person called {name!r}"}}})
    assert hostile.scan(promise, "executive", {"map-person.value": name}, echo) == []
    row = {"person": name, "gender": "female"}
    per_person = _reply({"response": {"grid": {"rowData": [row]}}})
    found = hostile.scan(promise, "admin", {}, per_person)
    assert "a person-level record carrying gender" in found
    grouped = _reply({"response": {"g": {"figure": {"data": [{"x": ["female", "male"]}]}}}})
    assert any("gender values" in p for p in hostile.scan(promise, "admin", {}, grouped))
    offered = _reply({"response": {"dd": {"options": ["department", "gender"]}}})
    assert any("offered" in p for p in hostile.scan(promise, "admin", {}, offered))
    refused = _reply({"response": {"alert": {"children": "cannot group by 'gender'"}}})
    assert hostile.scan(promise, "admin", {"silo-group-by.value": "gender"}, refused) == []


# ---- the downloadable report (GET /report.html) ---------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_report_download_gives_each_role_only_aggregates(live: HostileApp, role: str) -> None:
    """The report route checks the session on the server: anonymous gets 401 and nothing;
    every other role (executive included) gets an aggregate-only page: no name, person id,
    pseudonym, label of a group under 5 people or special-category value, whatever
    ``group_by`` it asks for; a forbidden or malformed ``group_by`` is a 400, never a 500."""
    client = live.client(role)
    findings = []
    for group_by in (None, "department", "person_id", "name", SPECIAL, "../x", "x" * 5000):
        params = {} if group_by is None else {"group_by": group_by}
        reply = client.http.get(
            f"{live.server.url}/report.html", params=params, timeout=hostile.REQUEST_TIMEOUT
        )
        text = reply.text
        where = f"group_by={str(group_by)[:20]!r}: HTTP {reply.status_code}"
        if reply.status_code >= 500:
            findings.append(where)
            continue
        if role == "anonymous":
            if reply.status_code != 401 or live.promise.labels.search(text):
                findings.append(f"{where}: anonymous got {text[:80]!r}")
            continue
        if group_by in (None, "department"):
            if reply.status_code != 200 or "<html" not in text:
                findings.append(f"{where}: no report ({text[:80]!r})")
            elif "attachment" not in reply.headers.get("Content-Disposition", ""):
                findings.append(f"{where}: not a download")
        elif reply.status_code != 400:
            findings.append(f"{where}: a forbidden grouping was not refused")
        for pattern, what in (
            (live.promise.names, "a name"),
            (hostile.PERSON_ID, "a person id"),
            (hostile.PSEUDONYM, "a pseudonym"),
            (live.promise.small, "a label of a group under 5 people"),
            (live.promise.special, f"a {SPECIAL} value"),
        ):
            hit = pattern.search(text)
            if hit:
                findings.append(f"{where}: {what} ({hit.group(0)!r})")
    if findings:
        pytest.fail("\n".join(findings), pytrace=False)
