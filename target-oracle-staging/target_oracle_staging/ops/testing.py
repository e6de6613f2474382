"""Test support for the ops commands: a real SMTP server and a real webhook on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import ipaddress
import json
import socket
import ssl
import threading
import typing as t
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def ops_settings(database: t.Any) -> dict[str, t.Any]:
    """The ops settings that reach the database of a `target_oracle_staging.testing.Database`."""
    keys = ("database_path", "sqlalchemy_url", "default_target_schema", "user", "password", "dsn")
    return {k: database.config[k] for k in keys if database.config.get(k)}


@dataclass
class SmtpServer:
    """aiosmtpd on loopback; `messages` holds every message it accepted, parsed."""

    host: str
    port: int
    user: str
    password: str
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files), for a TLS server in a test."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def start_smtp_server(
    user: str = "alerts",
    password: str = "smtp-secret-pw",  # noqa: S107
    tls: tuple[Path, Path] | None = None,
):
    """aiosmtpd with AUTH; with `tls` (certificate, key) it requires STARTTLS before AUTH."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    server = SmtpServer("127.0.0.1", 0, user, password)

    class Handler:
        async def handle_DATA(self, smtp_server, session, envelope):  # noqa: N802 - aiosmtpd name
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            server.messages.append(message)
            return "250 OK"

    def authenticator(smtp_server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == user and auth_data.password.decode() == password
        )
        if ok:
            server.logins.append(user)
        return AuthResult(success=ok)

    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting: it needs the port
        probe.bind(("127.0.0.1", 0))
        server.port = probe.getsockname()[1]
    tls_options: dict[str, t.Any] = {"auth_require_tls": False}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        tls_options = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=server.port,
        authenticator=authenticator,
        **tls_options,
    )
    controller.start()
    return server, controller


@dataclass
class WebhookServer:
    url: str
    requests: list[dict[str, t.Any]] = field(default_factory=list)
    status: int = 200


def start_webhook_server() -> tuple[WebhookServer, ThreadingHTTPServer]:
    hook = WebhookServer("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hook.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
            )
            self.send_response(hook.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: t.Any) -> None:  # keep the test output clean
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{httpd.server_address[1]}/hooks/etl"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return hook, httpd
