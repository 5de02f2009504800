"""Role boundaries, walked over every route of the served OpenAPI schema (new routes are covered by default)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from tests.api.conftest import RunningApp, sample_config
from tests.event_records import new_record

MUTATING = ("post", "put", "patch", "delete")
# Routes anyone may call: probes, metrics, service info, and trading a key for a cookie.
PUBLIC = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/info"),
    ("get", "/metrics"),
    ("post", "/auth/login"),
    ("post", "/auth/logout"),
}
# Routes an `alarm` key may read (events only).
EVENT_READS = re.compile(r"^/events(/|$)|^/auth/whoami$")
STREAMS = re.compile(r"/stream(\.mjpeg)?$")  # endless responses: checked for the status line only


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", *MUTATING) and (method, path) not in PUBLIC
    ]


def _url(path: str, operation: dict[str, Any]) -> str:
    """Fill path parameters with a syntactically valid value (auth is checked before the value is used)."""
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            value = "1" if param["schema"].get("type") == "integer" else "bench"
            path = path.replace("{" + param["name"] + "}", value)
    return path


def _status(client: httpx.Client, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    if STREAMS.search(path):
        with client.stream(method, path, headers=headers) as response:
            response.read() if response.status_code >= 400 else None
            return response
    return client.request(method, path, headers=headers)


def test_every_route_refuses_missing_keys_and_lesser_roles(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    with httpx.Client(base_url=app.base_url, timeout=30) as client:
        operations = _operations(client.get("/openapi.json").json())
        assert len(operations) >= 20 and any(m == "patch" for m, _, _ in operations)
        viewer, alarm = app.auth(app.key("viewer")), app.auth(app.key("alarm"))
        for method, path, operation in operations:
            url = _url(path, operation)
            anonymous = _status(client, method, url, {})
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            assert anonymous.json()["required_roles"], (method, path)
            assert anonymous.headers["www-authenticate"] == "Bearer"

            if method in MUTATING:
                refused = _status(client, method, url, viewer)
                body = refused.json()
                assert refused.status_code == 403, (method, path, refused.text)
                assert "viewer" not in body["required_roles"] and set(body["required_roles"]) <= {"operator", "admin"}
                assert "role 'viewer' may not do this; needs one of: " in body["detail"]
            if not EVENT_READS.search(path):
                refused = _status(client, method, url, alarm)
                assert refused.status_code == 403, (method, path, refused.text)


def test_viewer_cannot_tune_a_threshold_or_dismiss_an_event(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config())
    app.service.store.append(new_record("ev1", camera="bench", zone="table"))
    patch = {"weapon": {"min_confidence": 0.7}}
    with app.client("viewer") as viewer, app.client("operator") as operator:
        refused = viewer.patch("/cameras/bench/zones/table", json=patch)
        assert refused.status_code == 403 and refused.json()["required_roles"] == ["operator", "admin"]
        assert viewer.get("/cameras/bench/zones/table").json()["weapon"]["min_confidence"] == 0.5
        assert viewer.post("/events/ev1/dismiss").status_code == 403
        assert viewer.get("/events/ev1").json()["event"]["operator_state"] == "open"
        # The same requests with an operator key go through: the 403s above are the role check, not the route.
        assert operator.patch("/cameras/bench/zones/table", json=patch).status_code == 200
        assert viewer.get("/cameras/bench/zones/table").json()["weapon"]["min_confidence"] == 0.7
        assert operator.post("/events/ev1/dismiss").json()["operator_state"] == "dismissed"


def test_keys_cookie_login_and_revocation(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    with app.client("admin") as admin:
        created = admin.post("/keys", json={"name": "desk", "role": "operator"})
        assert created.status_code == 201
        token, key_id = created.json()["key"], created.json()["id"]
        listed = {k["id"]: k for k in admin.get("/keys").json()}
        assert listed[key_id]["role"] == "operator" and "key" not in listed[key_id]

        with httpx.Client(base_url=app.base_url) as browser:  # keeps cookies like a browser
            assert browser.get("/auth/whoami").status_code == 401
            login = browser.post("/auth/login", json={"key": token})
            assert login.json() == {"name": "desk", "role": "operator"}
            cookie = login.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie
            assert browser.get("/auth/whoami").json()["name"] == "desk"  # the cookie alone authenticates
            assert admin.delete(f"/keys/{key_id}").status_code == 204
            assert browser.get("/auth/whoami").status_code == 401  # revoked: refused at once
            assert browser.post("/auth/login", json={"key": token}).status_code == 401
        assert admin.delete(f"/keys/{key_id}").status_code == 404
        assert admin.post("/keys", json={"name": "x", "role": "root"}).status_code == 422


def test_insecure_local_gives_keyless_read_access_only(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False), insecure_local=True)
    app.service.store.append(new_record("ev1"))
    with httpx.Client(base_url=app.base_url, timeout=30) as local:
        assert local.get("/info").json()["insecure_local"] is True
        assert local.get("/auth/whoami").json() == {"name": "local", "role": "local"}
        assert [e["id"] for e in local.get("/events").json()["items"]] == ["ev1"]
        assert local.get("/cameras").status_code == 200
        refused = local.post("/events/ev1/ack")
        assert refused.status_code == 403 and refused.json()["required_roles"] == ["operator", "admin"]
        assert local.get("/keys").status_code == 403
        bad_key = local.get("/events", headers={"authorization": "Bearer gw_wrong"})
        assert bad_key.status_code == 401  # a wrong key is an error, not a fallback to local access
