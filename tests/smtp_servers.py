"""Real SMTP servers on loopback ports, for the e-mail channel's tests.

aiosmtpd servers run in their Controller's thread (``start()`` returns once the
server answers, ``stop()`` once the port is released); the misbehaving servers
that aiosmtpd cannot play are small asyncio servers in the test's own loop.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on (the kernel's pick, released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Pki:
    """A private CA, a server certificate for 127.0.0.1 and localhost, and the CA's PEM file."""

    server_context: ssl.SSLContext
    ca_file: Path


def make_pki(directory: Path) -> Pki:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)  # verify_mode CERT_NONE, as aiosmtpd wants
    ca.issue_cert(HOST, "localhost").configure_cert(context)
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Pki(server_context=context, ca_file=ca_file)


@dataclass(frozen=True)
class Received:
    """One message a server accepted (its DATA got 250)."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: bytes | None


@dataclass
class Recorder:
    """An aiosmtpd handler that accepts every message and keeps it."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert server.transport is not None
        auth = session.auth_data if session.authenticated else None
        self.received.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                content=bytes(envelope.original_content or b""),
                tls=server.transport.get_extra_info("cipher") is not None,
                login=auth.login if isinstance(auth, LoginPassword) else None,
            )
        )
        return "250 2.0.0 OK: queued"


@dataclass
class RefusingRecipients(Recorder):
    """Answers every RCPT TO with ``reply`` (e.g. '550 5.1.1 no such user')."""

    reply: str = "550 5.1.1 no such user"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        return self.reply


@dataclass
class DroppingAfterData(Recorder):
    """Reads the whole message, then drops the connection instead of answering (a crash before the 250).

    ``drops``: how many attempts are dropped before one is accepted (None: all of them). Every
    message read, dropped or not, is kept in ``seen``, so a test can compare an attempt with its resend.
    """

    dropped: int = 0
    drops: int | None = None
    seen: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert server.transport is not None
        self.seen.append(bytes(envelope.original_content or b""))
        if self.drops is not None and self.dropped >= self.drops:
            return await super().handle_DATA(server, session, envelope)
        self.dropped += 1
        server.transport.abort()
        return "250 2.0.0 never sent"


@dataclass
class DroppingAfterAccept(Recorder):
    """Accepts the message (its DATA gets the 250) and then drops the connection.

    ``when="now"``: right after the 250 is written (the abort is scheduled while the hook runs and
    aiosmtpd writes the reply before the loop runs it); ``when="quit"``: when the client says QUIT,
    without answering it.
    """

    when: str = "now"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        status = await super().handle_DATA(server, session, envelope)
        if self.when == "now":
            assert server.transport is not None
            asyncio.get_running_loop().call_soon(server.transport.abort)
        return status

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.when == "quit":
            assert server.transport is not None
            server.transport.abort()
        return "221 Bye"


@dataclass(frozen=True)
class Authenticator:
    """Accepts one username and password (any mechanism aiosmtpd offers: LOGIN, PLAIN)."""

    username: str
    password: str

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username.encode()
            and auth_data.password == self.password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@contextmanager
def smtp_server(handler: object, *, port: int | None = None, **smtp_kwargs: Any) -> Iterator[Controller]:
    """An aiosmtpd server on ``127.0.0.1:port`` (a free one by default); ``controller.port`` is its port.

    ``smtp_kwargs`` go to the Controller: ``ssl_context`` for implicit TLS, and for the
    SMTP session ``tls_context`` (STARTTLS), ``require_starttls``, ``authenticator`` ...
    """
    controller = Controller(
        handler,
        hostname=HOST,
        port=port or free_port(),
        server_hostname="localhost",  # no getfqdn() lookup
        ready_timeout=10,
        **smtp_kwargs,
    )
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@dataclass
class Script:
    """What a scripted server saw."""

    commands: list[str] = field(default_factory=list)
    data_lines: int = 0
    completed: int = 0  # messages whose final '.' was answered with 250


@asynccontextmanager
async def scripted_server(
    *, drop_in_data: bool = False, greet: bool = True, echo_auth: bool = False, silent_quit: bool = False
) -> AsyncIterator[tuple[int, Script]]:
    """A plain-text SMTP server in the running loop that misbehaves on purpose.

    ``greet=False``: accepts the connection and says nothing (the client must time out).
    ``drop_in_data=True``: answers EHLO, MAIL and RCPT, says 354 to DATA, then closes the
    connection after the first line of the message, before the end of data.
    ``echo_auth=True``: offers AUTH PLAIN and refuses it with a 535 that quotes the
    credentials it got, raw and in base64 (a careless server).
    ``silent_quit=True``: accepts the message, then never answers QUIT (the client must give up).
    """
    script = Script()
    connections: list[tuple[asyncio.StreamWriter, asyncio.Task[Any]]] = []

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.append((writer, task))
        if not greet:
            await reader.read()  # until the client gives up
            return
        writer.write(b"220 localhost scripted ESMTP\r\n")
        while line := await reader.readline():
            command = line.decode("ascii", "replace").strip()
            script.commands.append(command)
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                writer.write(b"250-localhost\r\n" + (b"250-AUTH PLAIN\r\n" if echo_auth else b"") + b"250 8BITMIME\r\n")
            elif verb == "AUTH" and echo_auth:
                blob = command.split()[-1]
                plain = base64.b64decode(blob).replace(b"\0", b" ").decode("utf-8", "replace")
                writer.write(f"535 5.7.8 bad credentials {plain} ({blob})\r\n".encode())
            elif verb == "DATA":
                writer.write(b"354 end with <CRLF>.<CRLF>\r\n")
                if drop_in_data:
                    await reader.readline()
                    script.data_lines += 1
                    writer.transport.abort()
                    return
                while await reader.readline() not in (b".\r\n", b""):
                    script.data_lines += 1
                script.completed += 1
                writer.write(b"250 2.0.0 queued\r\n")
            elif verb == "QUIT":
                if silent_quit:
                    await reader.read()  # until the client gives up
                    return
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"250 OK\r\n")
        writer.close()

    server = await asyncio.start_server(session, HOST, 0)
    port = int(server.sockets[0].getsockname()[1])
    try:
        yield port, script
    finally:
        server.close()
        for writer, _task in connections:
            writer.transport.abort()
        # Let every session see its connection go before the loop ends (a session task
        # cancelled by asyncio.run makes asyncio log an error from its stream callback).
        await asyncio.gather(*(task for _writer, task in connections), return_exceptions=True)
        await server.wait_closed()


__all__ = [
    "HOST",
    "Authenticator",
    "DroppingAfterAccept",
    "DroppingAfterData",
    "Pki",
    "Received",
    "Recorder",
    "RefusingRecipients",
    "Script",
    "free_port",
    "make_pki",
    "scripted_server",
    "smtp_server",
]
