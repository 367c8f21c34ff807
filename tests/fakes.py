"""Local stand-ins for outside services, on loopback: no test reaches the internet."""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs


class FakeStripe:
    """Stripe's API as far as Checkout Sessions and Refunds go: it records what it is asked and
    answers with a session whose URL is Stripe Checkout's, fragment included, as the real API does;
    a refund asked again with the same Idempotency-Key gets the same refund back, as Stripe's does."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.refunds: dict[str, dict[str, Any]] = {}  # by idempotency key
        self.refuse_refunds = False  # answer as Stripe does for a disputed charge
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                fake.requests.append(
                    {
                        "path": self.path,
                        "form": form,
                        "auth": self.headers["Authorization"],
                        "idempotency_key": self.headers.get("Idempotency-Key"),
                    }
                )
                if self.path == "/v1/refunds" and fake.refuse_refunds:
                    error = {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "charge_disputed",
                            "message": "This charge is disputed and cannot be refunded.",
                        }
                    }
                    answer = json.dumps(error).encode()
                    self.send_response(400)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                if self.path == "/v1/refunds":
                    refund = fake.refunds.setdefault(
                        self.headers.get("Idempotency-Key") or secrets.token_hex(8),
                        {
                            "id": "re_test_" + secrets.token_hex(12),
                            "object": "refund",
                            "amount": int(form["amount"]),
                            "payment_intent": form["payment_intent"],
                            "status": "succeeded",
                        },
                    )
                    answer = json.dumps(refund).encode()
                else:
                    session = "cs_test_" + secrets.token_hex(12)
                    answer = json.dumps(
                        {
                            "id": session,
                            "object": "checkout.session",
                            "url": f"https://checkout.stripe.com/c/pay/{session}#fidkdWxOYHwnPyd1",
                        }
                    ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeCheckoutPage:
    """Stripe Checkout's page on loopback over HTTPS, with a self-signed certificate for its host.

    A browser started with `browser_args` resolves the real host name to it, so a redirect to
    https://checkout.stripe.com/... really navigates there (Playwright's routing does not see
    redirects), and the page's CSP is tested against the real origin.
    """

    HOST = "checkout.stripe.com"

    def __init__(self, directory: Path) -> None:
        import ssl

        self.paths: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.paths.append(self.path)
                body = b"<!doctype html><title>Stripe Checkout (fake)</title>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        cert, key = _self_signed(self.HOST, directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def browser_args(self) -> list[str]:
        port = self._server.server_address[1]
        return [f"--host-resolver-rules=MAP {self.HOST} 127.0.0.1:{port}", "--ignore-certificate-errors"]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _self_signed(host: str, directory: Path) -> tuple[str, str]:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)
