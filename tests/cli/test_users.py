"""``orgbridge users`` and the account checks of ``orgbridge app``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orgbridge.app.auth import USERS_FILE, authenticate, ensure_demo_users, load_users
from orgbridge.cli import main
from orgbridge.graph._workspace import Workspace
from tests.app.org import small_org


def users(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["users", *argv])


def test_add_passwd_role_remove_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = ["--workspace", str(tmp_path)]
    path = tmp_path / USERS_FILE
    assert users(["add", "kim", "--role", "analyst", *ws], monkeypatch, "first password\n") == 0
    assert authenticate(path, "kim", "first password") is not None
    version = load_users(path)["kim"]["session_version"]

    assert users(["passwd", "kim", *ws], monkeypatch, "second password\n") == 0
    assert authenticate(path, "kim", "first password") is None
    assert authenticate(path, "kim", "second password") is not None
    assert load_users(path)["kim"]["session_version"] != version
    version = load_users(path)["kim"]["session_version"]

    assert users(["role", "kim", "--role", "coordinator", *ws], monkeypatch) == 0
    assert load_users(path)["kim"]["role"] == "coordinator"
    assert load_users(path)["kim"]["session_version"] != version
    version = load_users(path)["kim"]["session_version"]

    assert users(["logout", "kim", *ws], monkeypatch) == 0
    assert load_users(path)["kim"]["session_version"] != version

    assert users(["add", "lee", "--role", "admin", *ws], monkeypatch, "third password\n") == 0
    capsys.readouterr()
    assert users(["list", *ws, "--json"], monkeypatch) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == {
        "users": [
            {"username": "kim", "role": "coordinator"},
            {"username": "lee", "role": "admin"},
        ]
    }
    assert users(["list", *ws], monkeypatch) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["kim\tcoordinator", "lee\tadmin"]
    assert "scrypt" not in out and "password" not in out

    assert users(["remove", "kim", *ws], monkeypatch) == 0
    assert set(load_users(path)) == {"lee"}


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["add", "kim", "--role", "analyst"], "short\n", "10 to 1024"),
        (["add", "kim", "--role", "analyst"], "admin-demo\n", "demo password"),
        (["add", "kim", "--role", "analyst"], "", "no password given"),
        (["add", "lee", "--role", "admin"], "another password\n", "already exists"),
        (["passwd", "nobody"], "another password\n", "no user 'nobody'"),
        (["remove", "nobody"], "", "no user 'nobody'"),
        (["role", "nobody", "--role", "admin"], "", "no user 'nobody'"),
    ],
)
def test_refusals_say_why_and_change_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str,
    message: str,
) -> None:
    ws = ["--workspace", str(tmp_path)]
    assert users(["add", "lee", "--role", "analyst", *ws], monkeypatch, "a long password\n") == 0
    before = (tmp_path / USERS_FILE).read_text()
    capsys.readouterr()
    assert users([*argv, *ws], monkeypatch, stdin) == 2
    assert message in capsys.readouterr().err
    assert (tmp_path / USERS_FILE).read_text() == before


def test_missing_workspace_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["add", "kim", "--role", "analyst", "--workspace", str(tmp_path / "typo")]
    assert users(argv, monkeypatch, "a long password\n") == 2
    assert "no such folder" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_password_is_never_an_argument_and_stdin_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["users", "add", "kim", "--role", "analyst", "--workspace", str(tmp_path)]
    with pytest.raises(SystemExit):
        main([*argv, "--password", "a long password"])
    assert "unrecognized arguments" in capsys.readouterr().err
    done = subprocess.run(  # a real pipe into a real process
        [sys.executable, "-m", "orgbridge", *argv],
        input="a long password\n",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert authenticate(tmp_path / USERS_FILE, "kim", "a long password") is not None


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_org(), log={"rows_in": 51, "rows_loaded": 51, "rows_rejected": 0})
    return tmp_path


def serving(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Replace the WSGI server by a recorder, so ``orgbridge app`` returns instead of serving."""
    import waitress

    served: list[Any] = []
    monkeypatch.setattr(waitress, "serve", lambda app, **options: served.append((app, options)))
    return served


def test_app_refuses_demo_passwords_without_demo_users(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served = serving(monkeypatch)
    ensure_demo_users(workspace)
    assert main(["app", "--workspace", str(workspace)]) == 2
    err = capsys.readouterr().err
    assert "admin, analyst, coordinator, executive still have the demo password" in err
    assert served == []

    argv = ["app", "--workspace", str(workspace), "--demo-users", "--secure-cookies"]
    assert main(argv) == 0  # make run's way: demo data, demo accounts
    assert "demo user admin / password admin-demo" in capsys.readouterr().out
    server = served[0][0]
    assert server.config["SESSION_COOKIE_SECURE"] is True

    for name in ("admin", "analyst", "coordinator", "executive"):
        assert (
            users(["passwd", name, "--workspace", str(workspace)], monkeypatch, "real pw 1234\n")
            == 0
        )
    assert main(["app", "--workspace", str(workspace), "--session-hours", "2"]) == 0
    assert served[1][0].config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 7200
    assert served[1][0].config["SESSION_COOKIE_SECURE"] is False


def test_app_refuses_to_start_without_accounts(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served = serving(monkeypatch)
    assert main(["app", "--workspace", str(workspace)]) == 2
    assert "no accounts" in capsys.readouterr().err
    assert main(["app", "--workspace", str(workspace), "--session-hours", "0"]) == 2
    assert "--session-hours" in capsys.readouterr().err
    assert served == []
