"""A real SMTP server on loopback for the email tests (aiosmtpd).

``SmtpTestServer`` runs in a thread of the test process on 127.0.0.1 and a free
port, and keeps every message it accepts. With ``tls=True`` it offers (and
requires) STARTTLS with a certificate from a throwaway ``trustme`` authority;
the client trusts it only when the test points ``SSL_CERT_FILE`` at
``server.ca_file``, which ``ssl.create_default_context()`` reads. With
``auth=True`` it requires AUTH LOGIN or PLAIN as ``USER`` / ``PASSWORD``.

    with SmtpTestServer(tmp_path, tls=True, auth=True) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        ...
        message = server.messages[0]        # email.message.EmailMessage
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

USER = "shop"
PASSWORD = "s3cret-Passw0rd"


def free_port() -> int:
    """A loopback port nobody listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


class _Handler:
    def __init__(self, server: SmtpTestServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        credentials = session.auth_data
        login = credentials.login.decode() if credentials is not None else None
        self.server.received.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=bytes(envelope.original_content or envelope.content),
                tls=session.ssl is not None,
                login=login,
            )
        )
        return "250 OK"

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class SmtpTestServer:
    """An aiosmtpd ``Controller`` on 127.0.0.1; a context manager."""

    def __init__(self, folder: Path, *, tls: bool = False, auth: bool = False) -> None:
        self.folder = Path(folder)
        self.tls = tls
        self.auth = auth
        self.host = "127.0.0.1"
        self.port = free_port()
        self.received: list[Received] = []
        self.refuse: set[str] = set()  # recipients answered with 550
        self.ca_file: Path | None = None
        self.logins: list[tuple[str, bool]] = []  # (user, accepted)
        self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [item.message for item in self.received]

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode()
        accepted = user == USER and auth_data.password.decode() == PASSWORD
        self.logins.append((user, accepted))
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)

    def start(self) -> SmtpTestServer:
        from aiosmtpd.controller import Controller

        options: dict = {}
        if self.tls:
            import trustme

            authority = trustme.CA()
            certificate = authority.issue_cert("127.0.0.1", "localhost")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            certificate.configure_cert(context)
            self.ca_file = self.folder / "smtp-test-ca.pem"
            authority.cert_pem.write_to_path(str(self.ca_file))
            options.update(tls_context=context, require_starttls=True)
        if self.auth:
            options.update(
                authenticator=self._authenticator, auth_required=True, auth_require_tls=self.tls
            )
        self._controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, ready_timeout=10, **options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
