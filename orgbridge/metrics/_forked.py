"""Run one piece of work in a forked child process while the caller goes on.

igraph's C routines hold the GIL for their whole run (Leiden for a minute at a million
people), so a thread cannot overlap them; a forked child can, and it sees the caller's
graph and its cached structures without copying them (copy-on-write). The child sends its
result (or its error) back through a pipe and exits.

Fork only from a process whose other threads cannot hold locks the child needs (the
command line): a child forked from a threaded server inherits their locks held. Where fork
is not available the work runs in the caller, at :meth:`Forked.result`.

Example
-------
>>> job = Forked.start(lambda: sum(range(10)))
>>> job.result()
45
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from orgbridge.errors import OrgbridgeError

__all__ = ["Forked"]

T = TypeVar("T")


class Forked(Generic[T]):
    """A result being computed in a forked child (or later in the caller)."""

    def __init__(self, work: Callable[[], T], process: Any, pipe: Connection | None) -> None:
        self._work = work
        self._process = process
        self._pipe = pipe

    @classmethod
    def start(cls, work: Callable[[], T]) -> Forked[T]:
        """Start ``work()`` in a forked child (in the caller, later, without fork)."""
        if "fork" not in multiprocessing.get_all_start_methods():
            return cls(work, None, None)
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(work, send), daemon=True)
        process.start()
        send.close()
        return cls(work, process, receive)

    def result(self) -> T:
        """The work's result; its error re-raised here (a child's as it was raised)."""
        if self._process is None or self._pipe is None:
            return self._work()
        try:
            kind, value = self._pipe.recv()
        except EOFError:
            self._process.join()
            raise OrgbridgeError(
                f"a metric's worker process ended without a result (exit code "
                f"{self._process.exitcode}; out of memory?)"
            ) from None
        finally:
            self._pipe.close()
        self._process.join()
        if kind == "error":
            raise value
        result: T = value
        return result


def _child(work: Callable[[], Any], send: Connection) -> None:
    try:
        reply: tuple[str, Any] = ("ok", work())
    except BaseException as error:  # everything goes back to the caller
        try:
            send.send(("error", error))
        except Exception:  # an error that does not pickle: its text still does
            send.send(("error", OrgbridgeError("".join(traceback.format_exception(error)))))
        reply = ("", None)
    if reply[0]:
        send.send(reply)
    send.close()
