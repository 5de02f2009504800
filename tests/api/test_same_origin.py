"""The same-origin rule for writes, on request scopes as the server sees them (no browser needed here;
tests/browser/test_csrf.py tries the real attacks in Chromium)."""

from __future__ import annotations

import pytest

from gatewatch.api.same_origin import write_refusal

pytestmark = pytest.mark.unit

COOKIE = "gatewatch_session=gws_x"


def _scope(scheme: str = "http", **headers: str) -> dict[str, object]:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": "POST", "scheme": scheme, "path": "/events/e/ack", "headers": raw}


@pytest.mark.parametrize(
    ("scheme", "headers"),
    [
        ("http", {"host": "gate.local", "origin": "http://gate.local:80"}),  # default port either way
        ("https", {"host": "gate.local:443", "origin": "https://GATE.local"}),
        ("http", {"host": "[::1]:8080", "origin": "http://[::1]:8080", "cookie": COOKIE}),
        ("http", {"host": "proxy-rewrote-host", "sec_fetch_site": "same-origin", "cookie": COOKIE}),
        ("http", {"host": "h", "authorization": "Bearer gw_x", "cookie": COOKIE}),  # a key, not the cookie
        ("http", {"host": "h", "content_type": "application/json; charset=utf-8"}),  # an API client
    ],
)
def test_allowed(scheme: str, headers: dict[str, str]) -> None:
    assert write_refusal(_scope(scheme, **headers)) is None


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"host": "h:8080", "origin": "http://h:8081", "cookie": COOKIE}, 403),  # another port, same host
        ({"host": "h", "origin": "https://h"}, 403),  # another scheme
        ({"host": "h", "origin": "null", "cookie": COOKIE}, 403),  # sandboxed or file:// page
        ({"host": "h", "sec_fetch_site": "same-site", "origin": "http://h"}, 403),  # the browser's word wins
        ({"host": "h", "cookie": COOKIE}, 403),  # cookie without either header
        ({"host": "h", "content_type": "text/plain", "authorization": "Bearer gw_x"}, 415),
        ({"host": "h", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"host": "h", "content_type": "multipart/form-data; boundary=x"}, 415),
    ],
)
def test_refused(headers: dict[str, str], status: int) -> None:
    refusal = write_refusal(_scope(**headers))
    assert refusal is not None and refusal[0] == status
