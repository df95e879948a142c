"""A validated upload awaiting the admin's confirmation, where every app process finds it.

The Data page validates an upload in one request and stores it in a later one, which a
multi-process server may hand to another process. With a folder (the app folder's
``.app-uploads``), the prepared import is kept there as ``pending-<token>-<user>.pickle``
(owner-only, written whole under a temporary name, then renamed; ``<user>`` a hash of who
validated it), so any process (an app process or a queue's worker) can store it; only the
latest upload can be confirmed (a new one replaces the file), and confirming removes it, so
it is stored once even when two processes are asked at the same moment (the rename is
atomic). An upload is bound to the user who validated it: another user's token, or the
token with another user, finds nothing (and leaves the upload pending). The token is 128
random bits in hex: nothing a client sends becomes a file name unless it is exactly that.
Pickle files are written and read only by the app itself, in a folder only its user can
read. Without a folder the upload is kept in memory.

Example
-------
>>> import tempfile
>>> pending = PendingUploads(Path(tempfile.mkdtemp()))
>>> token = pending.put({"rows": 3}, owner="ann")
>>> pending.take(token, owner="bob"), pending.has(token, owner="ann")
(None, True)
>>> PendingUploads(pending.folder).take(token, owner="ann"), pending.take(token, owner="ann")
({'rows': 3}, None)
>>> pending.take("../../etc/passwd") is None
True
"""

from __future__ import annotations

import contextlib
import hashlib
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

    def put(self, prepared: Any, *, owner: str = "") -> str:
        """Keep ``prepared`` as the one pending upload, for ``owner``; return its token."""
        token = uuid.uuid4().hex
        if self.folder is None:
            with self._lock:
                self._memory = {_key(token, owner): prepared}
            return token
        descriptor, temporary = tempfile.mkstemp(prefix=".pending-", dir=self.folder)  # 0o600
        try:
            with os.fdopen(descriptor, "wb") as handle:
                pickle.dump(prepared, handle, protocol=pickle.HIGHEST_PROTOCOL)
            for old in self.folder.glob("pending-*.pickle"):
                with contextlib.suppress(FileNotFoundError):
                    old.unlink()
            os.replace(temporary, self._path(token, owner))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return token

    def has(self, token: Any, *, owner: str = "") -> bool:
        """Whether ``token`` is the pending upload of ``owner`` (nothing is taken)."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return False
        if self.folder is None:
            with self._lock:
                return _key(token, owner) in self._memory
        return self._path(token, owner).exists()

    def take(self, token: Any, *, owner: str = "") -> Any:
        """The upload of ``token`` validated by ``owner``, removed from the pending ones;
        None if there is none (another user's upload stays pending)."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return None
        if self.folder is None:
            with self._lock:
                return self._memory.pop(_key(token, owner), None)
        path = self._path(token, owner)
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

    def _path(self, token: str, owner: str) -> Path:
        assert self.folder is not None
        return self.folder / f"pending-{_key(token, owner)}.pickle"


def _key(token: str, owner: str) -> str:
    """The token and a hash of its owner (a file name part: hex digits and a dash)."""
    return f"{token}-{hashlib.sha256(owner.encode()).hexdigest()[:32]}"
