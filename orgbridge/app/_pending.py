"""A validated upload awaiting the admin's confirmation, where every app process finds it.

The Data page validates an upload in one request and stores it in a later one, which a
multi-process server may hand to another process. With a folder (the app folder's
``.app-uploads``), the prepared import is kept there as ``pending-<token>.pickle`` (owner-only,
written whole under a temporary name, then renamed), so any process can confirm it; only the
latest upload can be confirmed (a new one replaces the file), and confirming removes it, so
it is stored once even when two processes are asked at the same moment (the rename is
atomic). The token is 128 random bits in hex: nothing a client sends becomes a file name
unless it is exactly that. Pickle files are written and read only by the app itself, in a
folder only its user can read. Without a folder the upload is kept in memory.

Example
-------
>>> import tempfile
>>> pending = PendingUploads(Path(tempfile.mkdtemp()))
>>> token = pending.put({"rows": 3})
>>> PendingUploads(pending.folder).take(token), pending.take(token)
({'rows': 3}, None)
>>> pending.take("../../etc/passwd") is None
True
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

__all__ = ["PendingUploads"]

_TOKEN = re.compile(r"[0-9a-f]{32}")


class PendingUploads:
    """The latest validated upload, by token (see the module docstring)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._memory: dict[str, Any] = {}

    def put(self, prepared: Any) -> str:
        """Keep ``prepared`` as the one pending upload; return its token."""
        token = uuid.uuid4().hex
        if self.folder is None:
            with self._lock:
                self._memory = {token: prepared}
            return token
        descriptor, temporary = tempfile.mkstemp(prefix=".pending-", dir=self.folder)  # 0o600
        try:
            with os.fdopen(descriptor, "wb") as handle:
                pickle.dump(prepared, handle, protocol=pickle.HIGHEST_PROTOCOL)
            for old in self.folder.glob("pending-*.pickle"):
                with contextlib.suppress(FileNotFoundError):
                    old.unlink()
            os.replace(temporary, self._path(token))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return token

    def take(self, token: Any) -> Any:
        """The upload of ``token``, removed from the pending ones; None if there is none."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return None
        if self.folder is None:
            with self._lock:
                return self._memory.pop(token, None)
        path = self._path(token)
        claimed = path.with_name(f".taken-{token}-{uuid.uuid4().hex}")
        try:
            os.replace(path, claimed)  # only one process wins the rename
        except FileNotFoundError:
            return None
        try:
            with open(claimed, "rb") as handle:
                return pickle.load(handle)
        finally:
            claimed.unlink()

    def _path(self, token: str) -> Path:
        assert self.folder is not None
        return self.folder / f"pending-{token}.pickle"
