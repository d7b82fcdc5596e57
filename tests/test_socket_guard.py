"""The socket guard (tests/sockets.py): unit tests open no socket, loopback included."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.sockets import SocketBlocked


@pytest.fixture
def bind_in_setup() -> BaseException | None:
    """Bind a loopback port while the fixture is set up; give back what was raised."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", 0))
        except SocketBlocked as exc:
            return exc
    return None


def test_connect_without_the_marker_is_refused_naming_the_test_and_the_marker() -> None:
    with pytest.raises(SocketBlocked, match=r"test_socket_guard\.py::test_connect_without.*`network` marker"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_bind_without_the_marker_is_refused_on_loopback_and_ipv6() -> None:
    with socket.socket() as sock, pytest.raises(SocketBlocked, match=r"socket\.bind"):
        sock.bind(("127.0.0.1", 0))
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(SocketBlocked):
        sock.bind(("::1", 0))


def test_udp_without_the_marker_is_refused() -> None:
    with socket.socket(type=socket.SOCK_DGRAM) as sock, pytest.raises(SocketBlocked, match=r"socket\.sendto"):
        sock.sendto(b"x", ("127.0.0.1", 9))


def test_a_fixture_without_the_marker_is_refused_too(bind_in_setup: BaseException | None) -> None:
    assert isinstance(bind_in_setup, SocketBlocked)


def test_an_asyncio_loop_and_a_socketpair_still_work() -> None:
    """The event loop wakes itself through an AF_UNIX socketpair, which the guard leaves open."""
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert asyncio.run(answer()) == 42
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"ping")
        assert right.recv(4) == b"ping"


def test_postgresql_without_the_marker_is_refused_before_connecting(request: pytest.FixtureRequest) -> None:
    """libpq connects from C, past the guard; the fixture checks the marker itself."""
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is a network server"):
        request.getfixturevalue("postgresql_url")


@pytest.mark.network
def test_a_network_test_binds_and_connects_on_loopback(bind_in_setup: BaseException | None) -> None:
    assert bind_in_setup is None
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.create_connection(server.getsockname(), timeout=5) as client:
        peer, _ = server.accept()
        with peer:
            client.sendall(b"ping")
            assert peer.recv(4) == b"ping"
