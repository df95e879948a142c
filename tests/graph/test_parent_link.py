"""The parent link: authenticated calls, and a close that never races its serving threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from orgbridge.errors import StoreError
from orgbridge.graph._parent_link import ParentLink, ParentServer


@pytest.fixture
def thread_errors() -> Iterator[list[BaseException]]:
    """Collect exceptions that escape any thread during the test."""
    errors: list[BaseException] = []
    previous = threading.excepthook

    def record(arguments: threading.ExceptHookArgs) -> None:
        errors.append(arguments.exc_value or RuntimeError(str(arguments.exc_type)))

    threading.excepthook = record
    yield errors
    threading.excepthook = previous


def test_a_call_returns_the_handlers_result_and_its_errors() -> None:
    def handler(name: str, args: tuple[object, ...], kwargs: dict[str, object]) -> object:
        if name == "fail":
            raise ValueError("no such layer")
        return (name, args, kwargs)

    server = ParentServer(handler)
    link = ParentLink(server.address, server.authkey)
    try:
        assert link.call("load", (1,), {"a": 2}) == ("load", (1,), {"a": 2})
        with pytest.raises(ValueError, match="no such layer"):
            link.call("fail", (), {})
    finally:
        link.close()
        server.close()


def test_a_client_without_the_key_is_refused() -> None:
    server = ParentServer(lambda name, args, kwargs: name)
    intruder = ParentLink(server.address, b"x" * 32)
    try:
        with pytest.raises(StoreError):
            intruder.call("load", (), {})
    finally:
        intruder.close()
        server.close()


def test_closing_with_connected_children_raises_in_no_thread(
    thread_errors: list[BaseException],
) -> None:
    """Regression: close() and a serving thread both closed one descriptor (EBADF in CI)."""
    for _ in range(30):
        server = ParentServer(lambda name, args, kwargs: name)
        links = [ParentLink(server.address, server.authkey) for _ in range(4)]
        for link in links:
            assert link.call("ping", (), {}) == "ping"
        server.close()
        for link in links:
            with pytest.raises(StoreError):
                link.call("ping", (), {})
            link.close()
    for thread in threading.enumerate():
        if thread.name == "orgbridge-parent-call":
            thread.join(timeout=5)
    assert thread_errors == []
