"""Users file, password hashes and session records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgbridge.app.auth import (
    USERS_FILE,
    User,
    add_user,
    authenticate,
    ensure_demo_users,
    session_record,
    user_from_session,
)
from orgbridge.errors import ParameterError


def test_passwords_are_stored_hashed(tmp_path: Path) -> None:
    path = tmp_path / USERS_FILE
    add_user(path, "kim", "s3cret-pass", "coordinator")
    assert "s3cret-pass" not in path.read_text()
    assert authenticate(path, "kim", "s3cret-pass") == User("kim", "coordinator")
    assert authenticate(path, "kim", "wrong") is None
    assert authenticate(path, "nobody", "s3cret-pass") is None


def test_unknown_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="role"):
        add_user(tmp_path / USERS_FILE, "x", "y", "superuser")
    (tmp_path / USERS_FILE).write_text(json.dumps({"users": [{"username": "x", "role": "root"}]}))
    with pytest.raises(ParameterError, match="root"):
        authenticate(tmp_path / USERS_FILE, "x", "y")


def test_demo_users_are_created_once(tmp_path: Path) -> None:
    creds = ensure_demo_users(tmp_path)
    assert set(creds) == {"admin", "analyst", "coordinator", "executive"}
    add_user(tmp_path / USERS_FILE, "admin", "changed-password", "admin")
    assert "admin" not in ensure_demo_users(tmp_path)


def test_session_round_trip_rejects_tampered_roles() -> None:
    record = session_record(User("kim", "analyst"))
    assert user_from_session(record) == User("kim", "analyst")
    assert user_from_session({"orgbridge_user": {"username": "kim", "role": "god"}}) is None
    assert user_from_session({}) is None
