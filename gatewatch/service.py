"""The running service: store, delivery, detector, live runtime and views, composed once per process.

Event flow: the runtime's ``on_event`` (scheduler thread) writes the snapshot of a ``new`` record,
then the RecordWriter has the store commit it (or holds it, in order, while the store cannot write);
only then do the store's listeners (SSE wake-up, MQTT, metrics, the webhook worker's wake-up) see it,
so nothing is ever delivered that is not stored.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import make_url

from gatewatch.assets.models import load_detector, load_manifest
from gatewatch.assets.samples import SampleError, resolve_source
from gatewatch.broadcast import Broadcaster
from gatewatch.config.live import LiveConfig
from gatewatch.config.schema import GatewatchConfig
from gatewatch.config.settings import Settings
from gatewatch.delivery import OutboxWorker, RetryPolicy
from gatewatch.delivery.mqtt_bridge import MqttBridge
from gatewatch.live_view import FrameHub
from gatewatch.service_metrics import DELIVERIES, DeliveryCounts, count_stored
from gatewatch.snapshots import snapshot_name
from gatewatch.store import EventStore
from gatewatch.store.db import private_dir
from gatewatch.store.health import StoreHealth
from gatewatch.store.record_writer import RecordWriter
from gatewatch.store.recovery import end_interrupted_events
from gatewatch.store.watch import RecordWatch
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.camera_types import StateChange
from gatewatch.streams.runtime import Applied, Runtime
from gatewatch.vision.detector import Detector
from gatewatch.vision.errors import InvalidValue
from gatewatch.vision.types import EventRecord
from gatewatch.writable import ensure_writable_dir

log = logging.getLogger(__name__)


class Service:
    def __init__(
        self,
        settings: Settings,
        config: GatewatchConfig,
        *,
        config_path: Path | None = None,
        detector: Detector | None = None,
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        # Snapshots show faces and the database holds webhook secrets: the data dir is this user's only.
        ensure_writable_dir(settings.data_dir, "data dir (GATEWATCH_DATA_DIR)", private=True)  # not a traceback
        private_dir(settings.snapshots_dir)
        self.store = EventStore(settings.db_url)
        self.store_health = StoreHealth(self.store.engine, _sqlite_dir(settings.db_url))
        self.writer = RecordWriter(
            self.store,
            self.store_health,
            max_held=settings.store_max_held_records,
            retry_interval_s=settings.store_retry_interval_s,
            spill_path=settings.store_spill_path,
        )
        self.detector = detector or load_detector(
            config.detector, settings.models_dir, settings.weights_dir, load_manifest(settings.manifest)
        )
        self.detector_classes = list(self.detector.class_names)
        self.broadcaster = Broadcaster()
        self.store.add_listener(count_stored)
        self.store.add_listener(self.broadcaster.publish)
        self.webhooks = OutboxWorker(
            self.store,
            policy=RetryPolicy(
                settings.webhook_backoff_base_s, settings.webhook_backoff_max_s, settings.webhook_max_attempts
            ),
            timeout_s=settings.webhook_timeout_s,
            poll_interval_s=settings.webhook_poll_interval_s,
            concurrency=settings.webhook_concurrency,
            allow_private_targets=settings.webhook_allow_private_targets,
        )
        # Records stored by other processes on the same database (API replicas, camera nodes) wake this
        # process's SSE streams and webhook worker too; MQTT is published only by the process that stored.
        self.watch = RecordWatch(self.store, self._wake_readers)
        self.mqtt = MqttBridge(settings) if settings.mqtt_host is not None else None
        if self.mqtt is not None:
            self.store.add_listener(self.mqtt.publish)
        self.frames = FrameHub(self.detector_classes)
        # The running config: the file's, or the live edits persisted for this very file content.
        self.live = LiveConfig(config, self.store.sessions, self.detector_classes)
        self.runtime = Runtime(
            self.runtime_config(self.live.config),
            self.detector,
            self._on_event,
            self._on_state,
            self.frames.on_analysis,
        )
        self.live.attach(self._apply)
        # A disabled camera's viewers are let go as well: it will deliver no frame until enabled again.
        self.live.listeners.append(lambda cfg: self.frames.retain(c.id for c in cfg.cameras if c.enabled))
        self._lock = threading.Lock()
        self._started = self._stopped = False

    def resolve_camera(self, camera: CameraConfig) -> CameraConfig:
        """The camera as the runtime opens it: ``sample:<clip>`` sources resolved to the checked file."""
        source = resolve_source(camera.source, self.settings)
        return camera if source == camera.source else camera.model_copy(update={"source": source})

    def runtime_config(self, config: GatewatchConfig) -> GatewatchConfig:
        return config.model_copy(update={"cameras": [self.resolve_camera(c) for c in config.cameras]})

    def _apply(self, config: GatewatchConfig) -> Applied:
        """LiveConfig's hook: a validated change goes to the runtime with its sample sources resolved."""
        try:
            resolved = self.runtime_config(config)
        except SampleError as exc:  # LiveConfig refuses a change on ValueError, with the field path
            raise InvalidValue(str(exc)) from exc
        return self.runtime.apply(resolved)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start delivery, then the cameras; a second call is an error (one pipeline per process)."""
        with self._lock:
            if self._started:
                raise RuntimeError("Service.start() called twice: the pipeline runs once per process")
            self._started = True
        hooks = self.webhooks

        def webhook_counts() -> DeliveryCounts:
            return DeliveryCounts(hooks.attempts_total, hooks.failed_attempts_total, hooks.lost_claims_total)

        DELIVERIES.bind("webhook", webhook_counts)
        self.webhooks.start()
        self.writer.start()
        self.watch.start()
        try:
            if self.mqtt is not None:
                mqtt = self.mqtt
                DELIVERIES.bind("mqtt", lambda: DeliveryCounts(mqtt.published, mqtt.publisher.dropped_total))
                mqtt.start()
            spilled = self.writer.replay_spill()  # records a stop could not store: first, in their order
            if spilled:
                log.warning("%d event record(s) from the spill file %s", spilled, self.settings.store_spill_path)
            # After delivery starts: the end records go out too.
            interrupted = end_interrupted_events(self.store, self.writer.append, cameras=self._owned_cameras())
            if interrupted:
                log.warning("ended %d event(s) left open by a previous process", len(interrupted))
            self.runtime.start()
        except BaseException:
            # A failed start must not leave delivery threads behind (the lifespan never reaches stop()).
            self.watch.stop()
            self.writer.stop()
            self.webhooks.stop()
            if self.mqtt is not None:
                self.mqtt.stop()
            raise

    def stop(self) -> None:
        """Stop cameras first (their open events end and are stored), then delivery, then the store."""
        with self._lock:
            if not self._started or self._stopped:
                return
            self._stopped = True
        if not self.runtime.stop():
            log.warning("a camera thread did not end within its timeouts")
        self.writer.stop()  # the cameras' end records are in: one last try for any still held
        self.watch.stop()
        self.webhooks.stop()
        if self.mqtt is not None:
            self.mqtt.stop()
        self.store.close()

    @property
    def running(self) -> bool:
        return self._started and not self._stopped

    def ready(self) -> tuple[bool, dict[str, bool], dict[str, str]]:
        """Checks by name, and the reason of each failed one that has one (the store's)."""
        store_error = self._store_error()
        checks = {"model": bool(self.detector_classes), "store": store_error is None, "pipeline": self.running}
        return all(checks.values()), checks, {} if store_error is None else {"store": store_error}

    def _store_error(self) -> str | None:
        held, error = self.writer.held, self.store_health.error
        if held and error is not None:  # no probe needed: the oldest held record's write has just failed
            return f"{held} event record(s) held until the store can write: {error}"
        return self.store_health.probe()

    # -- runtime callbacks ---------------------------------------------------------------------------

    def _on_event(self, record: EventRecord) -> None:
        """Scheduler thread: snapshot (for ``new``), then commit; delivery follows from the store."""
        if record.lifecycle == "new":
            self._write_snapshot(record)
        name = snapshot_name(record.id)
        if (self.settings.data_dir / name).is_file():
            record = replace(record, snapshot=name)
        self.writer.append(record)

    def _write_snapshot(self, record: EventRecord) -> None:
        path = self.settings.data_dir / snapshot_name(record.id)
        try:
            # The scheduler hands the hub each frame before that frame's events: this is the alarm's frame.
            jpeg = self.frames.latest_jpeg(record.camera)
            if jpeg is None:
                log.warning("no frame of camera %s for the snapshot of event %s", record.camera, record.id)
                return
            path.write_bytes(jpeg)
        except Exception:  # the event matters more than its picture: it is stored without one
            log.exception("could not write snapshot %s", path)
            path.unlink(missing_ok=True)  # a disk that filled up mid-write leaves a truncated JPEG

    def _owned_cameras(self) -> list[str] | None:
        """Whose open events a start may end: all on SQLite (one process), this config's on a shared database."""
        if self.store.engine.dialect.name == "sqlite":
            return None  # also ends the events of cameras removed from the config while it was down
        return [camera.id for camera in self.live.config.cameras]

    def _wake_readers(self) -> None:
        self.broadcaster.wake_all()
        self.webhooks.wake()

    def _on_state(self, change: StateChange) -> None:
        if self.mqtt is not None:
            self.mqtt.on_state(change)


def _sqlite_dir(url: str) -> Path | None:
    """The folder of a SQLite database file (where the disk can fill up), None for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).parent
