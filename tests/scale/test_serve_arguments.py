"""The serving commands refuse set-ups that would lose runs or share a workspace, before any
process starts, with a message that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgbridge.app.auth import USERS_FILE, add_user
from orgbridge.cli import main


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    add_user(tmp_path / USERS_FILE, "ada", "a long password 1", "admin")
    return tmp_path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workspace", "WS", "--workers", "2", "--queue", "redis://x"], "needs a server store"),
        (["--store", "neo4j://127.0.0.1:1", "--workers", "2"], "needs --queue"),
        (["--store", "neo4j://127.0.0.1:1", "--workers", "0"], "at least 1"),
        (["--store", "neo4j://127.0.0.1:1", "--workers", "2", "--queue", "r", "--debug"], "debug"),
    ],
)
def test_app_refuses(
    folder: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = [str(folder) if e == "WS" else e for e in extra]
    assert main(["app", "--app-folder", str(folder), *extra]) != 0
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--store", "neo4j://127.0.0.1:1", "--queue", "amqp://127.0.0.1//"], "redis://"),
        (["--workspace", "WS", "--queue", "redis://127.0.0.1:1/0"], "needs a server store"),
        (["--store", "neo4j://127.0.0.1:1", "--queue", "redis://x", "--concurrency", "0"], "1"),
    ],
)
def test_worker_refuses(
    folder: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = [str(folder) if e == "WS" else e for e in extra]
    assert main(["worker", "--app-folder", str(folder), *extra]) != 0
    assert message in capsys.readouterr().err


def test_the_wsgi_entry_needs_a_queue(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orgbridge.app.wsgi import server
    from orgbridge.errors import ParameterError

    monkeypatch.setenv("ORGBRIDGE_STORE", "neo4j://127.0.0.1:1")
    monkeypatch.setenv("ORGBRIDGE_APP_FOLDER", str(folder))
    monkeypatch.delenv("ORGBRIDGE_QUEUE", raising=False)
    with pytest.raises(ParameterError, match="ORGBRIDGE_QUEUE"):
        server()
