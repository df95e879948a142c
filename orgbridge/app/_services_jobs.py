"""Long work of the Data and Silos pages as jobs bound to the user who started them.

Storing a validated upload and running the standard analysis go through the same job
runner as recommender runs (:mod:`orgbridge.app._jobs`: threads of the app process, or
:mod:`orgbridge.app._jobs_celery`: a queue and workers). The role is checked when a job is
submitted and again when it runs (in a worker, too); a pending upload is taken only by the
user who validated it. Jobs of each kind are their owner's alone: status asks about one
kind, so a recommender run's id says nothing on the Data page.

One analysis runs at a time per app folder: the running one is recorded in
``.app-analysis.json`` (under an ``flock``, so every app process of the folder sees it) and
a second request is refused while the job it names is still running.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from orgbridge.app._access import check_access, requires
from orgbridge.app._services_base import _owner
from orgbridge.app._services_data import DataServices
from orgbridge.app.auth import User
from orgbridge.errors import ParameterError

__all__ = ["ANALYSIS_MARKER", "JobServices"]

#: The app folder's record of the running analysis job.
ANALYSIS_MARKER = ".app-analysis.json"
_MARKER_LOCK = threading.Lock()


class JobServices(DataServices):
    """Imports and analyses as owner-bound jobs (see the module docstring)."""

    _analysis_marker: Path | None = None

    # ---- imports ------------------------------------------------------------------------

    @requires("data")
    def start_store_upload(self, user: User | None, token: Any) -> str:
        """Store this user's validated upload (its token from :meth:`validate_upload`) in a
        job; return the job's id. The upload stays pending until the job takes it."""
        assert user is not None
        if not self._pending_uploads().has(token, owner=_owner(user)):
            raise ParameterError("that upload is no longer pending: validate the files again")
        task = {"username": user.username, "role": user.role, "token": token}
        return self._job_runner().submit(
            _import_owner(user),
            lambda progress: self.store_upload_job(user, token, progress),
            task=("store_upload", task),
        )

    def store_upload_job(
        self, user: User, token: Any, progress: Callable[[str, int, int], None]
    ) -> dict[str, Any]:
        """The job of :meth:`start_store_upload` (here, or in a queue's worker)."""
        progress("storing", 0, 1)  # the last point it can be cancelled: nothing taken yet
        return self.import_upload(user, token)

    @requires("data")
    def upload_status(self, user: User | None, job_id: Any) -> dict[str, Any]:
        """The state of one of this user's imports (``unknown`` for anyone else's)."""
        assert user is not None
        return self._job_runner().status(_import_owner(user), job_id)

    # ---- the analysis -------------------------------------------------------------------

    @requires("analyze")
    def start_analysis(self, user: User | None) -> str:
        """Run the standard analysis (what ``orgbridge analyze`` computes and saves) in a
        job; return its id. Refused while another analysis of this app folder is running."""
        assert user is not None
        owner = _analysis_owner(user)
        task = {"username": user.username, "role": user.role, "min_group": self.min_group}
        min_group = self.min_group
        with self._marker() as marker:
            running = marker.get("running")
            if isinstance(running, dict) and self._still_running(running):
                raise ParameterError("an analysis is already running: wait for it to finish")
            job_id = self._job_runner().submit(
                owner,
                lambda progress: self.analysis_job(user, min_group, progress),
                task=("analyze", task),
            )
            marker["running"] = {"owner": owner, "job": job_id}
        return job_id

    def analysis_job(
        self, user: User, min_group: int, progress: Callable[[str, int, int], None]
    ) -> dict[str, Any]:
        """The job of :meth:`start_analysis` (here, or in a queue's worker): analyse the
        stored organisation (every stored tie, as the pages do, where ``orgbridge analyze``
        takes today's snapshot) and save the per-person metrics with what they were
        computed from; every app process then reuses them (their caches follow the store).
        Returns aggregates only: the headline and the counts."""
        from orgbridge.report import analyze_store, summary_line

        check_access(user, "analyze")
        group_by = self.default_group_by()
        # every stored tie, as the app's pages measure: so they reuse what is saved
        document = analyze_store(
            self.store,
            group_by=group_by,
            min_group=min_group,
            seed=0,
            snapshot=False,
            progress=progress,
        )
        self.store.audit("analyze", by=user.username, detail={"group_by": group_by})
        progress("done", 4, 4)
        return {
            "people": int(document["network"]["people"]),
            "group_by": group_by,
            "message": "analysis saved: " + summary_line(document, group_by),
        }

    @requires("analyze")
    def analysis_status(self, user: User | None, job_id: Any) -> dict[str, Any]:
        """The state of one of this user's analyses (``unknown`` for anyone else's)."""
        assert user is not None
        return self._job_runner().status(_analysis_owner(user), job_id)

    def _still_running(self, running: dict[str, Any]) -> bool:
        owner, job_id = running.get("owner"), running.get("job")
        if not isinstance(owner, str) or not isinstance(job_id, str):
            return False
        return bool(self._job_runner().status(owner, job_id)["state"] == "running")

    @contextlib.contextmanager
    def _marker(self) -> Iterator[dict[str, Any]]:
        """The running-analysis record, held for a read-modify-write (a thread lock and an
        ``flock`` beside the file: every process of the app folder); kept in memory when
        the services have no app folder."""
        path = self._analysis_marker
        with _MARKER_LOCK:
            if path is None:
                found: dict[str, Any] = self.__dict__.setdefault("_analysis_memory", {})
                yield found
                return
            descriptor = os.open(
                path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600
            )
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                try:
                    record = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    record = {}
                record = record if isinstance(record, dict) else {}
                before = dict(record)
                yield record
                if record != before:
                    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
                    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(handle, "w", encoding="utf-8") as out:
                        json.dump(record, out)
                    os.replace(temporary, path)
            finally:
                os.close(descriptor)  # closing releases the flock


def _import_owner(user: User) -> str:
    return f"{_owner(user)}\x00import"


def _analysis_owner(user: User) -> str:
    return f"{_owner(user)}\x00analysis"
