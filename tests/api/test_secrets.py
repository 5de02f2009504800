"""Secrets stay with admins: credentials planted in every field that takes one, then every route of the
served OpenAPI schema (plus the console and docs pages) read as viewer, alarm and anonymous, and grepped.

Also: webhook target policy, and private permissions of the data dir and database file.
"""

from __future__ import annotations

import re
import stat
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gatewatch.delivery import OutboxWorker
from gatewatch.store import EventStore
from tests.api.conftest import RunningApp, sample_config
from tests.api.test_roles import STREAMS
from tests.event_records import new_record

PARAM_NAMES = ("password", "pass", "pwd", "token", "key", "secret", "auth", "apikey", "Passwd", "X-Auth-Token")


def _secret(label: str) -> str:
    return f"S3cr{label}{uuid.uuid4().hex[:10]}"


class Planted:
    """Secret strings, and URLs that carry them in every form a camera or webhook URL can."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def new(self, label: str) -> str:
        value = _secret(label)
        self.values.append(value)
        return value

    def camera_url(self, host: str = "127.0.0.1:1") -> str:
        password = f"{self.new('userpw')} w/ sp@ce/"  # spaces, '/', '@' in the password
        params = "&".join(f"{name}={self.new(name)}" for name in PARAM_NAMES[:5])
        tail = ";".join(f"{name}={self.new(name)}" for name in PARAM_NAMES[5:])
        return f"rtsp://admin:{password}@{host}/live?{params}&channel=1;{tail}#frag=visible&sig={self.new('sig')}"


def _plant(app: RunningApp, planted: Planted) -> dict[str, str]:
    """Cameras, a webhook, events with failed deliveries, keys and audit entries, all holding secrets."""
    ids: dict[str, str] = {}
    with app.client("admin") as admin, app.client("operator") as operator:
        cameras = [
            ("leak", planted.camera_url()),
            ("space", f"  rtsp://viewer: {planted.new('lead')}@127.0.0.1:1/s"),  # leading blanks, blank password
            ("bare", f"rtsp://{planted.new('usertoken')}@127.0.0.1:1/s?user=admin"),  # a token as user name
        ]
        for camera_id, source in cameras:
            created = admin.post("/cameras", json={"id": camera_id, "source": source, "open_timeout_s": 2})
            assert created.status_code == 201, created.text
        # The audit log gets an old and a new version of a camera.
        replaced = admin.put("/cameras/leak", json={"id": "leak", "source": planted.camera_url(), "name": "Leak"})
        assert replaced.status_code == 200, replaced.text
        zone = {"id": "z1", "polygon": [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]], "crowding": {"min_count": 3}}
        assert operator.post("/cameras/leak/zones", json=zone).status_code == 201
        hook_url = f"http://hookuser:{planted.new('hookpw')}@127.0.0.1:1/hook?token={planted.new('hooktoken')}&x=1"
        hook = admin.post("/webhooks", json={"url": hook_url}).json()
        planted.values.append(hook["secret"])
        ids["subscription_id"] = str(hook["id"])
        created_key = admin.post("/keys", json={"name": "other", "role": "operator"}).json()
        planted.values.append(created_key["key"])
        ids["key_id"] = str(created_key["id"])
    planted.values += [app.key("admin"), app.key("operator")]
    app.service.store.append(new_record("ev1", camera="leak", zone="z1"))
    return ids


def _wait_for_failures(app: RunningApp) -> None:
    """Until the camera errors and the webhook delivery errors that may quote URLs are there to be read."""
    deadline = time.monotonic() + 60
    with app.client("admin") as admin:
        while time.monotonic() < deadline:
            cameras = {c["id"]: c for c in admin.get("/cameras").json()}
            deliveries = admin.get("/events/ev1/deliveries").json()
            if (
                all(cameras[c]["last_error"] for c in ("leak", "space", "bare"))
                and deliveries
                and all(d["last_error"] for d in deliveries)
            ):
                return
            time.sleep(0.5)
    raise AssertionError("camera and delivery errors did not show up")


def _url(path: str, ids: dict[str, str]) -> str:
    values = {"camera_id": "leak", "zone_id": "z1", "event_id": "ev1", "name": "pickup", **ids}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _read(client: httpx.Client, method: str, url: str, headers: dict[str, str]) -> str:
    """Status line, headers and body as text; endless streams are read for 2 s."""
    if STREAMS.search(url):
        with client.stream(method, url, headers=headers) as response:
            chunks, deadline = [], time.monotonic() + 2.0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline or sum(map(len, chunks)) > 2_000_000:
                    break
            body = b"".join(chunks)
    else:
        response = client.request(method, url, headers=headers)
        body = response.content
    head = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return f"{response.status_code}\n{head}\n{body.decode('latin-1')}"


def _leaks(text: str, secrets: list[str]) -> list[str]:
    from urllib.parse import quote

    forms = {form for s in secrets for form in (s, quote(s), quote(s, safe=""))}
    return sorted(form for form in forms if form in text)


def test_no_credential_reaches_viewer_or_alarm_keys_on_any_route(
    make_app: Callable[..., RunningApp],
) -> None:
    config = sample_config(rules=False)
    config["schedules"] = {
        "pickup": {"timezone": "UTC", "windows": [{"days": ["mon"], "start": "07:00", "end": "08:00"}]}
    }
    app = make_app(config, webhook_allow_private_targets=True, webhook_backoff_base_s=0.2)
    planted = Planted()
    ids = _plant(app, planted)
    _wait_for_failures(app)
    with httpx.Client(base_url=app.base_url, timeout=30) as client:
        schema = client.get("/openapi.json").json()
        operations = [
            (method.upper(), path)
            for path, item in schema["paths"].items()
            for method in item
            if method in ("get", "post", "put", "patch", "delete")
        ]
        pages = [("GET", p) for p in ("/", "/docs", "/openapi.json", "/console/index.html")]
        readers = {"viewer": app.auth(app.key("viewer")), "alarm": app.auth(app.key("alarm")), "anonymous": {}}
        checked = 0
        for who, headers in readers.items():
            for method, path in operations + pages:
                text = _read(client, method, _url(path, ids), headers)
                assert not _leaks(text, planted.values), (who, method, path, _leaks(text, planted.values), text[:2000])
                checked += 1
        # The walk saw what it was meant to: the planted camera, its error, and the deliveries.
        viewer = app.auth(app.key("viewer"))
        camera = client.get("/cameras/leak", headers=viewer).json()
        assert camera["config"]["source"].startswith("rtsp://admin:***@127.0.0.1:1/live?password=***&pass=***")
        assert camera["last_error"]
        deliveries = client.get("/events/ev1/deliveries", headers=viewer).json()
        assert deliveries and all(
            d["url"] is None and d["subscription_id"] == int(ids["subscription_id"]) for d in deliveries
        )
        # The audit log is an admin's, and still no backup of camera passwords.
        audit = _read(client, "GET", "/audit", app.auth(app.key("admin")))
        assert '"what":"cameras.leak"' in audit.replace(" ", "")
        camera_secrets = [s for s in planted.values if not s.startswith(("gw_", "whsec_")) and "hook" not in s]
        assert not _leaks(audit, camera_secrets)
    assert checked >= 3 * 40


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://192.168.1.5:8080/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_webhook_targets_on_loopback_link_local_or_private_are_refused_by_default(
    make_app: Callable[..., RunningApp], url: str
) -> None:
    app = make_app(sample_config(rules=False))
    with app.client("admin") as admin:
        refused = admin.post("/webhooks", json={"url": url})
        assert refused.status_code == 422, refused.text
        assert "GATEWATCH_WEBHOOK_ALLOW_PRIVATE_TARGETS" in refused.json()["detail"]
        assert admin.get("/webhooks").json() == []
        public = admin.post("/webhooks", json={"url": "https://93.184.216.34/hook"})  # a literal: no DNS needed
        assert public.status_code == 201, public.text


def test_private_targets_allowed_by_the_setting_and_rechecked_at_delivery(
    make_app: Callable[..., RunningApp], tmp_path: Any
) -> None:
    allowed = make_app(sample_config(rules=False), webhook_allow_private_targets=True)
    with allowed.client("admin") as admin:
        assert admin.post("/webhooks", json={"url": "http://127.0.0.1:9/hook"}).status_code == 201
    # A subscription that got in some other way (an older version, a direct database edit) is still refused
    # at delivery time while the setting is off.
    store = EventStore(f"sqlite:///{tmp_path / 'events.db'}")
    store.subscriptions.create("http://127.0.0.1:9/hook")
    store.append(new_record("e1"))
    worker = OutboxWorker(store, poll_interval_s=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not (status := store.delivery_status("e1"))[0].last_error and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "GATEWATCH_WEBHOOK_ALLOW_PRIVATE_TARGETS" in (status[0].last_error or "")
        assert status[0].last_status_code is None
    finally:
        worker.stop()
        store.close()


def test_data_dir_and_database_are_private(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    data_dir = app.service.settings.data_dir
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(app.service.settings.snapshots_dir.stat().st_mode) == 0o700
    database = data_dir / "gatewatch.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    app.service.store.append(new_record("e1"))  # a write: the WAL files exist now
    for extra in ("gatewatch.db-wal", "gatewatch.db-shm"):
        assert stat.S_IMODE((data_dir / extra).stat().st_mode) == 0o600
