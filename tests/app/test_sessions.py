"""Sessions over HTTP (Flask's test client): log-in, log-out, revocation, lifetime, rate limit,
headers, and the background-job path."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import dash
import flask
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict

from orgbridge.app import _login_limit, create_app
from orgbridge.app import auth as auth_module
from orgbridge.app._login_limit import LoginLimit
from orgbridge.app._sessions import SESSION_KEY, Sessions
from orgbridge.app._web_session import current_user_reader
from orgbridge.app.auth import (
    USERS_FILE,
    User,
    add_user,
    ensure_demo_users,
    remove_user,
    set_password,
    set_role,
)
from orgbridge.errors import ParameterError
from orgbridge.graph._workspace import Workspace
from tests.app.org import small_org

KIM = ("kim", "kim's password")  # analyst
LEE = ("lee", "lee's password")  # coordinator
ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    with Workspace.open(tmp_path) as ws:
        ws.save_graph(small_org(), log={"rows_in": 51, "rows_loaded": 51, "rows_rejected": 0})
    add_user(tmp_path / USERS_FILE, *KIM, "analyst")
    add_user(tmp_path / USERS_FILE, *LEE, "coordinator")
    return tmp_path


def build(folder: Path, **options: Any) -> dash.Dash:
    options.setdefault("login_limit", LoginLimit(per_user=3, per_address=5, window=300.0))
    return create_app(folder, precompute=False, **options)


@pytest.fixture
def app(folder: Path) -> Iterator[dash.Dash]:
    app = build(folder)
    yield app
    app.server.config["ORGBRIDGE_SERVICES"].store.close()


def log_in(
    client: Any, username: str, password: str, *, enter: str = "", address: str = "127.0.0.1"
) -> dict[str, Any]:
    """Send the login callback as the browser does (button, or Enter in a field)."""
    inputs = {"login-button.n_clicks": 0, "login-user.n_submit": 0, "login-password.n_submit": 0}
    changed = f"login-{enter}.n_submit" if enter else "login-button.n_clicks"
    inputs[changed] = 1
    body = {
        "output": "..login-redirect.href...login-message.children..",
        "outputs": [
            {"id": "login-redirect", "property": "href"},
            {"id": "login-message", "property": "children"},
        ],
        "inputs": [
            {"id": key.split(".")[0], "property": key.split(".")[1], "value": value}
            for key, value in inputs.items()
        ],
        "changedPropIds": [changed],
        "state": [
            {"id": "login-user", "property": "value", "value": username},
            {"id": "login-password", "property": "value", "value": password},
        ],
    }
    response = client.post(
        "/_dash-update-component", json=body, environ_base={"REMOTE_ADDR": address}
    )
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    answer: dict[str, Any] = response.get_json()["response"]
    return answer


def logged_in(answer: dict[str, Any]) -> bool:
    return answer.get("login-redirect", {}).get("href") == "/"


def message(answer: dict[str, Any]) -> str:
    return str(answer["login-message"]["children"]["props"]["children"])


def role(client: Any) -> str | None:
    """The role the server sees for this client's cookie (the navbar's user badge)."""

    def find(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "nav-user":
                return node["props"].get("data")
            return next((f for f in map(find, node.values()) if f is not None), None)
        if isinstance(node, list):
            return next((f for f in map(find, node) if f is not None), None)
        return None

    response = client.get("/_dash-layout")
    assert response.status_code == 200
    found: str | None = find(response.get_json())
    return found


def page(client: Any, path: str = "/") -> str:
    """The page layout callback's answer for ``path``, as text."""
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def cookie(client: Any) -> str:
    found = client.get_cookie("session")
    assert found is not None
    return str(found.value)


def replay(client: Any, value: str) -> None:
    client.set_cookie("session", value, domain="localhost")


def test_login_by_button_and_by_enter(app: dash.Dash) -> None:
    for enter in ("", "user", "password"):
        client = app.server.test_client()
        assert role(client) is None
        assert "Please" in page(client) and "log in" in page(client)
        assert logged_in(log_in(client, *KIM, enter=enter))
        assert role(client) == "analyst"
        assert "Overview" in page(client) and "Please" not in page(client)


def test_session_cookie_flags_and_lifetime(folder: Path) -> None:
    for secure in (False, True):
        app = build(folder, secure_cookies=secure, session_lifetime=timedelta(hours=2))
        client = app.server.test_client()
        client.get("/")
        response = client.post(
            "/_dash-update-component",
            json={
                "output": "..login-redirect.href...login-message.children..",
                "outputs": [
                    {"id": "login-redirect", "property": "href"},
                    {"id": "login-message", "property": "children"},
                ],
                "inputs": [
                    {"id": "login-button", "property": "n_clicks", "value": 1},
                    {"id": "login-user", "property": "n_submit", "value": 0},
                    {"id": "login-password", "property": "n_submit", "value": 0},
                ],
                "changedPropIds": ["login-button.n_clicks"],
                "state": [
                    {"id": "login-user", "property": "value", "value": KIM[0]},
                    {"id": "login-password", "property": "value", "value": KIM[1]},
                ],
            },
        )
        header = response.headers["Set-Cookie"]
        assert "HttpOnly" in header and "SameSite=Lax" in header and "Expires=" in header
        assert ("Secure" in header) is secure
        app.server.config["ORGBRIDGE_SERVICES"].store.close()


def test_logout_ends_that_session_and_a_replayed_cookie_fails(app: dash.Dash) -> None:
    laptop, phone = app.server.test_client(), app.server.test_client()
    assert logged_in(log_in(laptop, *KIM))
    assert logged_in(log_in(phone, *KIM))
    stolen = cookie(laptop)
    assert laptop.get("/logout").status_code != 303  # GET does not log out ...
    assert role(laptop) == "analyst"  # ... the session is still live
    response = laptop.post("/logout", headers=ORIGIN)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert role(laptop) is None
    replay(laptop, stolen)  # the cookie as it was before logging out
    assert role(laptop) is None
    assert "Please" in page(laptop)
    assert role(phone) == "analyst"  # the other device stays logged in


def test_logging_in_again_ends_the_previous_session(app: dash.Dash, folder: Path) -> None:
    client = app.server.test_client()
    assert logged_in(log_in(client, *KIM))
    first = cookie(client)
    assert logged_in(log_in(client, *LEE))
    assert role(client) == "coordinator"
    replay(client, first)
    assert role(client) is None
    sessions = Sessions(folder / USERS_FILE, folder / ".app-sessions.sqlite")
    assert sessions.live() == 1


def test_logout_needs_a_same_origin_post(app: dash.Dash) -> None:
    client = app.server.test_client()
    assert logged_in(log_in(client, *KIM))
    for headers in ({}, {"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"}):
        response = client.post("/logout", headers=headers)
        assert response.status_code == 403
        assert role(client) == "analyst"
    assert client.post("/logout", headers={"Referer": "http://localhost/silos"}).status_code == 303
    assert role(client) is None


def test_logout_everywhere_ends_every_device(app: dash.Dash) -> None:
    laptop, phone, other = (app.server.test_client() for _ in range(3))
    for client in (laptop, phone):
        assert logged_in(log_in(client, *KIM))
    assert logged_in(log_in(other, *LEE))
    laptop.post("/logout", data={"scope": "everywhere"}, headers=ORIGIN)
    assert role(laptop) is None and role(phone) is None
    assert role(other) == "coordinator"  # another user is untouched
    assert logged_in(log_in(phone, *KIM))  # logging in again works
    assert role(phone) == "analyst"


@pytest.mark.parametrize(
    "change",
    [
        lambda path: remove_user(path, "kim"),
        lambda path: set_role(path, "kim", "executive"),
        lambda path: set_password(path, "kim", "a new password"),
    ],
    ids=["removed", "role changed", "password changed"],
)
def test_changes_to_the_user_end_their_sessions_at_once(
    app: dash.Dash, folder: Path, change: Any
) -> None:
    client, other = app.server.test_client(), app.server.test_client()
    assert logged_in(log_in(client, *KIM))
    assert logged_in(log_in(other, *LEE))
    held = cookie(client)
    change(folder / USERS_FILE)
    assert role(client) is None
    assert "Please" in page(client)
    replay(client, held)
    assert role(client) is None
    assert role(other) == "coordinator"


def test_removed_and_re_added_user_does_not_get_old_sessions_back(
    app: dash.Dash, folder: Path
) -> None:
    client = app.server.test_client()
    assert logged_in(log_in(client, *KIM))
    held = cookie(client)
    remove_user(folder / USERS_FILE, "kim")
    add_user(folder / USERS_FILE, *KIM, "analyst")
    replay(client, held)
    assert role(client) is None


def test_sessions_expire_after_their_lifetime(folder: Path) -> None:
    app = build(folder, session_lifetime=timedelta(seconds=2))
    client = app.server.test_client()
    assert logged_in(log_in(client, *KIM))
    held = cookie(client)
    assert role(client) == "analyst"
    time.sleep(2.2)
    replay(client, held)  # a client that keeps the cookie past its expiry date
    assert role(client) is None
    app.server.config["ORGBRIDGE_SERVICES"].store.close()


def test_a_forged_claim_without_a_live_session_is_refused(app: dash.Dash, folder: Path) -> None:
    # even with the signing key, a claim needs a session id the server issued
    sessions = Sessions(folder / USERS_FILE, folder / ".app-sessions.sqlite")
    claim = sessions.start(User("kim", "analyst"))
    serializer = app.server.session_interface.get_signing_serializer(app.server)  # type: ignore[attr-defined]
    client = app.server.test_client()
    replay(client, serializer.dumps({SESSION_KEY: claim}))
    assert role(client) == "analyst"
    for forged in (
        {**claim, "sid": "made-up"},
        {**claim, "role": "admin"},
        {**claim, "issued": time.time() - 9 * 3600},
        {**claim, "version": "0"},
    ):
        replay(client, serializer.dumps({SESSION_KEY: forged}))
        assert role(client) is None


def test_background_jobs_check_the_cookie_they_carried(app: dash.Dash, folder: Path) -> None:
    sessions = Sessions(folder / USERS_FILE, folder / ".app-sessions.sqlite")
    current_user = current_user_reader(app.server, sessions)
    client = app.server.test_client()
    assert logged_in(log_in(client, *KIM))
    held = cookie(client)
    token = context_value.set(AttributeDict(cookies={"session": held}))
    try:
        assert not flask.has_request_context()
        assert current_user() == User("kim", "analyst")
        client.post("/logout", headers=ORIGIN)
        assert current_user() is None  # a job started before the log-out stops seeing the user
        context_value.set(AttributeDict(cookies={"session": "garbage"}))
        assert current_user() is None
    finally:
        context_value.reset(token)


def test_rate_limit_per_user_refuses_even_the_right_password(app: dash.Dash) -> None:
    client = app.server.test_client()
    for _ in range(3):
        assert message(log_in(client, "kim", "wrong password")) == "unknown user or wrong password"
    refused = message(log_in(client, *KIM))
    assert "Too many failed log-ins for this user name" in refused and "try again in 5" in refused
    assert role(client) is None
    # another user from the same address is not locked by kim's failures (3 < 5 per address)
    assert logged_in(log_in(client, *LEE))


def test_rate_limit_per_address(app: dash.Dash) -> None:
    client = app.server.test_client()
    for name in ("a1", "a2", "a3", "a4", "a5"):  # made-up names: each locked neither
        log_in(client, name, "guess number one", address="10.1.1.1")
    refused = message(log_in(client, *KIM, address="10.1.1.1"))
    assert "from your address" in refused
    assert logged_in(log_in(client, *KIM, address="10.2.2.2"))  # another address is free


def test_rate_limit_window_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = LoginLimit()  # the defaults: 5 per user, 20 per address, 5 minutes
    for second in range(5):
        limit.failed("kim", "10.0.0.1", now=float(second))
    assert limit.locked_by("kim", "10.0.0.1", now=10.0) == "user"
    assert limit.retry_after("kim", "10.0.0.1", now=10.0) == pytest.approx(290.0)
    assert limit.locked_by("KIM", "10.0.0.2", now=10.0) == "user"  # names count case-blind
    assert limit.locked_by("kim", "10.0.0.1", now=301.0) is None  # two left in the window
    for n in range(20):
        limit.failed(f"u{n}", "10.0.0.9", now=400.0)
    assert limit.locked_by("someone", "10.0.0.9", now=401.0) == "address"
    assert limit.locked_by("someone", "10.0.0.8", now=401.0) is None
    small = _login_limit.LoginLimit(max_keys=10)
    for n in range(50):
        small.failed(f"u{n}", f"10.0.{n}.1", now=float(n))
    assert len(small._failures) <= 10  # bounded memory under a flood of names


def test_unknown_user_login_does_the_same_hash_work(
    app: dash.Dash, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = auth_module.check_password_hash
    checked: list[str] = []

    def counting(hashed: str, password: str) -> bool:
        checked.append(hashed.split("$")[0])
        return real(hashed, password)

    monkeypatch.setattr(auth_module, "check_password_hash", counting)
    client = app.server.test_client()
    log_in(client, "kim", "wrong password")
    log_in(client, "nobody-at-all", "wrong password")
    assert len(checked) == 2 and checked[0] == checked[1]


def test_security_headers_on_every_response(app: dash.Dash) -> None:
    client = app.server.test_client()
    assert logged_in(log_in(client, *KIM))
    for response in (
        client.get("/"),
        client.get("/_dash-layout"),
        client.get("/_dash-dependencies"),
        client.post("/_dash-update-component", json={}),  # a malformed callback: still headers
        client.post("/logout", headers={"Origin": "http://evil.example"}),
    ):
        headers = response.headers
        assert headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"
    callback = client.post(
        "/_dash-update-component",
        json={
            "output": ".._pages_content.children..._pages_store.data..",
            "outputs": [
                {"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"},
            ],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": "/"},
                {"id": "_pages_location", "property": "search", "value": ""},
            ],
            "changedPropIds": ["_pages_location.pathname"],
            "state": [],
        },
    )
    assert callback.status_code == 200 and callback.headers["Cache-Control"] == "no-store"
    index = client.get("/").get_data(as_text=True)
    script = re.search(r'src="(/_dash-component-suites/[^"]+)"', index)
    assert script is not None
    static = client.get(script.group(1))
    assert static.status_code == 200
    assert static.headers.get("Cache-Control") != "no-store"  # scripts hold no personal data
    assert static.headers["X-Content-Type-Options"] == "nosniff"


def test_create_app_refuses_demo_passwords(folder: Path) -> None:
    (folder / USERS_FILE).unlink()
    ensure_demo_users(folder)
    with pytest.raises(ParameterError, match="demo password"):
        create_app(folder, precompute=False)
    app = create_app(folder, precompute=False, demo_users=True)
    app.server.config["ORGBRIDGE_SERVICES"].store.close()


def test_pseudonym_key_is_not_the_session_key(app: dash.Dash, folder: Path) -> None:
    services = app.server.config["ORGBRIDGE_SERVICES"]
    assert services._key != app.server.secret_key
    assert (folder / ".app-session-key").exists() and (folder / ".app-pseudonym-key").exists()
    assert bytes.fromhex((folder / ".app-pseudonym-key").read_text()) == services._key
