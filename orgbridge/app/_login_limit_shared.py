"""The log-in limit shared by every process of the app: failures counted in SQLite.

:class:`~orgbridge.app._login_limit.LoginLimit` counts in one process's memory, so a server
with four processes would allow four times the attempts. :class:`SharedLoginLimit` keeps the
same rules (failures per user name and per address within a sliding window; a success clears
the user name's failures) in a SQLite file in the app folder, which every process on the host
opens per call (WAL journal, a few milliseconds of waiting at most). Old rows are deleted as
new ones are counted, so the file stays small.

Example
-------
>>> import tempfile
>>> from pathlib import Path
>>> path = Path(tempfile.mkdtemp()) / "failures.sqlite"
>>> one, other = SharedLoginLimit(path, per_user=2), SharedLoginLimit(path, per_user=2)
>>> one.failed("kim", "10.0.0.1", now=0.0); other.failed("kim", "10.0.0.2", now=1.0)
>>> one.locked_by("kim", "10.0.0.3", now=2.0), one.retry_after("kim", "10.0.0.3", now=2.0)
('user', 298.0)
>>> other.succeeded("kim"); one.locked_by("kim", "10.0.0.3", now=3.0) is None
True
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from orgbridge.app._login_limit import LoginLimit

__all__ = ["SharedLoginLimit"]


class SharedLoginLimit(LoginLimit):
    """:class:`LoginLimit` with its counts in the SQLite file ``path`` (created 0o600)."""

    def __init__(
        self,
        path: str | Path,
        *,
        per_user: int = 5,
        per_address: int = 20,
        window: float = 300.0,
    ) -> None:
        super().__init__(per_user=per_user, per_address=per_address, window=window)
        self.path = Path(path)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with self._table() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at)")

    @contextlib.contextmanager
    def _table(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def _times(self, db: sqlite3.Connection, key: str, now: float) -> list[float]:
        rows = db.execute(
            "SELECT at FROM failures WHERE key = ? AND at > ? ORDER BY at",
            (key, now - self.window),
        ).fetchall()
        return [float(r[0]) for r in rows]

    def _names(self, username: str, address: str) -> tuple[str, str]:
        user, where = self._keys(username, address)
        return "user\x00" + user[1], "address\x00" + where[1]

    def retry_after(self, username: str, address: str, *, now: float) -> float | None:
        """Seconds until this user name and address may try again, or None if they may now."""
        waits = []
        with self._table() as db:
            for key, limit in zip(
                self._names(username, address), (self.per_user, self.per_address), strict=True
            ):
                times = self._times(db, key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window - now)
        return max(waits) if waits else None

    def locked_by(self, username: str, address: str, *, now: float) -> str | None:
        """``"user"`` or ``"address"``: which limit refuses this attempt, or None."""
        user, where = self._names(username, address)
        with self._table() as db:
            if len(self._times(db, user, now)) >= self.per_user:
                return "user"
            if len(self._times(db, where, now)) >= self.per_address:
                return "address"
        return None

    def failed(self, username: str, address: str, *, now: float) -> None:
        """Count one failed attempt (and forget failures older than the window)."""
        with self._table() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM failures WHERE at <= ?", (now - self.window,))
            db.executemany(
                "INSERT INTO failures (key, at) VALUES (?, ?)",
                [(key, now) for key in self._names(username, address)],
            )
            db.execute("COMMIT")

    def succeeded(self, username: str) -> None:
        """Clear the user name's failures after a successful log-in."""
        with self._table() as db:
            db.execute("DELETE FROM failures WHERE key = ?", (self._names(username, "")[0],))
