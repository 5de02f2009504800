"""MqttPublisher against a real mosquitto broker on a loopback port."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gatewatch.delivery import MqttPublisher
from gatewatch.store import EventStore
from tests.event_records import new_record
from tests.mqtt_broker import Broker, Subscriber


def test_stored_records_are_published_on_the_events_topic(tmp_path: Path, mqtt_broker: Broker) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'gw.db'}")
    publisher = MqttPublisher("127.0.0.1", mqtt_broker.port)
    store.add_listener(publisher.publish)
    publisher.start()
    subscriber = Subscriber(mqtt_broker.port, "gatewatch/events")
    try:
        seq = store.append(new_record("w1", type="weapon", camera="gate1"))
        action = store.act("w1", "dismissed", "alice", "umbrella")
        topic, payload, _ = subscriber.next()
        message = json.loads(payload)
        assert topic == "gatewatch/events"
        assert (message["seq"], message["type"], message["data"]["event"]["camera"]) == (seq, "event.new", "gate1")
        message = json.loads(subscriber.next()[1])
        assert (message["seq"], message["type"]) == (action.seq, "event.dismissed")

        # The broker goes away and comes back: the publisher reconnects by itself and sends what waited.
        mqtt_broker.stop()
        subscriber.close()
        later = store.append(new_record("w2", type="weapon"))
        mqtt_broker.start()
        subscriber = Subscriber(mqtt_broker.port, "gatewatch/events")
        assert json.loads(subscriber.next(timeout_s=15)[1])["seq"] == later
        deadline = time.monotonic() + 5
        while publisher.acked_total < 3:  # the PUBACK may reach the publisher after the subscriber's copy
            assert time.monotonic() < deadline, publisher.acked_total
            time.sleep(0.05)
        assert publisher.dropped_total == 0
    finally:
        subscriber.close()
        publisher.stop()
        store.close()


def test_camera_status_is_retained_for_late_subscribers(mqtt_broker: Broker) -> None:
    publisher = MqttPublisher("127.0.0.1", mqtt_broker.port)
    publisher.start()
    # Status goes out asynchronously: a subscriber present all along sees each change arrive at the broker,
    # so the next one really subscribes late and can only get it as the retained copy.
    watcher = Subscriber(mqtt_broker.port, "gatewatch/gate1/status")
    try:
        publisher.set_camera_online("gate1", True)
        assert watcher.next()[:2] == ("gatewatch/gate1/status", "online")
        late = Subscriber(mqtt_broker.port, "gatewatch/gate1/status")
        assert late.next() == ("gatewatch/gate1/status", "online", True)
        late.close()

        publisher.set_camera_online("gate1", False)
        assert watcher.next()[:2] == ("gatewatch/gate1/status", "offline")
        later = Subscriber(mqtt_broker.port, "gatewatch/gate1/status")
        assert later.next() == ("gatewatch/gate1/status", "offline", True)
        later.close()
        with pytest.raises(ValueError):
            publisher.status_topic("gate/1")
    finally:
        watcher.close()
        publisher.stop()


def test_last_will_reports_offline_when_the_process_dies(mqtt_broker: Broker) -> None:
    script = (
        "import sys, time\n"
        "from gatewatch.delivery import MqttPublisher\n"
        "p = MqttPublisher('127.0.0.1', int(sys.argv[1]))\n"
        "p.set_camera_online('gate7', True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(mqtt_broker.port)])
    subscriber = Subscriber(mqtt_broker.port, "gatewatch/gate7/status")
    try:
        assert subscriber.next(timeout_s=15)[1] == "online"
        process.send_signal(signal.SIGKILL)  # no clean disconnect: only the broker's last will can tell
        process.wait(5)
        assert subscriber.next() == ("gatewatch/gate7/status", "offline", False)
    finally:
        process.kill()
        process.wait(5)
        subscriber.close()
