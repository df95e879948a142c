"""Uploads checked before decoding, request size limits, and jobs bound to their owner."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import pytest

from orgbridge.app._jobs import Jobs
from orgbridge.app._uploads import decode_upload
from orgbridge.app.auth import User
from orgbridge.app.services import Services
from orgbridge.errors import ParameterError


def data_url(payload: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(payload).decode("ascii")


@pytest.mark.parametrize(
    "name", ["..", "../../etc/passwd.csv", "a\x00b.csv", "x" * 300 + ".csv", "/", "", "ü.csv"]
)
def test_any_file_name_is_saved_under_a_name_of_ours(name: str) -> None:
    try:
        upload = decode_upload("staff", name, data_url(b"person_id\nx\n"), max_bytes=1000)
    except ParameterError as error:
        assert "must be" in str(error)  # no usable suffix, or unprintable: a clear refusal
        return
    assert upload.saved_name == "staff.csv" and len(upload.shown_name) <= 80
    assert "\x00" not in upload.shown_name


def test_an_oversized_upload_is_refused_from_its_length_before_decoding() -> None:
    huge = "data:text/csv;base64," + "A" * 4_000_000  # would decode to 3 MB
    started = time.perf_counter()
    with pytest.raises(ParameterError, match="larger than the upload limit"):
        decode_upload("staff", "big.csv", huge, max_bytes=1_000_000)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "contents", ["not a data url", "data:text/csv;base64,!!!", 12, ["x"], None]
)
def test_damaged_uploads_are_refused_clearly(contents: Any) -> None:
    with pytest.raises(ParameterError):
        decode_upload("staff", "s.csv", contents, max_bytes=1000)


def test_non_admin_requests_over_the_limit_are_refused_before_reading(tmp_path: Path) -> None:
    from orgbridge.app import create_app, ensure_demo_users
    from orgbridge.graph._workspace import Workspace
    from tests.app.org import small_org

    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_org(), log={})
    ensure_demo_users(tmp_path)
    app = create_app(tmp_path, demo_users=True, precompute=False, max_upload_bytes=1_000_000)
    client = app.server.test_client()
    body = b"x" * (9 * 1024 * 1024)
    response = client.post(
        "/_dash-update-component", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    small = client.post(
        "/_dash-update-component", data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert small.status_code != 413


def test_a_job_is_visible_to_its_owner_only() -> None:
    jobs = Jobs(workers=1)
    try:
        job = jobs.submit("cora", lambda progress: {"names": ["Ann"]})
        assert jobs.wait("cora", job, timeout=10)["result"] == {"names": ["Ann"]}
        for other in ("eve", "cora\x00executive", "", "CORA"):
            assert jobs.status(other, job) == {"state": "unknown"}
            assert not jobs.cancel(other, job)
        assert jobs.status("cora", "0" * 32) == {"state": "unknown"}
        assert jobs.status("cora", ["x"]) == {"state": "unknown"}
    finally:
        jobs.close()


def test_a_cancelled_job_stops_at_its_next_progress_report() -> None:
    jobs = Jobs(workers=1)
    try:

        def slow(progress: Any) -> str:
            for step in range(200):
                progress("working", step, 200)
                time.sleep(0.01)
            return "finished"

        job = jobs.submit("cora", slow)
        time.sleep(0.05)
        assert jobs.cancel("cora", job)
        assert jobs.wait("cora", job, timeout=10)["state"] == "cancelled"
    finally:
        jobs.close()


def test_two_coordinators_run_their_own_jobs(services: Services) -> None:
    cora, carl = User("cora", "coordinator"), User("carl", "coordinator")
    first = services.start_recommend(cora, count=3)
    second = services.start_recommend(carl, count=3)
    assert first != second
    assert services.recommend_status(carl, first) == {"state": "unknown"}
    done = services._job_runner().wait("cora\x00coordinator", first, timeout=60)
    assert done["state"] == "done" and done["result"]["run_id"]
    assert services.recommend_status(User("eve", "coordinator"), first)["state"] == "unknown"
    assert services._job_runner().wait("carl\x00coordinator", second, timeout=60)["state"] == "done"
    with pytest.raises(ParameterError):
        services.start_recommend(cora, count=10**30)
    with pytest.raises(ParameterError):
        services.start_recommend(cora, cohort="department=Nowhere")
