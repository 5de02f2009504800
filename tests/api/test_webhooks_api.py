"""Webhooks through the served app: subscribe over HTTP, failing receiver, retries, signatures, restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from gatewatch.store import EventStore
from tests.api.conftest import RunningApp, sample_config
from tests.event_records import new_record
from tests.webhook_receiver import Receiver

# The receiver listens on loopback, which the webhook target policy refuses unless allowed.
FAST_RETRY = {
    "webhook_backoff_base_s": 0.2,
    "webhook_backoff_max_s": 1.0,
    "webhook_poll_interval_s": 0.1,
    "webhook_allow_private_targets": True,
}


def _wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_subscribed_receiver_gets_every_record_signed_after_retries(
    make_app: Callable[..., RunningApp], webhook_receiver: Callable[[Receiver], str]
) -> None:
    app = make_app(sample_config(rules=False), **FAST_RETRY)
    receiver = Receiver("", lambda _id, nth: 503 if nth <= 2 else 204)  # secret set once the API made it
    with app.client("admin") as admin, app.client("operator") as operator, app.client("viewer") as viewer:
        assert viewer.get("/webhooks").status_code == 403
        created = admin.post("/webhooks", json={"url": webhook_receiver(receiver), "event_types": ["weapon"]})
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        assert receiver.secret.startswith("whsec_")
        assert "secret" not in admin.get("/webhooks").json()[0]  # shown once, at creation

        app.service.store.append(new_record("w1", type="weapon"))
        app.service.store.append(new_record("l1", type="loitering"))  # filtered out by event_types
        assert operator.post("/events/w1/dismiss", json={"note": "umbrella"}).status_code == 200

        def settled() -> list[dict[str, Any]]:
            deliveries = viewer.get("/events/w1/deliveries").json()
            return deliveries if deliveries and all(d["status"] != "pending" for d in deliveries) else []

        _wait_for(lambda: bool(settled()), 20, "webhook deliveries")
        deliveries = settled()
        records = viewer.get("/events/w1").json()["records"]
        assert viewer.get("/events/l1/deliveries").json() == []

    assert [(d["seq"], d["status"], d["attempts"], d["last_status_code"]) for d in deliveries] == [
        (r["seq"], "delivered", 3, 204) for r in records
    ]
    assert receiver.bad_signatures == 0
    assert dict(receiver.accepted) == {
        f"msg_{r['seq']}": [r]
        for r in records  # each record exactly once, body as the API shows it
    }
    assert records[1]["data"]["action"] == {
        **records[1]["data"]["action"],
        "actor": "test-operator",
        "note": "umbrella",
    }
    with app.client("admin") as admin:
        sub_id = admin.get("/webhooks").json()[0]["id"]
        assert admin.delete(f"/webhooks/{sub_id}").status_code == 204
        assert admin.get("/webhooks").json() == []
        assert admin.delete(f"/webhooks/{sub_id}").status_code == 404
        bad = admin.post("/webhooks", json={"url": "ftp://example.org/x"})
        assert bad.status_code == 422 and "http" in bad.json()["detail"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """``gatewatch serve`` as a subprocess on a given data dir (the process a deployment runs)."""

    def __init__(self, config: Path, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("ab")
        command = [sys.executable, "-m", "gatewatch.cli", "serve", "--config", str(config), "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 60) -> None:
        def ready() -> bool:
            assert self.process.poll() is None, "gatewatch serve exited; see its log"
            try:
                return httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        _wait_for(ready, timeout_s, "gatewatch serve to be ready")

    def stop(self, sig: signal.Signals) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(30)
        self.log.close()
        return code


def test_nothing_is_lost_when_the_served_process_is_killed_and_restarted(
    tmp_path: Path, webhook_receiver: Callable[[Receiver], str]
) -> None:
    config = tmp_path / "gate.yaml"
    config.write_text(yaml.safe_dump(sample_config()))
    env = {
        **os.environ,
        "GATEWATCH_DATA_DIR": str(tmp_path / "data"),
        "GATEWATCH_WEBHOOK_TIMEOUT_S": "2",
        **{f"GATEWATCH_{k.upper()}": str(v) for k, v in FAST_RETRY.items()},
    }
    created = subprocess.run(
        [sys.executable, "-m", "gatewatch.cli", "keys", "create", "--role", "admin", "--name", "ops"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.split()[-1]
    headers = {"authorization": f"Bearer {key}"}
    receiver_up = threading.Event()
    receiver = Receiver("", lambda _id, _nth: 200 if receiver_up.is_set() else 503)
    url = webhook_receiver(receiver)

    first = Served(config, env, tmp_path / "serve.log")
    try:
        first.wait_ready()
        with httpx.Client(base_url=first.base_url, headers=headers, timeout=10) as api:
            receiver.secret = api.post("/webhooks", json={"url": url}).json()["secret"]

            def attempted_event() -> bool:  # a live weapon event whose delivery has been tried and refused
                items = api.get("/events").json()["items"]
                return bool(items) and any(
                    d["attempts"] >= 1 for d in api.get(f"/events/{items[-1]['id']}/deliveries").json()
                )

            _wait_for(attempted_event, 90, "a live event with a refused delivery")
            event_id = api.get("/events").json()["items"][-1]["id"]
            assert api.post(f"/events/{event_id}/ack").status_code == 200
    finally:
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL  # no shutdown code runs: a crash
    assert receiver.accepted == {}

    store = EventStore(f"sqlite:///{tmp_path / 'data' / 'gatewatch.db'}")
    before_restart = [r.seq for r in store.records_after(0, limit=500)]
    store.close()
    assert before_restart, "records were committed before the kill"

    receiver_up.set()
    second = Served(config, env, tmp_path / "serve.log")
    try:
        second.wait_ready()
        _wait_for(lambda: all(f"msg_{s}" in receiver.accepted for s in before_restart), 60, "redelivery")
    finally:
        # uvicorn shuts down cleanly, then re-raises the signal so a supervisor sees why it ended.
        assert second.stop(signal.SIGTERM) == -signal.SIGTERM
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()
    assert receiver.bad_signatures == 0
    assert all(len(receiver.accepted[f"msg_{s}"]) == 1 for s in before_restart)
    ack = next(b[0] for b in receiver.accepted.values() if b[0]["type"] == "event.acknowledged")
    assert ack["data"]["action"]["actor"] == "ops" and ack["data"]["event"]["id"] == event_id


def test_one_subscriber_gets_records_in_the_store_order_even_with_retries(
    make_app: Callable[..., RunningApp], webhook_receiver: Callable[[Receiver], str]
) -> None:
    """A burst of records, every 9th refused once: each arrives (and is retried) before any later one."""
    app = make_app(sample_config(rules=False), **FAST_RETRY, webhook_concurrency=8)

    def refuse_once(msg_id: str, nth: int) -> int:
        return 503 if nth == 1 and int(msg_id.removeprefix("msg_")) % 9 == 0 else 204

    receiver = Receiver("", refuse_once)
    with app.client("admin") as admin:
        created = admin.post("/webhooks", json={"url": webhook_receiver(receiver)})
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
    seqs = [app.service.store.append(new_record(f"burst{i}")) for i in range(200)]
    _wait_for(lambda: len(receiver.accepted) == len(seqs), 60, "every record delivered")

    arrivals = sorted((at, int(msg_id.removeprefix("msg_"))) for msg_id, ats in receiver.attempts.items() for at in ats)
    order = [seq for _at, seq in arrivals]
    assert order == sorted(order), "a record reached the subscriber before an older one was delivered"
    assert sorted(set(order)) == seqs and len(order) == len(seqs) + sum(1 for s in seqs if s % 9 == 0)
