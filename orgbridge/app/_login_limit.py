"""Brute-force limit on log-ins: failures per user name and per client address.

After ``per_user`` failures for one user name (known or not, so a lock tells nothing about
which names exist), or ``per_address`` failures from one address, within ``window`` seconds,
every attempt is refused, even with the right password, until the oldest counted failure
leaves the window. A successful log-in clears the user name's failures, not the address's
(an attacker with one account of their own cannot reset the address limit).

The counts live in the web process's memory: a restart clears them, and each process of a
multi-process server counts on its own.

Example
-------
>>> limit = LoginLimit(per_user=2, per_address=10, window=60.0)
>>> limit.failed("kim", "10.0.0.1", now=0.0)
>>> limit.retry_after("kim", "10.0.0.1", now=1.0) is None
True
>>> limit.failed("kim", "10.0.0.1", now=2.0)
>>> limit.retry_after("kim", "10.0.0.1", now=3.0)
57.0
>>> limit.retry_after("kim", "10.0.0.1", now=60.5) is None
True
"""

from __future__ import annotations

import threading
from collections import deque

__all__ = ["LoginLimit"]


class LoginLimit:
    """Sliding-window failure counts per user name and per address (thread-safe).

    Parameters
    ----------
    per_user, per_address
        Failures allowed within the window (at least 1).
    window
        Seconds a failure counts for.
    max_keys
        Bound on the names and addresses tracked (expired ones go first, then the oldest),
        so a flood of made-up names cannot exhaust memory.
    """

    def __init__(
        self,
        *,
        per_user: int = 5,
        per_address: int = 20,
        window: float = 300.0,
        max_keys: int = 100_000,
    ) -> None:
        if per_user < 1 or per_address < 1 or window <= 0 or max_keys < 1:
            raise ValueError("login limits must be positive")
        self.per_user, self.per_address, self.window = per_user, per_address, window
        self._max_keys = max_keys
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("user", username.casefold()), ("address", address)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, username: str, address: str, *, now: float) -> float | None:
        """Seconds until this user name and address may try again, or None if they may now."""
        waits = []
        with self._lock:
            for key, limit in zip(
                self._keys(username, address), (self.per_user, self.per_address), strict=True
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window - now)
        return max(waits) if waits else None

    def locked_by(self, username: str, address: str, *, now: float) -> str | None:
        """``"user"`` or ``"address"``: which limit refuses this attempt, or None."""
        with self._lock:
            if len(self._recent(self._keys(username, address)[0], now)) >= self.per_user:
                return "user"
            if len(self._recent(self._keys(username, address)[1], now)) >= self.per_address:
                return "address"
        return None

    def failed(self, username: str, address: str, *, now: float) -> None:
        """Count one failed attempt."""
        with self._lock:
            for key in self._keys(username, address):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times
            if len(self._failures) > self._max_keys:
                self._prune(now)

    def succeeded(self, username: str) -> None:
        """Clear the user name's failures after a successful log-in."""
        with self._lock:
            self._failures.pop(self._keys(username, "")[0], None)

    def _prune(self, now: float) -> None:
        for key in [k for k, times in self._failures.items() if not self._recent(k, now)]:
            del self._failures[key]
        excess = len(self._failures) - self._max_keys
        for key in list(self._failures)[: max(excess, 0)]:  # oldest first (insertion order)
            del self._failures[key]
