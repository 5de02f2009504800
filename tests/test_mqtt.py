"""MqttPublisher against a real mosquitto broker on a loopback port."""

from __future__ import annotations

import json
import queue
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from api.delivery import MqttPublisher
from api.store import EventStore
from tests.event_records import new_record

# Debian installs it in /usr/sbin, which is not on a normal user's PATH; scripts/test installs it.
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    def __init__(self, tmp_path: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.config = tmp_path / "mosquitto.conf"
        self.config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert self.process.poll() is None, self.process.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "mosquitto did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    broker = Broker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


class Subscriber:
    """A paho client that collects (topic, payload, retain) after its subscription is acknowledged."""

    def __init__(self, port: int, topic: str) -> None:
        self.messages: queue.Queue[tuple[str, str, bool]] = queue.Queue()
        subscribed = queue.Queue[bool]()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: subscribed.put(True)
        self.client.on_message = lambda _c, _u, m: self.messages.put((m.topic, m.payload.decode(), bool(m.retain)))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        subscribed.get(timeout=5)

    def next(self, timeout_s: float = 5.0) -> tuple[str, str, bool]:
        return self.messages.get(timeout=timeout_s)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_stored_records_are_published_on_the_events_topic(tmp_path: Path, broker: Broker) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'gw.db'}")
    publisher = MqttPublisher("127.0.0.1", broker.port)
    store.add_listener(publisher.publish)
    publisher.start()
    subscriber = Subscriber(broker.port, "gatewatch/events")
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
        broker.stop()
        subscriber.close()
        later = store.append(new_record("w2", type="weapon"))
        broker.start()
        subscriber = Subscriber(broker.port, "gatewatch/events")
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


def test_camera_status_is_retained_for_late_subscribers(broker: Broker) -> None:
    publisher = MqttPublisher("127.0.0.1", broker.port)
    publisher.start()
    # Status goes out asynchronously: a subscriber present all along sees each change arrive at the broker,
    # so the next one really subscribes late and can only get it as the retained copy.
    watcher = Subscriber(broker.port, "gatewatch/gate1/status")
    try:
        publisher.set_camera_online("gate1", True)
        assert watcher.next()[:2] == ("gatewatch/gate1/status", "online")
        late = Subscriber(broker.port, "gatewatch/gate1/status")
        assert late.next() == ("gatewatch/gate1/status", "online", True)
        late.close()

        publisher.set_camera_online("gate1", False)
        assert watcher.next()[:2] == ("gatewatch/gate1/status", "offline")
        later = Subscriber(broker.port, "gatewatch/gate1/status")
        assert later.next() == ("gatewatch/gate1/status", "offline", True)
        later.close()
        with pytest.raises(ValueError):
            publisher.status_topic("gate/1")
    finally:
        watcher.close()
        publisher.stop()


def test_last_will_reports_offline_when_the_process_dies(broker: Broker) -> None:
    script = (
        "import sys, time\n"
        "from api.delivery import MqttPublisher\n"
        "p = MqttPublisher('127.0.0.1', int(sys.argv[1]))\n"
        "p.set_camera_online('gate7', True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(broker.port)])
    subscriber = Subscriber(broker.port, "gatewatch/gate7/status")
    try:
        assert subscriber.next(timeout_s=15)[1] == "online"
        process.send_signal(signal.SIGKILL)  # no clean disconnect: only the broker's last will can tell
        process.wait(5)
        assert subscriber.next() == ("gatewatch/gate7/status", "offline", False)
    finally:
        process.kill()
        process.wait(5)
        subscriber.close()
