"""Users file, password hashes, session versions, equal work for unknown users, keys."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from orgbridge.app import _keys, auth
from orgbridge.app._access import pseudonym
from orgbridge.app.auth import (
    USERS_FILE,
    User,
    add_user,
    authenticate,
    demo_password_accounts,
    end_sessions,
    ensure_demo_users,
    load_users,
    remove_user,
    set_password,
    set_role,
)
from orgbridge.errors import ParameterError


def test_passwords_are_stored_hashed(tmp_path: Path) -> None:
    path = tmp_path / USERS_FILE
    add_user(path, "kim", "s3cret-pass", "coordinator")
    assert "s3cret-pass" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert authenticate(path, "kim", "s3cret-pass") == User("kim", "coordinator")
    assert authenticate(path, "kim", "wrong") is None
    assert authenticate(path, "nobody", "s3cret-pass") is None


def test_unknown_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="role"):
        add_user(tmp_path / USERS_FILE, "x", "y", "superuser")
    (tmp_path / USERS_FILE).write_text(json.dumps({"users": [{"username": "x", "role": "root"}]}))
    with pytest.raises(ParameterError, match="root"):
        authenticate(tmp_path / USERS_FILE, "x", "y")


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("kim", "short", "10 to 1024"),
        ("kim", "admin-demo", "demo password"),
        ("", "a long password", "username"),
        ("kim smith", "a long password", "username"),
        ("../etc", "a long password", "username"),
    ],
)
def test_bad_usernames_and_weak_passwords_are_refused(
    tmp_path: Path, username: str, password: str, message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        add_user(tmp_path / USERS_FILE, username, password, "analyst")
    assert not (tmp_path / USERS_FILE).exists()


def test_every_change_gives_a_new_session_version(tmp_path: Path) -> None:
    path = tmp_path / USERS_FILE
    add_user(path, "kim", "first password", "analyst")
    versions = [load_users(path)["kim"]["session_version"]]
    set_password(path, "kim", "second password")
    versions.append(load_users(path)["kim"]["session_version"])
    set_role(path, "kim", "coordinator")
    versions.append(load_users(path)["kim"]["session_version"])
    end_sessions(path, "kim")
    versions.append(load_users(path)["kim"]["session_version"])
    remove_user(path, "kim")
    assert "kim" not in load_users(path)
    add_user(path, "kim", "second password", "coordinator")  # re-added: no old session returns
    versions.append(load_users(path)["kim"]["session_version"])
    assert len(set(versions)) == len(versions)
    assert authenticate(path, "kim", "second password") == User("kim", "coordinator")
    assert authenticate(path, "kim", "first password") is None


def test_changes_to_unknown_users_and_duplicates_are_refused(tmp_path: Path) -> None:
    path = tmp_path / USERS_FILE
    add_user(path, "kim", "first password", "analyst")
    with pytest.raises(ParameterError, match="already exists"):
        add_user(path, "kim", "other password", "admin", replace=False)
    for change in (
        lambda: set_password(path, "lee", "a long password"),
        lambda: set_role(path, "lee", "admin"),
        lambda: remove_user(path, "lee"),
        lambda: end_sessions(path, "lee"),
    ):
        with pytest.raises(ParameterError, match="no user 'lee'"):
            change()
    with pytest.raises(ParameterError, match="role"):
        set_role(path, "kim", "root")
    assert load_users(path)["kim"]["role"] == "analyst"


def test_demo_users_are_created_once(tmp_path: Path) -> None:
    creds = ensure_demo_users(tmp_path)
    assert set(creds) == {"admin", "analyst", "coordinator", "executive"}
    assert demo_password_accounts(tmp_path / USERS_FILE) == sorted(creds)
    set_password(tmp_path / USERS_FILE, "admin", "changed-password")
    assert "admin" not in ensure_demo_users(tmp_path)
    assert demo_password_accounts(tmp_path / USERS_FILE) == ["analyst", "coordinator", "executive"]


def test_unknown_users_cost_the_same_hash_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / USERS_FILE
    add_user(path, "kim", "a long password", "analyst")
    real = auth.check_password_hash
    checked: list[str] = []

    def counting(hashed: str, password: str) -> bool:
        checked.append(hashed.split("$")[0])  # the method and its cost parameters
        return real(hashed, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    assert authenticate(path, "kim", "wrong password") is None
    assert authenticate(path, "nobody", "wrong password") is None
    assert authenticate(path, "kim", "x" * 5000) is None  # over-long: dummy work as well
    assert len(checked) == 3
    assert checked[0] == checked[1] == checked[2]  # same method, same scrypt cost
    assert checked[0].startswith("scrypt:")


def test_key_files_are_separate_private_and_migrate_the_old_secret(tmp_path: Path) -> None:
    old = bytes(range(32))
    (tmp_path / ".app-secret").write_text(old.hex())
    session_key, pseudonym_key = _keys.app_keys(tmp_path)
    assert pseudonym_key == old  # pseudonyms keep their key ...
    assert session_key != old  # ... sessions get a new one
    assert not (tmp_path / ".app-secret").exists()
    for name in (_keys.SESSION_KEY_FILE, _keys.PSEUDONYM_KEY_FILE):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    (tmp_path / _keys.SESSION_KEY_FILE).write_text("not hex")
    with pytest.raises(ParameterError, match="not a key file"):
        _keys.app_keys(tmp_path)


def test_pseudonyms_do_not_collide_at_a_million_people() -> None:
    ids = [f"E{i:07d}" for i in range(1_000_000)]
    started = time.perf_counter()
    names = pseudonym(ids, b"k" * 32)
    elapsed = time.perf_counter() - started
    assert len(set(names.tolist())) == len(ids)
    assert all(len(name) == 18 for name in names[:1000])
    print(f"1,000,000 pseudonyms in {elapsed:.2f} s")
    # the old 8-digit pseudonyms are a prefix of the new ones (same key)
    assert names[0][:10] == "P-" + _old_pseudonym(b"k" * 32, "E0000000")


def _old_pseudonym(key: bytes, person_id: str) -> str:
    import hashlib
    import hmac

    return hmac.new(key, person_id.encode(), hashlib.sha256).hexdigest()[:8]
