"""Users, roles and the login session.

Users and their password hashes live in a JSON file in the workspace (``users.json`` by
default): ``{"users": [{"username": ..., "role": ..., "password_hash": ...}]}``. Hashes are
werkzeug's (scrypt); a password is never stored. The logged-in user is kept in Flask's signed
session cookie, and read back from that cookie in background jobs, which run outside a request.

Roles
-----
admin
    everything, and the only role that can load data.
analyst
    person-level views with pseudonymous ids (never a name).
coordinator
    named people, the recommender and its decisions.
executive
    aggregates only: never a name, an id or a person-level map; small groups suppressed.

Example
-------
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> creds = ensure_demo_users(folder)
>>> sorted(creds)
['admin', 'analyst', 'coordinator', 'executive']
>>> authenticate(Path(folder) / USERS_FILE, "analyst", creds["analyst"])
User(username='analyst', role='analyst')
>>> authenticate(Path(folder) / USERS_FILE, "analyst", "wrong") is None
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from orgbridge.errors import ParameterError

__all__ = [
    "DEMO_PASSWORDS",
    "ROLES",
    "USERS_FILE",
    "User",
    "add_user",
    "authenticate",
    "ensure_demo_users",
    "load_users",
    "user_from_session",
]

ROLES = ("admin", "analyst", "coordinator", "executive")
USERS_FILE = "users.json"

#: Demo accounts written by :func:`ensure_demo_users` (one per role, for the sample data only).
DEMO_PASSWORDS = {role: f"{role}-demo" for role in ROLES}

_SESSION_KEY = "orgbridge_user"


@dataclass(frozen=True)
class User:
    """A logged-in person of the app and their role."""

    username: str
    role: str


def load_users(path: str | Path) -> dict[str, dict[str, str]]:
    """Every user record of the users file, by username (empty if the file does not exist).

    Raises
    ------
    ParameterError
        The file is not valid JSON of the expected shape, or names an unknown role.
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        records = data["users"]
        users = {str(r["username"]): {k: str(v) for k, v in r.items()} for r in records}
    except (ValueError, KeyError, TypeError) as error:
        raise ParameterError(f"{path}: not a users file ({error})") from error
    for name, record in users.items():
        if record.get("role") not in ROLES:
            raise ParameterError(
                f"{path}: user {name!r} has role {record.get('role')!r}; "
                f"expected one of {', '.join(ROLES)}"
            )
    return users


def add_user(path: str | Path, username: str, password: str, role: str) -> None:
    """Add or replace one user in the users file (the password is stored hashed).

    Raises
    ------
    ParameterError
        Unknown role, empty username or empty password.
    """
    if role not in ROLES:
        raise ParameterError(f"role must be one of {', '.join(ROLES)} (got {role!r})")
    if not username or not password:
        raise ParameterError("a user needs a username and a password")
    users = load_users(path)
    users[username] = {
        "username": username,
        "role": role,
        "password_hash": generate_password_hash(password),
    }
    Path(path).write_text(
        json.dumps({"users": list(users.values())}, indent=2) + "\n", encoding="utf-8"
    )


def authenticate(path: str | Path, username: str, password: str) -> User | None:
    """The user if the password matches the stored hash, else None."""
    record = load_users(path).get(username)
    if record is None or not check_password_hash(record.get("password_hash", ""), password):
        return None
    return User(username, record["role"])


def ensure_demo_users(folder: str | Path) -> dict[str, str]:
    """Create the users file with one demo account per role if there is none.

    Returns
    -------
    dict
        ``username -> password`` of the demo accounts that still have their demo password
        (so ``make run`` can print them); empty when the file holds other accounts.
    """
    path = Path(folder) / USERS_FILE
    if not path.exists():
        Path(folder).mkdir(parents=True, exist_ok=True)
        for role, password in DEMO_PASSWORDS.items():
            add_user(path, role, password, role)
    return {
        name: password
        for name, password in DEMO_PASSWORDS.items()
        if authenticate(path, name, password) is not None
    }


def user_from_session(session: Any) -> User | None:
    """The user recorded in a Flask session (a mapping), or None."""
    data = session.get(_SESSION_KEY) if session is not None else None
    if not isinstance(data, dict):
        return None
    username, role = data.get("username"), data.get("role")
    if not isinstance(username, str) or role not in ROLES:
        return None
    return User(username, str(role))


def session_record(user: User) -> dict[str, Any]:
    """What :func:`user_from_session` reads back: store it under :data:`SESSION_KEY`."""
    return {_SESSION_KEY: {"username": user.username, "role": user.role}}


SESSION_KEY = _SESSION_KEY
