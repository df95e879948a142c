"""Users, roles, passwords and each user's session version.

Users and their password hashes live in a JSON file in the workspace (``users.json`` by
default): ``{"users": [{"username", "role", "password_hash", "session_version"}]}``. Hashes
are werkzeug's (scrypt); a password is never stored. ``session_version`` is a random token
replaced whenever the user's sessions must end (password or role change, "log out
everywhere"); a session carries the version it was issued with and is refused once they differ
(see :mod:`orgbridge.app._sessions`). A removed and re-added user gets a fresh random version,
so no old session comes back.

The file is written atomically (temporary file, then rename) with mode 0o600, under a lock
file, so the app and ``orgbridge users`` may change it at the same time.

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

import contextlib
import fcntl
import functools
import json
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from orgbridge.errors import ParameterError

__all__ = [
    "DEMO_PASSWORDS",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "USERS_FILE",
    "User",
    "add_user",
    "authenticate",
    "demo_password_accounts",
    "end_sessions",
    "ensure_demo_users",
    "load_users",
    "remove_user",
    "set_password",
    "set_role",
    "verify",
]

ROLES = ("admin", "analyst", "coordinator", "executive")
USERS_FILE = "users.json"
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

#: Demo accounts written by :func:`ensure_demo_users` (one per role, for the sample data only).
DEMO_PASSWORDS = {role: f"{role}-demo" for role in ROLES}

_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


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


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the users file (read-modify-write by two processes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _write(path: Path, users: dict[str, dict[str, str]]) -> None:
    text = json.dumps({"users": list(users.values())}, indent=2) + "\n"
    descriptor, temporary = tempfile.mkstemp(prefix=".users-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:  # mkstemp: mode 0o600
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _change(path: str | Path, edit: Callable[[dict[str, dict[str, str]]], None]) -> None:
    path = Path(path)
    with _locked(path):
        users = load_users(path)
        edit(users)
        _write(path, users)


def _new_version() -> str:
    return secrets.token_hex(8)


def _check_password(password: str, *, allow_demo: bool) -> None:
    if not allow_demo and password in DEMO_PASSWORDS.values():
        raise ParameterError("that is a demo password (published in the README): choose another")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ParameterError(
            f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters "
            f"(got {len(password)})"
        )


def _known(users: dict[str, dict[str, str]], username: str) -> dict[str, str]:
    if username not in users:
        raise ParameterError(f"no user {username!r}")
    return users[username]


def add_user(
    path: str | Path,
    username: str,
    password: str,
    role: str,
    *,
    replace: bool = True,
    allow_demo: bool = False,
) -> None:
    """Add (or replace) one user in the users file; the password is stored hashed.

    Replacing a user ends their sessions (the session version changes).

    Raises
    ------
    ParameterError
        Unknown role, a username outside ``[A-Za-z0-9._@-]`` (at most 64), a password shorter
        than :data:`MIN_PASSWORD_LENGTH` or equal to a demo password, or the user exists and
        ``replace`` is false.
    """
    if role not in ROLES:
        raise ParameterError(f"role must be one of {', '.join(ROLES)} (got {role!r})")
    if not _USERNAME.fullmatch(username or ""):
        raise ParameterError(f"a username is 1 to 64 letters, digits or . _ @ - (got {username!r})")
    _check_password(password, allow_demo=allow_demo)
    password_hash = generate_password_hash(password)  # slow: outside the lock

    def edit(users: dict[str, dict[str, str]]) -> None:
        if username in users and not replace:
            raise ParameterError(f"user {username!r} already exists (use passwd or role)")
        users[username] = {
            "username": username,
            "role": role,
            "password_hash": password_hash,
            "session_version": _new_version(),
        }

    _change(path, edit)


def set_password(path: str | Path, username: str, password: str) -> None:
    """Change a user's password and end all their sessions.

    Raises
    ------
    ParameterError
        No such user, or the password is too short or a demo password.
    """
    _check_password(password, allow_demo=False)
    password_hash = generate_password_hash(password)

    def edit(users: dict[str, dict[str, str]]) -> None:
        record = _known(users, username)
        record.update(password_hash=password_hash, session_version=_new_version())

    _change(path, edit)


def set_role(path: str | Path, username: str, role: str) -> None:
    """Change a user's role and end all their sessions.

    Raises
    ------
    ParameterError
        No such user, or an unknown role.
    """
    if role not in ROLES:
        raise ParameterError(f"role must be one of {', '.join(ROLES)} (got {role!r})")

    def edit(users: dict[str, dict[str, str]]) -> None:
        _known(users, username).update(role=role, session_version=_new_version())

    _change(path, edit)


def end_sessions(path: str | Path, username: str) -> None:
    """End every session of a user ("log out everywhere"): a new session version.

    Raises
    ------
    ParameterError
        No such user.
    """

    def edit(users: dict[str, dict[str, str]]) -> None:
        _known(users, username)["session_version"] = _new_version()

    _change(path, edit)


def remove_user(path: str | Path, username: str) -> None:
    """Remove a user (their sessions end with the record).

    Raises
    ------
    ParameterError
        No such user.
    """

    def edit(users: dict[str, dict[str, str]]) -> None:
        _known(users, username)
        del users[username]

    _change(path, edit)


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password, made like real ones, for unknown users to be checked against."""
    return generate_password_hash(secrets.token_hex(16))


def verify(record: dict[str, str] | None, password: str) -> bool:
    """Whether ``password`` matches the record's hash, doing the same work when there is none.

    An unknown user (``record`` None), a record without a usable hash and an over-long
    password are all checked against a dummy hash of the same cost, so that the time taken
    does not tell which user names exist.
    """
    stored = record.get("password_hash", "") if record is not None else ""
    usable = stored.startswith(("scrypt:", "pbkdf2:")) and len(password) <= MAX_PASSWORD_LENGTH
    matches = check_password_hash(
        stored if usable else _dummy_hash(), password[:MAX_PASSWORD_LENGTH]
    )
    return matches and usable and record is not None


def authenticate(path: str | Path, username: str, password: str) -> User | None:
    """The user if the password matches the stored hash, else None (same work either way)."""
    record = load_users(path).get(username)
    if not verify(record, password) or record is None:
        return None
    return User(username, record["role"])


def demo_password_accounts(path: str | Path) -> list[str]:
    """The accounts that still have a demo password (``<role>-demo``), sorted.

    Only accounts named after a role can have one: :func:`add_user` and :func:`set_password`
    refuse demo passwords, so :func:`ensure_demo_users` is the only way to get one.
    """
    users = load_users(path)
    found = []
    for name, password in DEMO_PASSWORDS.items():
        record = users.get(name)
        if record is not None and check_password_hash(record.get("password_hash", ""), password):
            found.append(name)
    return found


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
            add_user(path, role, password, role, allow_demo=True)
    return {name: DEMO_PASSWORDS[name] for name in demo_password_accounts(path)}
