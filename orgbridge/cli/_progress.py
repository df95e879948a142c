"""Progress on a terminal for long commands (silent when output is not a terminal)."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["TerminalProgress"]


class TerminalProgress:
    """A callable ``progress(stage, done, total)`` that redraws one status line.

    Example
    -------
    >>> import io
    >>> with TerminalProgress(stream=io.StringIO()) as progress:
    ...     progress("reading staff.csv", 5, 10)
    """

    def __init__(self, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled and self._stream.isatty()
        self._last = 0.0
        self._started = time.monotonic()
        self._drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        share = f" {100 * done / total:5.1f}%" if total else ""
        elapsed = now - self._started
        self._stream.write(f"\r\033[K{stage}{share} ({elapsed:.1f} s)")
        self._stream.flush()
        self._drawn = True

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._drawn:
            self._stream.write("\r\033[K")
            self._stream.flush()
