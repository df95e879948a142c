"""The app's two persistent secrets: one signs session cookies, one keys analysts' pseudonyms.

They are separate so that neither can be derived from the other: rotating the session key
(which logs everyone out) leaves pseudonyms unchanged, and a leaked pseudonym key cannot forge a
session. Each is 32 random bytes in hex, in its own file of mode 0o600 in the app folder,
created on first use. A workspace from before the split has one ``.app-secret``, which used to
key the pseudonyms too: it becomes the pseudonym key (so today's 16-digit pseudonyms extend the
8-digit ones analysts may have noted) and the session key is new (everyone logs in again).

Example
-------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> session, pseudonym = app_keys(folder)
>>> session != pseudonym and len(session) == len(pseudonym) == 32
True
>>> app_keys(folder) == (session, pseudonym)
True
>>> oct((folder / SESSION_KEY_FILE).stat().st_mode & 0o777)
'0o600'
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from orgbridge.errors import ParameterError

__all__ = ["PSEUDONYM_KEY_FILE", "SESSION_KEY_FILE", "app_keys"]

SESSION_KEY_FILE = ".app-session-key"
PSEUDONYM_KEY_FILE = ".app-pseudonym-key"
_LEGACY_FILE = ".app-secret"


def _key(path: Path) -> bytes:
    if not path.exists():
        # written whole under a temporary name, then linked: no reader sees a half-written key
        descriptor, temporary = tempfile.mkstemp(prefix=".key-", dir=path.parent)  # 0o600
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):  # another process was first: theirs
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # readable by others: tighten before use
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except ValueError as error:
        raise ParameterError(f"{path}: not a key file (expected hex digits)") from error
    if len(key) < 16:
        raise ParameterError(f"{path}: key too short ({len(key)} bytes; expected 32)")
    return key


def app_keys(folder: str | Path) -> tuple[bytes, bytes]:
    """``(session_key, pseudonym_key)`` of the app folder, created on first use.

    Raises
    ------
    ParameterError
        A key file holds something other than at least 16 bytes in hex.
    """
    folder = Path(folder)
    legacy, pseudonyms = folder / _LEGACY_FILE, folder / PSEUDONYM_KEY_FILE
    if legacy.exists() and not pseudonyms.exists():
        legacy.rename(pseudonyms)
    return _key(folder / SESSION_KEY_FILE), _key(pseudonyms)
