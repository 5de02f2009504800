"""MQTT: every stored record on ``gatewatch/events`` (QoS 1), camera availability on ``gatewatch/<camera>/status``.

Availability is retained ``online``/``offline`` with a last will, so a late subscriber learns the
current state and a crashed process still reads ``offline``. MQTT allows one will per connection,
hence one small connection per online camera beside the one that carries the events.
paho's network thread reconnects by itself (1 s to 30 s apart); QoS 1 messages published while the
broker is away wait in paho's queue. That queue lives in memory: the durable channel is the webhook outbox.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from gatewatch.store import StoredRecord
from gatewatch.vision.errors import InvalidValue

log = logging.getLogger(__name__)

ONLINE, OFFLINE = "online", "offline"
MAX_QUEUED = 10_000  # bounds memory while the broker is unreachable
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 30
OFFLINE_PUBLISH_WAIT_S = 2.0


class MqttPublisher:
    def __init__(self, host: str, port: int = 1883, *, prefix: str = "gatewatch", keepalive_s: int = 30) -> None:
        self.host, self.port, self.prefix, self.keepalive_s = host, port, prefix, keepalive_s
        self.acked_total = 0  # events the broker acknowledged (PUBACK)
        self.dropped_total = 0  # events refused because the offline queue was full
        self._events = self._client("events")
        self._events.on_publish = self._on_event_acked
        self._cameras: dict[str, mqtt.Client] = {}
        self._lock = threading.Lock()

    @property
    def events_topic(self) -> str:
        return f"{self.prefix}/events"

    def status_topic(self, camera: str) -> str:
        if not camera or any(c in camera for c in "/+#"):
            raise InvalidValue(f"camera id {camera!r} cannot be an MQTT topic level")
        return f"{self.prefix}/{camera}/status"

    def start(self) -> None:
        """Connect in the background: a broker that is down now is retried, never an error here."""
        self._events.connect_async(self.host, self.port, self.keepalive_s)
        self._events.loop_start()

    def stop(self) -> None:
        with self._lock:
            cameras = list(self._cameras)
        for camera in cameras:
            self.set_camera_online(camera, False)
        self._events.disconnect()
        self._events.loop_stop()

    def publish(self, record: StoredRecord) -> None:
        """Store listener: queue one record; paho sends it now or after reconnecting."""
        payload = json.dumps(record.to_json(), separators=(",", ":"), ensure_ascii=False)
        info = self._events.publish(self.events_topic, payload, qos=1)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            self.dropped_total += 1
            log.warning("MQTT queue full: record seq %d not published", record.seq)

    def set_camera_online(self, camera: str, online: bool) -> None:
        """Publish a camera's availability, retained; while online a last will says offline if we die."""
        topic = self.status_topic(camera)
        with self._lock:
            client = self._cameras.get(camera)
            if online and client is None:
                self._cameras[camera] = self._camera_client(camera, topic)
            elif not online and client is not None:
                del self._cameras[camera]
        if not online and client is not None:
            info = client.publish(topic, OFFLINE, qos=1, retain=True)
            if client.is_connected():
                try:
                    info.wait_for_publish(OFFLINE_PUBLISH_WAIT_S)
                except RuntimeError:
                    log.warning("could not publish %s for camera %s", OFFLINE, camera)
            # A clean disconnect discards the will, hence the explicit offline message above.
            client.disconnect()
            client.loop_stop()

    def _camera_client(self, camera: str, topic: str) -> mqtt.Client:
        client = self._client(f"cam-{camera}")
        client.will_set(topic, OFFLINE, qos=1, retain=True)

        # On every (re)connection: the will may have fired while we were cut off.
        def on_connect(c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            if not reason.is_failure:
                c.publish(topic, ONLINE, qos=1, retain=True)

        client.on_connect = on_connect
        client.connect_async(self.host, self.port, self.keepalive_s)
        client.loop_start()
        return client

    def _client(self, role: str) -> mqtt.Client:
        # A random suffix: two processes with the same id would keep disconnecting each other.
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{self.prefix}-{role}-{uuid.uuid4().hex[:8]}")
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.max_queued_messages_set(MAX_QUEUED)
        client.enable_logger(log)
        return client

    def _on_event_acked(self, _c: mqtt.Client, _u: Any, _mid: int, _reason: Any, _p: Any) -> None:
        self.acked_total += 1
