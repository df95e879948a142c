"""Login sessions checked on the server on every request.

The signed Flask cookie alone is not trusted: it only carries a *claim*
``{username, role, version, sid, issued}``. A claim names a user only while

- it is younger than the session lifetime (``issued``, checked here, not only by the cookie's
  expiry date, which a client may keep or change);
- its session id is still live in the server-side session table (a SQLite file in the app
  folder; logging out deletes the row, so a copied or replayed cookie fails afterwards
  while the user's other devices stay logged in);
- the user still exists in the users file with the same role and the same session version
  (password change, role change, removal and "log out everywhere" all change or remove it,
  which ends every session of that user at once).

The users file is re-read only when its size, modification time or inode change, so the check
costs one ``stat`` and one indexed SQLite look-up. The table is opened per call, which is safe
across threads and across the processes that run background jobs.

Example
-------
>>> import tempfile
>>> from orgbridge.app.auth import add_user
>>> folder = Path(tempfile.mkdtemp())
>>> add_user(folder / "users.json", "kim", "a long password", "analyst")
>>> sessions = Sessions(folder / "users.json", folder / "sessions.sqlite")
>>> claim = sessions.start(User("kim", "analyst"), now=1000.0)
>>> sessions.user(claim, now=1001.0)
User(username='kim', role='analyst')
>>> sessions.end(claim)
>>> sessions.user(claim, now=1002.0) is None
True
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from orgbridge.app.auth import ROLES, User, end_sessions, load_users
from orgbridge.errors import OrgbridgeError

__all__ = ["DEFAULT_LIFETIME", "SESSION_KEY", "Sessions", "UserDirectory"]

#: Where the claim lives inside the Flask session.
SESSION_KEY = "orgbridge_user"
DEFAULT_LIFETIME = timedelta(hours=8)
_CLOCK_SKEW = 60.0  # seconds a claim may seem to come from the future (several processes)
_log = logging.getLogger(__name__)


class UserDirectory:
    """The users file, re-read only when it changes on disk.

    A file that cannot be read or parsed counts as having no users (every session is refused),
    and the problem is logged.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # (stamp, users), replaced as one object: no lock, so a forked background job can
        # never inherit one held by another thread
        self._cache: tuple[tuple[int, int, int] | None, dict[str, dict[str, str]]] = (None, {})

    def get(self, username: str) -> dict[str, str] | None:
        """The user's record as the file holds it now, or None."""
        try:
            found = os.stat(self.path)
            stamp = (found.st_mtime_ns, found.st_size, found.st_ino)
        except OSError:
            return None
        cached_stamp, users = self._cache
        if stamp != cached_stamp:
            try:
                users = load_users(self.path)
            except (OSError, OrgbridgeError) as error:
                _log.error("users file unreadable, refusing every session: %s", error)
                users = {}
            self._cache = (stamp, users)
        return users.get(username)


def _digest(sid: str) -> str:
    # the table stores a hash, so reading it does not hand out live session ids
    return hashlib.sha256(sid.encode()).hexdigest()


class Sessions:
    """Issue, check and end login sessions (see the module docstring).

    Parameters
    ----------
    users_file
        The users file.
    table
        The SQLite file of live sessions (created if missing, mode 0o600).
    lifetime
        How long a session lives after login (default 8 hours).
    """

    def __init__(
        self,
        users_file: str | Path,
        table: str | Path,
        *,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> None:
        if lifetime.total_seconds() <= 0:
            raise ValueError("the session lifetime must be positive")
        self.users = UserDirectory(users_file)
        self.table = Path(table)
        self.lifetime = lifetime
        if not self.table.exists():
            os.close(os.open(self.table, os.O_CREAT | os.O_WRONLY, 0o600))
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS sessions ("
                "sid TEXT PRIMARY KEY, username TEXT NOT NULL, expires REAL NOT NULL)"
            )

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.table, timeout=10.0)
        try:
            with db:  # one transaction, committed on success
                yield db
        finally:
            db.close()

    def start(self, user: User, *, now: float | None = None) -> dict[str, Any]:
        """Open a session for a user who just proved their password; returns the claim.

        Store the claim in the Flask session under :data:`SESSION_KEY`.
        """
        now = time.time() if now is None else now
        record = self.users.get(user.username)
        sid = secrets.token_urlsafe(24)
        expires = now + self.lifetime.total_seconds()
        with self._connect() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            db.execute(
                "INSERT INTO sessions (sid, username, expires) VALUES (?, ?, ?)",
                (_digest(sid), user.username, expires),
            )
        return {
            "username": user.username,
            "role": user.role,
            "version": (record or {}).get("session_version", ""),
            "sid": sid,
            "issued": now,
        }

    def user(self, claim: Any, *, now: float | None = None) -> User | None:
        """The user a claim still names, or None (see the module docstring for the checks)."""
        if not isinstance(claim, Mapping):
            return None
        username, role, version = claim.get("username"), claim.get("role"), claim.get("version")
        sid, issued = claim.get("sid"), claim.get("issued")
        if not (
            isinstance(username, str)
            and role in ROLES
            and isinstance(version, str)
            and isinstance(sid, str)
            and isinstance(issued, int | float)
        ):
            return None
        now = time.time() if now is None else now
        if not -_CLOCK_SKEW <= now - float(issued) <= self.lifetime.total_seconds():
            return None
        record = self.users.get(username)
        if record is None or record.get("role") != role:
            return None
        if record.get("session_version", "") != version:
            return None
        with self._connect() as db:
            row = db.execute(
                "SELECT username, expires FROM sessions WHERE sid = ?", (_digest(sid),)
            ).fetchone()
        if row is None or row[0] != username or row[1] < now:
            return None
        return User(username, str(role))

    def end(self, claim: Any) -> None:
        """End one session (plain log-out): its id is no longer live."""
        sid = claim.get("sid") if isinstance(claim, Mapping) else None
        if isinstance(sid, str):
            with self._connect() as db:
                db.execute("DELETE FROM sessions WHERE sid = ?", (_digest(sid),))

    def end_everywhere(self, user: User) -> None:
        """End every session of a user, on every device (new session version)."""
        end_sessions(self.users.path, user.username)
        with self._connect() as db:
            db.execute("DELETE FROM sessions WHERE username = ?", (user.username,))

    def live(self, *, now: float | None = None) -> int:
        """How many sessions are live (not ended, not expired)."""
        now = time.time() if now is None else now
        with self._connect() as db:
            count = db.execute("SELECT COUNT(*) FROM sessions WHERE expires >= ?", (now,))
            return int(count.fetchone()[0])
