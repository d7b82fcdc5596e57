"""The socket guard: a test opens an internet socket only when it carries the `network` marker.

Unit tests need no network, loopback included. In a test without the marker, ``bind``,
``connect``, ``connect_ex`` and ``sendto`` of an AF_INET or AF_INET6 socket raise SocketBlocked
(and so do ``socket.create_connection``, httpx, smtplib, asyncio's servers and connections),
while the test's fixtures are set up and while it runs. SocketBlocked is no OSError, so no retry
loop takes it for a network fault; the socket is closed before it is raised. Other families stay open: asyncio's event
loop wakes itself through an AF_UNIX socketpair. Teardown is not guarded, because a module's
server fixture may end in the teardown of any test of the module.

PostgreSQL connects from C (libpq), past this guard, so the `postgresql_url` fixture checks the
marker itself (`require_network`). conftest.py registers the two hooks below.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Generator
from typing import Any

import pytest

GUARDED = ("bind", "connect", "connect_ex", "sendto")
INTERNET = (socket.AF_INET, socket.AF_INET6)


class SocketBlocked(RuntimeError):
    """A test without the `network` marker tried to open an internet socket."""


_blocked_in: list[str] = []  # the id of the running test while it may open no socket


def _guard(name: str) -> Callable[..., Any]:
    original = getattr(socket.socket, name)

    def guarded(self: socket.socket, *args: Any) -> Any:
        if _blocked_in and self.family in INTERNET:
            self.close()  # the caller may not (socket.create_connection lets a RuntimeError through)
            raise SocketBlocked(f"{_blocked_in[0]}: socket.{name}{args!r} in a test without the `network` "
                                "marker; unit tests open no socket (mark the test if it talks to a server)")
        return original(self, *args)

    guarded.__name__ = guarded.__qualname__ = name
    return guarded


for _name in GUARDED:
    setattr(socket.socket, _name, _guard(_name))


def require_network(request: pytest.FixtureRequest, what: str) -> None:
    """Fail a test without the `network` marker that asks for a server the guard cannot see."""
    if request.node.get_closest_marker("network") is None:
        pytest.fail(f"{what} is a network server: mark the test `network` (tests/sockets.py)", pytrace=False)


def _run_guarded(item: pytest.Item) -> Generator[None, None, None]:
    if item.get_closest_marker("network") is not None:
        return (yield)
    _blocked_in.append(item.nodeid)
    try:
        return (yield)
    finally:
        _blocked_in.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _run_guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _run_guarded(item))


__all__ = ["SocketBlocked", "pytest_runtest_call", "pytest_runtest_setup", "require_network"]
