"""MQTT from the served app: live events and camera availability on a real mosquitto broker."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable

import pytest

from tests.api.conftest import RunningApp, sample_config
from tests.mqtt_broker import Broker, Subscriber

EVENT_TIMEOUT_S = 90.0


def _next_matching(subscriber: Subscriber, match: Callable[[str, str], bool], timeout_s: float) -> tuple[str, str]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            topic, payload, _ = subscriber.next(timeout_s=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail("no matching MQTT message")
        if match(topic, payload):
            return topic, payload


def test_served_app_publishes_events_and_camera_status(
    make_app: Callable[..., RunningApp], mqtt_broker: Broker
) -> None:
    watcher = Subscriber(mqtt_broker.port, "gatewatch/#")
    try:
        app = make_app(sample_config(), mqtt_host="127.0.0.1", mqtt_port=mqtt_broker.port)
        status = _next_matching(watcher, lambda t, _p: t == "gatewatch/bench/status", 30)
        assert status == ("gatewatch/bench/status", "online")

        def is_new_weapon(topic: str, payload: str) -> bool:
            return topic == "gatewatch/events" and json.loads(payload)["type"] == "event.new"

        message = json.loads(_next_matching(watcher, is_new_weapon, EVENT_TIMEOUT_S)[1])
        event = message["data"]["event"]
        assert (event["type"], event["camera"], event["zone"]) == ("weapon", "bench", "table")
        with app.client("operator") as operator:
            acked = operator.post(f"/events/{event['id']}/ack").json()
            stored = operator.get(f"/events/{event['id']}").json()["records"]
        assert stored[0] == message  # the MQTT message is the stored record, byte for byte in JSON

        def is_ack(topic: str, payload: str) -> bool:
            return topic == "gatewatch/events" and json.loads(payload)["type"] == "event.acknowledged"

        ack = json.loads(_next_matching(watcher, is_ack, 10)[1])
        assert ack["seq"] == acked["last_seq"] and ack["data"]["action"]["actor"] == "test-operator"
        with app.client("viewer") as viewer:
            metrics = viewer.get("/metrics").text
        mqtt_attempts = next(
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith('gatewatch_delivery_attempts_total{channel="mqtt"}')
        )
        assert mqtt_attempts >= 2

        app.stop()  # a clean shutdown says offline itself (the last will covers a crash)
        assert _next_matching(watcher, lambda t, _p: t == "gatewatch/bench/status", 15)[1] == "offline"
        late = Subscriber(mqtt_broker.port, "gatewatch/bench/status")
        assert late.next() == ("gatewatch/bench/status", "offline", True)  # retained for late subscribers
        late.close()
    finally:
        watcher.close()
