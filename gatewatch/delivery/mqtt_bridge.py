"""Connects the service to MQTT: stored records out, and camera availability from runtime state changes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from gatewatch.config.settings import Settings
from gatewatch.delivery import MqttPublisher
from gatewatch.store import StoredRecord
from gatewatch.streams.camera_types import CameraState, StateChange


class MqttBridge:
    def __init__(self, settings: Settings) -> None:
        assert settings.mqtt_host is not None
        self.publisher = MqttPublisher(settings.mqtt_host, settings.mqtt_port, prefix=settings.mqtt_prefix)
        self.published = 0  # records handed to the publisher (for the delivery metrics)
        self._online: dict[str, bool] = {}
        self._lock = threading.Lock()
        # An offline message waits for the broker (up to 2 s): off the camera threads that report it.
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="mqtt-status")

    def start(self) -> None:
        self.publisher.start()

    def stop(self) -> None:
        """After the runtime stopped: pending status changes go out, then every camera is marked offline."""
        self._pool.shutdown(wait=True)
        self.publisher.stop()

    def publish(self, record: StoredRecord) -> None:
        """Store listener."""
        with self._lock:  # appends come from the scheduler thread, operator actions from request threads
            self.published += 1
        self.publisher.publish(record)

    def on_state(self, change: StateChange) -> None:
        """Runtime state sink: a camera is online while it delivers frames (running), else offline."""
        online = change.state == CameraState.RUNNING
        with self._lock:
            if self._online.get(change.camera, False) == online:
                return
            self._online[change.camera] = online
        self._pool.submit(self.publisher.set_camera_online, change.camera, online)
