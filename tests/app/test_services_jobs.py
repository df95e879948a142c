"""Imports and the analysis as owner-bound jobs of the in-process runner (the default)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from orgbridge.app._jobs import Jobs
from orgbridge.app._services_jobs import ANALYSIS_MARKER
from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.errors import AccessDenied, ParameterError
from orgbridge.graph._workspace import Workspace
from orgbridge.metrics._saved import SAVED_METRICS

ADMIN = User("ada", "admin")
OTHER_ADMIN = User("abe", "admin")
ANALYST = User("ann", "analyst")
OTHER_ANALYST = User("amy", "analyst")
COORD = User("cora", "coordinator")
EXEC = User("eve", "executive")

STAFF = (
    b"person_id,name,department,manager_id\n"
    b"x1,X One,Finance,\nx2,X Two,Finance,x1\nx3,,Finance,nobody\n"
)


@pytest.fixture
def jobs_services(workspace: Workspace, tmp_path: Path) -> Any:
    scratch = tmp_path / ".app-uploads"
    scratch.mkdir()
    services = Services(workspace, pseudonym_key=b"test", scratch=scratch)
    services._jobs = Jobs(workers=2)
    services._analysis_marker = tmp_path / ANALYSIS_MARKER
    yield services
    services.close()


def _validated(services: Services, user: User = ADMIN) -> str:
    checked = services.validate_upload(user, {"staff": ("staff.csv", STAFF)}, allow_shrink=True)
    return str(checked["token"])


def test_an_upload_is_stored_by_a_job_of_the_admin_who_validated_it(
    jobs_services: Services, workspace: Workspace
) -> None:
    token = _validated(jobs_services)
    for user in (EXEC, COORD, ANALYST, None):
        with pytest.raises(AccessDenied):
            jobs_services.start_store_upload(user, token)
    other = token[:-1] + ("1" if token.endswith("0") else "0")
    for forged in (token.upper(), "../" + token, "", None, 7, ["x"], other):
        with pytest.raises(ParameterError, match="no longer pending"):
            jobs_services.start_store_upload(ADMIN, forged)
    with pytest.raises(ParameterError, match="no longer pending"):  # another admin's token
        jobs_services.start_store_upload(OTHER_ADMIN, token)
    assert workspace.load_graph().n_people == 51  # nothing stored by any of them

    job = jobs_services.start_store_upload(ADMIN, token)
    assert jobs_services.upload_status(OTHER_ADMIN, job) == {"state": "unknown"}
    with pytest.raises(AccessDenied):
        jobs_services.upload_status(ANALYST, job)
    assert jobs_services.recommend_status(ADMIN, job) == {"state": "unknown"}  # other kind
    done = jobs_services._job_runner().wait("ada\x00admin\x00import", job, timeout=60)
    assert done["state"] == "done", done
    result = jobs_services.upload_status(ADMIN, job)["result"]
    assert result["rows_in"] == 3 and result["people"] == workspace.load_graph().n_people
    assert result["message"].startswith("stored:")
    assert jobs_services.graph().n_people == result["people"]
    with pytest.raises(ParameterError, match="no longer pending"):
        jobs_services.start_store_upload(ADMIN, token)
    assert "import" in set(workspace.audit_log()["action"])


def test_a_failed_import_job_says_why(jobs_services: Services) -> None:
    token = _validated(jobs_services)
    job = jobs_services.start_store_upload(ADMIN, token)
    jobs_services._job_runner().wait("ada\x00admin\x00import", job, timeout=60)
    # the token is spent: a second job for it (submitted before the check) fails clearly
    again = jobs_services._job_runner().submit(
        "ada\x00admin\x00import",
        lambda progress: jobs_services.store_upload_job(ADMIN, token, progress),
    )
    status = jobs_services._job_runner().wait("ada\x00admin\x00import", again, timeout=60)
    assert status == {
        "state": "failed",
        "error": "that upload is no longer pending: validate the files again",
    }
    # the role is checked again when the job runs (a queue's worker does the same)
    other = _validated(jobs_services)
    demoted = jobs_services._job_runner().submit(
        "x", lambda progress: jobs_services.store_upload_job(COORD, other, progress)
    )
    refused = jobs_services._job_runner().wait("x", demoted, timeout=60)
    assert refused["state"] == "failed" and "may not load data" in refused["error"]


def test_the_analysis_job_saves_what_orgbridge_analyze_saves(
    jobs_services: Services, workspace: Workspace, tmp_path: Path
) -> None:
    for user in (EXEC, COORD, None):
        with pytest.raises(AccessDenied):
            jobs_services.start_analysis(user)
    assert jobs_services._saved() is None  # nothing saved yet: recomputed
    assert not jobs_services.refresh()
    other = Services(workspace, pseudonym_key=b"test")  # as another app process would
    assert other._saved() is None
    job = jobs_services.start_analysis(ANALYST)
    assert jobs_services.analysis_status(OTHER_ANALYST, job) == {"state": "unknown"}
    assert jobs_services.analysis_status(ANALYST, "not-a-job") == {"state": "unknown"}
    done = jobs_services._job_runner().wait("ann\x00analyst\x00analysis", job, timeout=120)
    assert done["state"] == "done", done
    result = jobs_services.analysis_status(ANALYST, job)["result"]
    assert result["message"].startswith("analysis saved: 51 people, 5 groups by department")
    assert workspace.metrics_about(SAVED_METRICS)["data"] == workspace.data_stamp()
    # the caches follow the store: the next request uses the saved metrics
    assert jobs_services.refresh()
    assert jobs_services._saved() is not None
    assert jobs_services.precompute_status()["saved"] == "of every stored tie"
    assert not jobs_services.refresh()
    assert other.refresh() and other._saved() is not None
    assert "analyze" in set(workspace.audit_log()["action"])
    assert (tmp_path / ANALYSIS_MARKER).stat().st_mode & 0o077 == 0


def test_one_analysis_at_a_time(jobs_services: Services, monkeypatch: Any) -> None:
    release = threading.Event()
    original = Services.analysis_job

    def slow(self: Services, user: User, min_group: int, progress: Any) -> Any:
        release.wait(60)
        return original(self, user, min_group, progress)

    monkeypatch.setattr(Services, "analysis_job", slow)
    first = jobs_services.start_analysis(ANALYST)
    for user in (ANALYST, OTHER_ANALYST, ADMIN):
        with pytest.raises(ParameterError, match="an analysis is already running"):
            jobs_services.start_analysis(user)
    release.set()
    done = jobs_services._job_runner().wait("ann\x00analyst\x00analysis", first, timeout=120)
    assert done["state"] == "done", done
    second = jobs_services.start_analysis(ADMIN)  # the first has finished: allowed again
    done = jobs_services._job_runner().wait("ada\x00admin\x00analysis", second, timeout=120)
    assert done["state"] == "done", done
