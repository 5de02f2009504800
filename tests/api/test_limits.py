"""Request limits against the real service: body size, short 422s, strict JSON, polygon size.

The timing and memory targets of these limits (healthz p99 during refusals, RSS for a 200 MB body) are
measured by ``python -m bench.limits`` into bench/results/limits.json, not asserted here.
"""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api.conftest import RunningApp, sample_config

LIMIT = 64 * 1024  # a small limit keeps the uploads quick; the default (1 MB) works the same way


def _raw(base_url: str, head: str, chunks: Iterator[bytes] | None = None) -> tuple[int, bytes, int]:
    """Send ``head`` then ``chunks`` over a raw socket until the server answers or closes.

    Returns (status, response bytes, body bytes the server took before it answered or closed).
    """
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head.encode())
        sent = 0
        sock.settimeout(0.05)
        response = b""
        for chunk in chunks or ():
            try:
                sock.sendall(chunk)
                sent += len(chunk)
            except OSError:  # reset: the server closed on us, which is the point
                break
            try:
                response += sock.recv(65536)
            except TimeoutError:
                continue
            if response:
                break
        sock.settimeout(30)
        try:
            while data := sock.recv(65536):
                response += data
        except OSError:
            pass
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0
    return status, response, sent


def _chunked(total: int, size: int = 16 * 1024) -> Iterator[bytes]:
    for _ in range(total // size):
        yield f"{size:x}\r\n".encode() + b"[" * size + b"\r\n"


@pytest.fixture
def app(make_app: Callable[..., RunningApp]) -> RunningApp:
    return make_app(sample_config(rules=False), max_body_bytes=LIMIT)


def test_declared_oversized_body_is_refused_before_it_is_sent(app: RunningApp) -> None:
    head = (
        "POST /events/x/ack HTTP/1.1\r\nHost: t\r\ncontent-type: application/json\r\n"
        f"content-length: {20_000_000}\r\n\r\n"
    )
    status, response, _ = _raw(app.base_url, head)  # not one body byte sent: the answer comes anyway
    assert status == 413
    assert b"connection: close" in response.lower()
    assert f"larger than {LIMIT} bytes".encode() in response


def test_streamed_body_is_cut_off_at_the_limit(app: RunningApp) -> None:
    head = (
        "POST /auth/login HTTP/1.1\r\nHost: t\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    status, response, sent = _raw(app.base_url, head, _chunked(50 * LIMIT))
    assert status == 413, response[:300]
    # The server answered long before the 50x upload was through (socket buffers hold a few MB at most).
    assert sent < 50 * LIMIT


def test_bodies_under_the_limit_still_work(app: RunningApp) -> None:
    with app.client("admin") as admin:
        created = admin.post("/keys", json={"name": "n" * 100, "role": "viewer"})
        assert created.status_code == 201
        # Just under the limit: read in full and judged on its content (a key is at most 200 characters).
        refused = admin.post("/auth/login", json={"key": "x" * (LIMIT - 100)})
        assert refused.status_code == 422 and refused.json()["detail"][0]["type"] == "string_too_long"


def test_422_echoes_only_an_excerpt(app: RunningApp) -> None:
    with httpx.Client(base_url=app.base_url) as anonymous:
        sent = ["y" * 1000] * 50  # a 50 kB array where a string belongs
        refused = anonymous.post("/auth/login", json={"key": sent})
        assert refused.status_code == 422
        assert len(refused.content) < 1000
        issue = refused.json()["detail"][0]
        assert issue["loc"] == ["body", "key"] and issue["type"] == "string_type"
        assert issue["input"].endswith("...") and len(issue["input"]) <= 83


@pytest.mark.parametrize(
    "body",
    [b'{"key": NaN}', b'{"key": Infinity}', b'{"key": -Infinity}', b'{"key": "\\ud800"}', b'{"\\udc00": 1}'],
)
def test_nan_infinity_and_lone_surrogates_are_422(app: RunningApp, body: bytes) -> None:
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=app.base_url) as anonymous, app.client("operator") as operator:
        refused = anonymous.post("/auth/login", content=body, headers=headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["type"] == "json_invalid"
        patched = operator.patch("/cameras/bench/zones/none", content=body, headers=headers)
        assert patched.status_code == 422, patched.text


def _circle(points: int) -> list[list[float]]:
    return [
        [0.5 + 0.4 * math.cos(2 * math.pi * i / points), 0.5 + 0.4 * math.sin(2 * math.pi * i / points)]
        for i in range(points)
    ]


def test_polygon_point_limit_over_the_api(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))  # the default 1 MB limit: 3,000 points are about 120 kB
    zone = {"id": "gate", "polygon": _circle(3000), "crowding": {"min_count": 3}}
    with app.client("operator") as operator:
        refused = operator.post("/cameras/bench/zones", json=zone)
        assert refused.status_code == 422
        issue = refused.json()["detail"][0]
        assert issue["loc"] == ["body", "polygon"] and issue["type"] == "too_long"
        assert "at most 100 items" in issue["msg"]
        assert len(refused.content) < 1000
        assert operator.post("/cameras/bench/zones", json={**zone, "polygon": _circle(100)}).status_code == 201
        patched = operator.patch("/cameras/bench/zones/gate", json={"polygon": _circle(101)})
        assert patched.status_code == 422
        assert patched.json()["detail"][0]["loc"] == ["body", "polygon"]


def test_every_route_with_a_json_body_refuses_nan_and_surrogates(app: RunningApp) -> None:
    """Walks the OpenAPI schema, so a new router that forgets StrictJsonRoute fails here."""
    headers = {"content-type": "application/json", **app.auth(app.key("admin"))}
    with httpx.Client(base_url=app.base_url, timeout=30) as client:
        schema = client.get("/openapi.json").json()
        operations = [
            (method, path)
            for path, item in schema["paths"].items()
            for method, operation in item.items()
            if "requestBody" in operation
        ]
        assert len(operations) >= 10
        for method, path in operations:
            url = re.sub(r"\{\w+\}", "bench", path)
            for body in (b'{"x": NaN}', b'{"x": "\\udc00"}'):
                refused = client.request(method, url, content=body, headers=headers)
                assert refused.status_code == 422, (method, path, refused.text)
                assert refused.json()["detail"][0]["type"] == "json_invalid", (method, path, refused.text)
