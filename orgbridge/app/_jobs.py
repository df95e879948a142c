"""Long work (recommender runs) as jobs bound to the user who started them.

Dash's own background callbacks key a result by the callback's arguments, so anyone who
posts the same arguments reads it. A :class:`Jobs` runner instead gives every job a random
id (128 bits) and records its owner; a job is visible only to its owner, and to everyone
else it does not exist (the same message as an unknown id, so ids cannot be probed). Two
users asking the same thing run two jobs.

Jobs run in a small thread pool inside the app process: they share the loaded organisation
and the store's per-thread connections instead of forking the web process. Progress is
reported through a callback; cancelling sets a flag that the next progress report turns
into :class:`Cancelled`. Finished jobs are forgotten after ``keep_seconds``.

Example
-------
>>> jobs = Jobs(workers=1)
>>> job = jobs.submit("ann", lambda progress: 6 * 7)
>>> jobs.wait("ann", job)["result"]
42
>>> jobs.status("bob", job)["state"]
'unknown'
>>> jobs.close()
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from orgbridge.errors import OrgbridgeError

__all__ = ["Cancelled", "JobRunner", "Jobs", "Progress"]

#: What a job function receives: call it with (stage, done, total) to report progress.
Progress = Callable[[str, int, int], None]


class Cancelled(OrgbridgeError):
    """The job's owner cancelled it."""


class JobRunner(Protocol):
    """What the services need of a job runner: :class:`Jobs` (threads of this process) or
    :class:`~orgbridge.app._jobs_celery.CeleryJobs` (a queue and workers)."""

    def submit(self, owner: str, work: Callable[[Progress], Any], *, task: Any = None) -> str:
        """Start a job for ``owner``; its id."""

    def status(self, owner: str, job_id: Any) -> dict[str, Any]:
        """The job's state as its owner sees it (``unknown`` for anyone else)."""

    def wait(self, owner: str, job_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job is finished, then its status."""

    def cancel(self, owner: str, job_id: Any) -> bool:
        """Ask a job of ``owner`` to stop."""

    def close(self) -> None:
        """Release what the runner holds."""


@dataclass
class _Job:
    owner: str
    future: Future[Any]
    started: float
    stage: str = "queued"
    done: int = 0
    total: int = 0
    cancelled: threading.Event = field(default_factory=threading.Event)
    finished: float | None = None


class Jobs:
    """A per-user job runner (see the module docstring).

    Parameters
    ----------
    workers
        Jobs that run at once; more wait in a queue.
    keep_seconds
        How long a finished job's result stays readable.
    per_owner
        Unfinished jobs one owner may have; a new one beyond that cancels their oldest.
    """

    def __init__(self, *, workers: int = 2, keep_seconds: float = 3600.0, per_owner: int = 2):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="orgbridge-job")
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._keep = keep_seconds
        self._per_owner = per_owner

    def submit(self, owner: str, work: Callable[[Progress], Any], *, task: Any = None) -> str:
        """Start ``work(progress)`` for ``owner``; return the job id. ``task`` describes the
        same job for a queue (``CeleryJobs``); this runner runs ``work`` itself."""
        job_id = secrets.token_hex(16)
        with self._lock:
            self._forget_old()
            mine = sorted(
                (j for j in self._jobs.values() if j.owner == owner and j.finished is None),
                key=lambda j: j.started,
            )
            for old in mine[: max(0, len(mine) - self._per_owner + 1)]:
                old.cancelled.set()
            job = _Job(owner, Future(), time.monotonic())
            self._jobs[job_id] = job

        def progress(stage: str, done: int, total: int) -> None:
            if job.cancelled.is_set():
                raise Cancelled("the run was cancelled")
            job.stage, job.done, job.total = stage, done, total

        def run() -> Any:
            try:
                if job.cancelled.is_set():
                    raise Cancelled("the run was cancelled")
                job.stage = "running"
                return work(progress)
            finally:
                job.finished = time.monotonic()

        job.future = self._pool.submit(run)
        return job_id

    def status(self, owner: str, job_id: Any) -> dict[str, Any]:
        """``{"state": "unknown"|"running"|"done"|"failed"|"cancelled", ...}`` of a job of
        ``owner``, with ``stage``/``done``/``total`` while running, ``result`` when done and
        ``error`` (a message) when it failed."""
        job = self._find(owner, job_id)
        if job is None:
            return {"state": "unknown"}
        if not job.future.done():
            return {"state": "running", "stage": job.stage, "done": job.done, "total": job.total}
        error = job.future.exception()
        if isinstance(error, Cancelled):
            return {"state": "cancelled"}
        if isinstance(error, OrgbridgeError):
            return {"state": "failed", "error": str(error)}
        if error is not None:
            return {"state": "failed", "error": f"the run failed ({type(error).__name__})"}
        return {"state": "done", "result": job.future.result()}

    def wait(self, owner: str, job_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job is finished (for tests and the CLI), then its status."""
        job = self._find(owner, job_id)
        if job is not None:
            with contextlib.suppress(TimeoutError):
                job.future.exception(timeout=timeout)
        return self.status(owner, job_id)

    def cancel(self, owner: str, job_id: Any) -> bool:
        """Ask a job of ``owner`` to stop; True if there was such a job still running."""
        job = self._find(owner, job_id)
        if job is None or job.future.done():
            return False
        job.cancelled.set()
        job.future.cancel()
        return True

    def close(self) -> None:
        """Cancel every job and stop the workers."""
        with self._lock:
            for job in self._jobs.values():
                job.cancelled.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _find(self, owner: str, job_id: Any) -> _Job | None:
        if not isinstance(job_id, str) or len(job_id) != 32:
            return None
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or not secrets.compare_digest(job.owner.encode(), owner.encode()):
            return None
        return job

    def _forget_old(self) -> None:
        now = time.monotonic()
        for key in [
            k
            for k, j in self._jobs.items()
            if j.finished is not None and now - j.finished > self._keep
        ]:
            del self._jobs[key]
