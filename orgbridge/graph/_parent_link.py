"""Calls from a forked child process back to the process that holds a workspace.

DuckDB lets one process hold a database file read-write, and a process forked from it can
neither open the file itself (the parent holds the lock; worse, ``duckdb.connect`` in the
child silently reuses the parent's copied in-memory database, with no lock at all) nor use the
parent's connection (its state is a copy, possibly mid-statement in another thread). So the
work goes back to the parent: the parent serves the store's methods on a local socket and the
child sends each call there.

The socket is a Unix socket in a fresh ``0o700`` temporary folder, and a client must answer an
HMAC challenge on a random 32-byte key before anything it sends is read; only the parent and
the processes forked from it hold that key (in memory, never on disk or in the environment).

Example
-------
>>> server = ParentServer(lambda name, args, kwargs: (name, args, kwargs))
>>> link = ParentLink(server.address, server.authkey)
>>> link.call("load_metrics", ("exposure",), {})
('load_metrics', ('exposure',), {})
>>> link.close(); server.close()
"""

from __future__ import annotations

import os
import pickle
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from contextlib import suppress
from multiprocessing import AuthenticationError
from multiprocessing.connection import (  # type: ignore[attr-defined]
    Client,
    Connection,
    Listener,
    answer_challenge,
    deliver_challenge,
)
from typing import Any

from orgbridge.errors import StoreError

__all__ = ["Handler", "ParentLink", "ParentServer"]

#: Runs one call in the parent: ``(method name, args, kwargs) -> result``.
Handler = Callable[[str, tuple[Any, ...], dict[str, Any]], Any]


class ParentServer:
    """Serves ``handler`` on an authenticated Unix socket, one thread per connected child."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.authkey = secrets.token_bytes(32)
        self._folder = tempfile.mkdtemp(prefix="orgbridge-")  # 0o700 by definition
        self.address = os.path.join(self._folder, "parent.sock")
        self._listener = Listener(self.address, family="AF_UNIX")
        self._closed = False
        self._lock = threading.Lock()
        self._connections: list[Connection] = []
        self.pid = os.getpid()
        self._thread = threading.Thread(
            target=self._accept, name="orgbridge-parent-link", daemon=True
        )
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    connection.close()
                    return
                self._connections.append(connection)
            threading.Thread(
                target=self._serve, args=(connection,), name="orgbridge-parent-call", daemon=True
            ).start()

    def _serve(self, connection: Connection) -> None:
        try:
            deliver_challenge(connection, self.authkey)
            answer_challenge(connection, self.authkey)
            while True:
                name, args, kwargs = connection.recv()
                try:
                    reply: tuple[str, Any] = ("ok", self._handler(name, args, kwargs))
                except Exception as error:
                    reply = ("error", _portable(error))
                connection.send(reply)
        except (EOFError, OSError, AuthenticationError, ValueError, TypeError):
            pass  # the child went away, or was not one of ours
        finally:
            connection.close()
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)

    def close(self) -> None:
        """Stop serving (children calling later get a :class:`StoreError`)."""
        if os.getpid() != self.pid:
            return  # a forked copy: the socket and its threads are the parent's
        with self._lock:
            if self._closed:
                return
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            _hang_up(connection)
        with suppress(OSError):  # wake the accept() call so its thread ends
            Client(self.address, family="AF_UNIX").close()
        self._listener.close()
        self._thread.join(timeout=5)
        shutil.rmtree(self._folder, ignore_errors=True)


def _hang_up(connection: Connection) -> None:
    """Wake the thread reading ``connection`` (it reads end-of-file, then closes it).

    Closing the descriptor here instead would race that thread's own close: the second close
    fails, or worse closes a descriptor that was reused meanwhile.
    """
    with suppress(OSError, ValueError):
        duplicate = socket.socket(fileno=os.dup(connection.fileno()))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()


class ParentLink:
    """A child's connection to its parent's :class:`ParentServer` (opened on first call)."""

    def __init__(self, address: str, authkey: bytes) -> None:
        self._address = address
        self._authkey = authkey
        self._lock = threading.Lock()
        self._connection: Connection | None = None

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run ``name(*args, **kwargs)`` in the parent and return its result (or raise its
        error).

        Raises
        ------
        StoreError
            The parent cannot be reached (it closed the workspace or ended).
        """
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = Client(
                        self._address, family="AF_UNIX", authkey=self._authkey
                    )
                self._connection.send((name, args, kwargs))
                status, value = self._connection.recv()
            except (OSError, EOFError, AuthenticationError) as err:
                self._drop()
                raise StoreError(
                    f"the workspace is held by the parent process {os.getppid()}, which no"
                    f" longer answers ({type(err).__name__}: {err}); it may have closed the"
                    " workspace or ended"
                ) from err
        if status == "error":
            raise value
        return value

    def _drop(self) -> None:
        if self._connection is not None:
            with suppress(OSError):
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        """Disconnect from the parent (the parent's workspace stays open)."""
        with self._lock:
            self._drop()


def _portable(error: Exception) -> Exception:
    """``error`` if it survives pickling, else a StoreError with its message."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return StoreError(f"{type(error).__name__}: {error}")
    return error
