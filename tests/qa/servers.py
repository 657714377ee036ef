"""Real local HTTP(S) servers and certificates made in the test (cryptography), on 127.0.0.1."""
from __future__ import annotations

import ipaddress
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Pki:
    """A test CA (its PEM is what SSL_CERT_FILE points at) that signs server certificates."""

    directory: Path
    ca_key: object = field(default_factory=_key)
    ca_cert: x509.Certificate | None = None

    def __post_init__(self) -> None:
        now = datetime.now(timezone.utc)
        self.ca_cert = (x509.CertificateBuilder().subject_name(_name("HiveMind Test CA")).issuer_name(_name("HiveMind Test CA"))
                        .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
                        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
                        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                     content_commitment=False, key_encipherment=False,
                                                     data_encipherment=False, key_agreement=False,
                                                     encipher_only=False, decipher_only=False), critical=True)
                        .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key()), critical=False)
                        .sign(self.ca_key, hashes.SHA256()))
        self.ca_file = self.directory / "ca.pem"
        self.ca_file.write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))

    def server_cert(self, label: str, *, days_valid: float = 90, expired: bool = False, self_signed: bool = False,
                    names: tuple[str, ...] = ("localhost", "127.0.0.1")) -> tuple[Path, Path]:
        """(cert file, key file) for a server certificate."""
        key = _key()
        now = datetime.now(timezone.utc)
        start, end = (now - timedelta(days=30), now - timedelta(days=1)) if expired else (now - timedelta(days=1), now + timedelta(days=days_valid))
        sans = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]
        issuer, signer = (_name(names[0]), key) if self_signed else (self.ca_cert.subject, self.ca_key)
        builder = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
        if not self_signed:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), critical=False)
        cert = builder.sign(signer, hashes.SHA256())
        cert_file, key_file = self.directory / f"{label}.pem", self.directory / f"{label}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cert_file, key_file


class App:
    """A tiny app: answers `status` on every path (per-path overrides), counts requests."""

    def __init__(self, status: int = 200, paths: dict[str, int] | None = None):
        self.status = status
        self.paths = paths or {}
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self, tls: tuple[Path, Path] | None = None) -> str:
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                app.requests.append(self.path)
                status = app.paths.get(self.path, app.status)
                body = f"status {status}\n".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
