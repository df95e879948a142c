"""Saved views: a page's grouping and map settings stored under a name, shared by a link.

Views live in one JSON file in the app folder, readable by the server's user only (written
``0o600`` through a temporary file and an atomic rename). This module only checks shapes: a
name of at most 60 letters, digits, spaces and simple punctuation; an id of 16 URL-safe
characters; a state with only the allow-listed keys, each of the expected type and length.
What a state *means* for a viewer (which groups and people they may see) is decided again by
the services every time a view is restored, so a hostile link or an edited file cannot show
more than the viewer's role allows.

Example
-------
>>> import tempfile, pathlib
>>> store = ViewStore(pathlib.Path(tempfile.mkdtemp()) / VIEWS_FILE)
>>> view_id = store.save("ann", "analyst", "Sales and Finance", "silos", {"view": "groups"})
>>> store.get(view_id)["name"], store.get("no-such-view-id!")
('Sales and Finance', None)
>>> check_view_name("<script>")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
orgbridge.errors.ParameterError: a view's name may have 1 to 60 letters, digits, spaces and ...
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orgbridge.disclosure._params import shown
from orgbridge.errors import ParameterError

__all__ = [
    "MAX_VIEWS",
    "VIEWS_FILE",
    "ViewStore",
    "check_view_id",
    "check_view_name",
    "clean_state",
]

VIEWS_FILE = "views.json"
#: The most views one app folder keeps (a hostile client cannot fill the disk).
MAX_VIEWS = 5000
#: The most views one user may own.
MAX_VIEWS_PER_USER = 200
PAGES = ("silos",)
_NAME = re.compile(r"[\w][\w .,'()-]{0,59}")
_ID = re.compile(r"[A-Za-z0-9_-]{16}")
#: What a state may hold: key -> (type, longest text or list).
_STATE: dict[str, tuple[type | tuple[type, ...], int]] = {
    "group_by": (str, 200),
    "view": (str, 20),
    "group": (str, 200),
    "groups": (list, 8),
    "person": (str, 200),
    "steps": (int, 0),
    "colour": (str, 200),
    "size": (str, 200),
    "min_share": (int, 0),
    "matrix": (str, 20),
}


def check_view_name(value: Any) -> str:
    """A view's name, stripped, or ParameterError."""
    text = value.strip() if isinstance(value, str) else None
    if text is None or _NAME.fullmatch(text) is None:
        raise ParameterError(
            "a view's name may have 1 to 60 letters, digits, spaces and . , - ' ( ) _ "
            f"(got {shown(value)})"
        )
    return text


def check_view_id(value: Any) -> str | None:
    """The view id of a link, or None when it is not one (never raises: links are hostile)."""
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def clean_state(state: Any) -> dict[str, Any]:
    """Only the allow-listed keys of ``state`` whose values have the expected type and size.

    Example
    -------
    >>> clean_state({"view": "groups", "steps": "2", "groups": ["A", 3], "evil": 1})
    {'view': 'groups', 'groups': ['A']}
    """
    if not isinstance(state, dict):
        return {}
    found: dict[str, Any] = {}
    for key, (kind, longest) in _STATE.items():
        value = state.get(key)
        if kind is int:
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
                found[key] = value
        elif kind is str:
            if isinstance(value, str) and 0 < len(value) <= longest:
                found[key] = value
        elif isinstance(value, list):
            found[key] = [v for v in value[:longest] if isinstance(v, str) and len(v) <= 200]
    return found


class ViewStore:
    """Saved views in one owner-only JSON file: ``{id: {name, owner, role, page, state}}``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the views file for a read-modify-write: a thread lock in this process and an
        ``flock`` on a lock file beside it, so app processes serving one folder (gunicorn
        workers) never lose each other's saves. Reads need no lock (writes are atomic)."""
        with self._lock:
            lock_path = self.path.with_name(f".{self.path.name}.lock")
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                yield
            finally:
                os.close(descriptor)  # closing releases the flock

    def _write(self, views: dict[str, Any]) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(views, handle)
        os.replace(temporary, self.path)

    def save(self, owner: str, role: str, name: Any, page: Any, state: Any) -> str:
        """Store a view and return its id (a new random id each time)."""
        name = check_view_name(name)
        if page not in PAGES:
            raise ParameterError(f"views can be saved on these pages: {', '.join(PAGES)}")
        with self._exclusive():
            views = self._read()
            mine = sum(1 for v in views.values() if v.get("owner") == owner)
            if mine >= MAX_VIEWS_PER_USER or len(views) >= MAX_VIEWS:
                raise ParameterError(
                    f"too many saved views (at most {MAX_VIEWS_PER_USER} per user)"
                )
            view_id = secrets.token_urlsafe(12)[:16]
            views[view_id] = {
                "name": name,
                "owner": owner,
                "role": role,
                "page": page,
                "state": clean_state(state),
            }
            self._write(views)
        return view_id

    def get(self, view_id: Any) -> dict[str, Any] | None:
        """The view with this id (its state cleaned again), or None."""
        key = check_view_id(view_id)
        if key is None:
            return None
        with self._lock:
            found = self._read().get(key)
        if not isinstance(found, dict):
            return None
        return {
            "id": key,
            "name": str(found.get("name", "")),
            "owner": str(found.get("owner", "")),
            "page": str(found.get("page", "")),
            "state": clean_state(found.get("state")),
        }
