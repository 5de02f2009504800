"""A real Standard Webhooks receiver on loopback: checks every signature, answers as a test decides."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Receiver:
    """HTTP endpoint that verifies each signature, then answers per ``decide(webhook_id, nth_attempt)``."""

    secret: str
    decide: Callable[[str, int], int]
    attempts: dict[str, list[float]] = field(default_factory=dict)  # webhook-id -> arrival times
    accepted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # webhook-id -> bodies answered 2xx
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _spec_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The Standard Webhooks v1 signature written out from the spec, independent of the library that signs."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            msg_id, timestamp = self.headers["webhook-id"], self.headers["webhook-timestamp"]
            if not receiver.secret:
                # Subscribed through the API, whose answer (the secret) the test has not read yet: a delivery
                # can win that race. Answer like a receiver still starting up; the sender retries.
                self._answer(503)
                return
            try:
                Webhook(receiver.secret).verify(body, dict(self.headers))  # what a real consumer runs
                valid = self.headers["webhook-signature"] == _spec_signature(receiver.secret, msg_id, timestamp, body)
            except Exception:
                valid = False
            with receiver.lock:
                if not valid:
                    receiver.bad_signatures += 1
                    code = 401
                else:
                    arrivals = receiver.attempts.setdefault(msg_id, [])
                    arrivals.append(time.monotonic())
                    code = receiver.decide(msg_id, len(arrivals))
                    if 200 <= code < 300:
                        receiver.accepted.setdefault(msg_id, []).append(json.loads(body))
            self._answer(code)

        def _answer(self, code: int) -> None:
            self.send_response(code)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


def serve_receivers() -> Iterator[Callable[[Receiver], str]]:
    """Generator behind the ``webhook_receiver`` fixture: start(receiver) -> URL; all servers stop at the end."""
    servers: list[ThreadingHTTPServer] = []

    def start(receiver: Receiver) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/hook"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
