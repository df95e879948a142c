"""Jobs in a real queue: Celery with Redis, bound to the user who started them.

Dash's documented production path for long callbacks is its ``CeleryManager``, but it keys a
result by the callback's arguments, so anyone posting the same arguments reads it (see
:mod:`orgbridge.app._jobs`). :class:`CeleryJobs` keeps the :class:`~orgbridge.app._jobs.Jobs`
interface and its guarantees on a Celery queue instead:

- the job id is 128 random bits; the owner is recorded in Redis beside it
  (``orgbridge:job:<id>``, expiring with the result), and status, result and cancel answer
  only the owner (anyone else gets ``unknown``, as for an id that never existed);
- the task message names a job kind (``recommend``, ``store_upload`` of a validated upload
  in the app folder, ``analyze``) and its parsed parameters, and carries an
  HMAC-SHA256 under the app folder's queue key (``.app-queue-key``): a worker runs only
  messages an app process of the same folder sent, never one written into Redis by hand;
- cancelling sets a flag in Redis that the job's next progress report turns into
  :class:`~orgbridge.app._jobs.Cancelled` (and revokes it if it is still queued);
- one owner has at most ``per_owner`` unfinished jobs: a new one cancels their oldest;
- results expire after ``keep_seconds`` (Celery's ``result_expires`` and the owner key).

The worker (``orgbridge worker``) opens the same store and app folder and runs each job with
:class:`~orgbridge.app.services.Services`, after following the store's data stamp; it checks
the user's role again, and reads pending uploads from the app folder's ``.app-uploads``.

Example
-------
>>> sign(b"k" * 32, {"kind": "recommend"}) == sign(b"k" * 32, {"kind": "recommend"})
True
>>> sign(b"k" * 32, {"kind": "recommend"}) == sign(b"x" * 32, {"kind": "recommend"})
False
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orgbridge.app._jobs import Cancelled, Progress
from orgbridge.errors import OrgbridgeError, ParameterError

__all__ = ["QUEUE_KEY_FILE", "CeleryJobs", "celery_app", "queue_key", "sign", "start_worker"]

QUEUE_KEY_FILE = ".app-queue-key"
_PREFIX = "orgbridge:job:"
_TASK = "orgbridge.job"
_log = logging.getLogger(__name__)


def queue_key(app_folder: str | Path) -> bytes:
    """The app folder's key that signs task messages (created on first use, 0o600)."""
    from orgbridge.app._keys import _key

    return _key(Path(app_folder) / QUEUE_KEY_FILE)


def sign(key: bytes, message: dict[str, Any]) -> str:
    """HMAC-SHA256 of ``message`` (canonical JSON) under ``key``, in hex."""
    text = json.dumps(message, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def celery_app(queue: str, *, keep_seconds: float = 3600.0) -> Any:
    """A Celery app on the Redis at ``queue`` (broker and results), JSON messages only."""
    from celery import Celery

    if not queue.startswith(("redis://", "rediss://", "unix://")):
        raise ParameterError(f"--queue must be a redis:// URL (got {queue!r})")
    app = Celery("orgbridge", broker=queue, backend=queue, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        result_expires=int(keep_seconds),
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        broker_transport_options={"visibility_timeout": 6 * 3600},
    )
    return app


def _owner_key(job_id: str) -> str:
    return f"{_PREFIX}{job_id}"


def _cancel_key(job_id: str) -> str:
    return f"{_PREFIX}{job_id}:cancel"


def _owner_list(owner: str) -> str:
    return f"{_PREFIX}owner:{hashlib.sha256(owner.encode()).hexdigest()}"


class CeleryJobs:
    """The :class:`~orgbridge.app._jobs.Jobs` interface on a Celery queue (see the module
    docstring).

    Parameters
    ----------
    queue
        The Redis URL (``redis://127.0.0.1:6379/0``).
    key
        The app folder's queue key (:func:`queue_key`).
    keep_seconds, per_owner
        As for :class:`~orgbridge.app._jobs.Jobs`.
    """

    def __init__(
        self, queue: str, key: bytes, *, keep_seconds: float = 3600.0, per_owner: int = 2
    ) -> None:
        import redis

        self.app = celery_app(queue, keep_seconds=keep_seconds)
        self._redis: Any = redis.Redis.from_url(queue)
        self._key = key
        self._keep = int(keep_seconds)
        self._per_owner = per_owner

    def submit(
        self,
        owner: str,
        work: Callable[[Progress], Any],
        *,
        task: Any = None,
    ) -> str:
        """Queue the job ``task`` (kind, JSON-able arguments) for ``owner``; ``work`` is the
        in-process form of the same job, which a queue cannot carry."""
        if task is None:
            raise ParameterError("this job cannot run in the queue (no task description)")
        kind, arguments = task
        job_id = secrets.token_hex(16)
        started = time.time()
        mine = _owner_list(owner)
        for old in self._redis.zrange(mine, 0, -1):
            old_id = old.decode()
            if self.status(owner, old_id)["state"] != "running":
                self._redis.zrem(mine, old_id)
        unfinished = [o.decode() for o in self._redis.zrange(mine, 0, -1)]
        for old_id in unfinished[: max(0, len(unfinished) - self._per_owner + 1)]:
            self.cancel(owner, old_id)
        pipe = self._redis.pipeline()
        pipe.set(_owner_key(job_id), owner, ex=self._keep)
        pipe.zadd(mine, {job_id: started})
        pipe.expire(mine, self._keep)
        pipe.execute()
        message = {"job_id": job_id, "kind": kind, "owner": owner, "arguments": arguments}
        self.app.send_task(
            _TASK, args=[message, sign(self._key, message)], task_id=job_id, expires=self._keep
        )
        return job_id

    def _owns(self, owner: str, job_id: Any) -> bool:
        if not isinstance(job_id, str) or len(job_id) != 32:
            return False
        found = self._redis.get(_owner_key(job_id))
        return found is not None and secrets.compare_digest(found, owner.encode())

    def status(self, owner: str, job_id: Any) -> dict[str, Any]:
        """As :meth:`Jobs.status <orgbridge.app._jobs.Jobs.status>`."""
        if not self._owns(owner, job_id):
            return {"state": "unknown"}
        result = self.app.AsyncResult(job_id)
        state, info = result.state, result.info
        if state == "SUCCESS" and isinstance(info, dict):
            outcome = info.get("outcome")
            if outcome == "done":
                return {"state": "done", "result": info.get("result")}
            if outcome == "cancelled":
                return {"state": "cancelled"}
            return {"state": "failed", "error": str(info.get("error", "the run failed"))}
        if state == "REVOKED":
            return {"state": "cancelled"}
        if state == "FAILURE":
            return {"state": "failed", "error": "the run failed in the worker"}
        if state == "PROGRESS" and isinstance(info, dict):
            return {
                "state": "running",
                "stage": str(info.get("stage", "running")),
                "done": int(info.get("done", 0)),
                "total": int(info.get("total", 0)),
            }
        return {"state": "running", "stage": "queued", "done": 0, "total": 0}

    def wait(self, owner: str, job_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Poll until the job is finished (or ``timeout`` seconds), then its status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            found = self.status(owner, job_id)
            if found["state"] != "running" or (
                deadline is not None and time.monotonic() > deadline
            ):
                return found
            time.sleep(0.1)

    def cancel(self, owner: str, job_id: Any) -> bool:
        """Ask a job of ``owner`` to stop; True if there was such a job still running."""
        if self.status(owner, job_id)["state"] != "running":
            return False
        self._redis.set(_cancel_key(job_id), b"1", ex=self._keep)
        self.app.control.revoke(job_id)
        return True

    def close(self) -> None:
        """Release the Redis connections."""
        self._redis.close()


# ---- the worker side ---------------------------------------------------------------------

#: Job kinds a worker runs: ``kind -> function(services, message, progress) -> JSON-able``.
_KINDS: dict[str, Callable[[Any, dict[str, Any], Progress], Any]] = {}


def _recommend(services: Any, arguments: dict[str, Any], progress: Progress) -> Any:
    from orgbridge.app.auth import User

    user = User(str(arguments["username"]), str(arguments["role"]))
    if int(arguments["min_group"]) != services.min_group:
        raise ParameterError(
            f"the worker's privacy threshold ({services.min_group}) differs from the app's "
            f"({arguments['min_group']}): start both with the same one"
        )
    return services.recommend_job(user, arguments["parameters"], progress)


def _store_upload(services: Any, arguments: dict[str, Any], progress: Progress) -> Any:
    from orgbridge.app.auth import User

    user = User(str(arguments["username"]), str(arguments["role"]))
    return services.store_upload_job(user, arguments["token"], progress)


def _analyze(services: Any, arguments: dict[str, Any], progress: Progress) -> Any:
    from orgbridge.app.auth import User

    user = User(str(arguments["username"]), str(arguments["role"]))
    return services.analysis_job(user, int(arguments["min_group"]), progress)


_KINDS["recommend"] = _recommend
_KINDS["store_upload"] = _store_upload
_KINDS["analyze"] = _analyze


def _json_ready(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers (what Celery's JSON can carry)."""

    def plain(item: Any) -> Any:
        converted = getattr(item, "item", None)
        if callable(converted):
            return converted()
        return str(item)

    return json.loads(json.dumps(value, default=plain))


def register_task(app: Any, services: Callable[[], Any], key: bytes, queue: str) -> Any:
    """Register the job task on ``app``; ``services()`` gives the worker's Services."""
    import redis

    client = redis.Redis.from_url(queue)
    keep = int(app.conf.result_expires or 3600)
    lock = threading.Lock()

    @app.task(bind=True, name=_TASK)  # type: ignore[untyped-decorator]
    def run_job(task: Any, message: Any, signature: Any) -> dict[str, Any]:
        if (
            not isinstance(message, dict)
            or not isinstance(signature, str)
            or not hmac.compare_digest(sign(key, message), signature)
            or message.get("kind") not in _KINDS
            or message.get("job_id") != task.request.id
        ):
            _log.error("refused a job message that no app of this folder signed")
            return {"outcome": "failed", "error": "the job was refused"}
        job_id = str(message["job_id"])

        def progress(stage: str, done: int, total: int) -> None:
            if client.exists(_cancel_key(job_id)):
                raise Cancelled("the run was cancelled")
            task.update_state(
                state="PROGRESS", meta={"stage": stage, "done": int(done), "total": int(total)}
            )

        try:
            progress("running", 0, 0)
            with lock:  # one refresh at a time; the jobs themselves run in parallel
                found = services()
                found.refresh()
            result = _KINDS[message["kind"]](found, message["arguments"], progress)
            outcome = {"outcome": "done", "result": _json_ready(result)}
        except Cancelled:
            outcome = {"outcome": "cancelled"}
        except OrgbridgeError as error:
            outcome = {"outcome": "failed", "error": str(error)}
        except Exception as error:
            _log.exception("job %s failed", job_id)
            outcome = {"outcome": "failed", "error": f"the run failed ({type(error).__name__})"}
        client.expire(_owner_key(job_id), keep)
        return outcome

    return run_job


def start_worker(
    queue: str,
    services: Callable[[], Any],
    key: bytes,
    *,
    concurrency: int = 2,
    keep_seconds: float = 3600.0,
) -> None:
    """Run a Celery worker for the jobs until it is stopped (SIGTERM or Ctrl-C). Jobs run in
    threads of this process and share its loaded organisation."""
    app = celery_app(queue, keep_seconds=keep_seconds)
    register_task(app, services, key, queue)
    app.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            "--pool=threads",
            f"--concurrency={int(concurrency)}",
            "--without-gossip",
            "--without-mingle",
            "--hostname=orgbridge@%h",
        ]
    )
