"""One camera as a Ray actor: its own decoding, tracker and rules, its records written to the shared store.

Ray restarts the actor on a surviving node when its node dies (``max_restarts=-1``); ``__init__`` runs
again there with the same arguments: the camera reopens its source and starts with fresh analytics.

A rule window open when the node died is *ended*, not continued: before the camera starts again, every
event of this camera still open in the store gets an end record with reason ``node_lost`` when it started
during this fleet's run (an earlier incarnation of this actor raised it, and its node or process died), or
``interrupted`` when it is older (a previous run of the whole cluster died). Continuing would need the
tracker's tracks and the rule's timers, which died with the process. So the alarm consumer sees one
``end`` (node_lost) per lost window and, if the situation persists, one ``new`` event with its own id
once the rule fires again: at most one open event per camera, zone and rule at any time, and no record
stored twice (event ids are derived from camera, zone, rule and start time; writes are idempotent).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Any

import ray
from sqlalchemy import select

from gatewatch.cluster.detector_service import ModelInput
from gatewatch.cluster.remote_detector import DetectorCalls, RemoteDetector
from gatewatch.config.schema import GatewatchConfig
from gatewatch.store import EventStore
from gatewatch.store.health import StoreHealth
from gatewatch.store.record_writer import RecordWriter
from gatewatch.store.recovery import end_interrupted_events
from gatewatch.store.tables import EventRow
from gatewatch.streams.camera_types import StateChange
from gatewatch.streams.runtime import Runtime
from gatewatch.streams.status import CameraStatus

log = logging.getLogger(__name__)

NODE_LOST = "node_lost"
INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class CameraPlacement:
    """Where and since when a camera runs, and what its actor has done there."""

    camera: str
    node_id: str
    pid: int
    started_at: dt.datetime  # UTC: when this incarnation of the actor started (a restart changes it)
    ended_on_start: tuple[str, ...]  # ids of the events this incarnation ended (node_lost / interrupted)
    status: CameraStatus
    detector: DetectorCalls
    held_records: int  # records waiting for the store to accept them


class CameraActor:
    """Wrapped by ``ray.remote`` in ``gatewatch.cluster.fleet``; runs one camera of the config."""

    def __init__(
        self, config: GatewatchConfig, detector: Any, model: ModelInput, database_url: str, run_started_at: dt.datetime
    ) -> None:
        if len(config.cameras) != 1:
            raise ValueError(f"a camera actor runs one camera, got {len(config.cameras)}")
        camera = config.cameras[0]
        self._camera = camera.id
        self._node_id = ray.get_runtime_context().get_node_id()
        self._started_at = dt.datetime.now(dt.UTC)
        self.store = EventStore(database_url)
        self.writer = RecordWriter(self.store, StoreHealth(self.store.engine, None))
        self.writer.start()
        # Before the camera opens: the lost windows end before any new event of this camera can start.
        self._ended = self._end_lost_windows(camera.id, run_started_at)
        self.detector = RemoteDetector(detector, model)
        self.runtime = Runtime(config, self.detector, self.writer.append, self._on_state)
        self.runtime.start()

    def placement(self) -> CameraPlacement:
        return CameraPlacement(
            camera=self._camera,
            node_id=self._node_id,
            pid=os.getpid(),
            started_at=self._started_at,
            ended_on_start=self._ended,
            status=self.runtime.status()[self._camera],
            detector=self.detector.calls(),
            held_records=self.writer.held,
        )

    def stop(self) -> bool:
        """End the camera's open events (reason ``shutdown``), store them, close the store."""
        joined = self.runtime.stop()
        self.writer.stop()
        self.store.close()
        return joined

    def _end_lost_windows(self, camera_id: str, run_started_at: dt.datetime) -> tuple[str, ...]:
        """End this camera's open events: ``node_lost`` if raised in this run, ``interrupted`` if older.

        Decided from the store, not by asking Ray whether the actor was restarted: that answer comes from
        the state API (an HTTP round trip to the head's dashboard), seconds when the head is busy.
        """
        with self.store.sessions() as session:
            open_started = session.execute(
                select(EventRow.id, EventRow.started_at).where(
                    EventRow.camera == camera_id, EventRow.lifecycle != "end"
                )
            ).all()
        ended: list[str] = []
        for reason, lost in ((NODE_LOST, True), (INTERRUPTED, False)):
            ids = {event_id for event_id, started in open_started if (started >= run_started_at) is lost}
            if ids:
                ended += end_interrupted_events(
                    self.store, self.writer.append, cameras=[camera_id], reason=reason, ids=ids
                )
                log.warning("camera %s: ended %d event(s) left open (%s)", camera_id, len(ids), reason)
        return tuple(ended)

    def _on_state(self, change: StateChange) -> None:
        log.info("camera %s: %s (%s)", change.camera, change.state, change.message)
