"""The live multi-camera runtime: one thread per camera, one watchdog, one scheduler with the detector.

Callbacks: ``on_state`` runs on camera and watchdog threads, ``on_event`` and ``on_analysis`` on the
scheduler thread (``on_analysis`` before the frame's events); all must be quick and thread-safe.

``apply(config)`` changes the running set-up without a restart: cameras added, removed or restarted
(source settings changed), zones, masks and schedules replaced from the next frame (see
``CameraAnalyzer.adopt``). Changes are serialised by a lock; analyzers change on the scheduler thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol, Self

from gatewatch.streams import pipeline_metrics
from gatewatch.streams.buffer import FrameSlot
from gatewatch.streams.camera import CameraWorker
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.camera_types import CameraState, CapturedFrame, StateChange
from gatewatch.streams.detection_schedule import DetectionSchedule
from gatewatch.streams.lanes import Lane, LaneStats
from gatewatch.streams.scheduler import AnalysisSink, EventSink, Scheduler
from gatewatch.streams.status import CameraStatus, camera_status
from gatewatch.streams.watchdog import Watchdog
from gatewatch.vision.analytics_config import DetectorConfig, ScheduleConfig, TrackerConfig
from gatewatch.vision.analyzer import CameraAnalyzer
from gatewatch.vision.detector import Detector
from gatewatch.vision.errors import InvalidValue
from gatewatch.vision.motion import MotionGate

# Fields of a camera the camera thread does not read: changing them keeps the camera's stream open
# (view_source is only listed for viewers; gatewatch never opens it).
ANALYTICS_FIELDS = frozenset({"zones", "masks", "name", "motion", "view_source"})
COMMAND_TIMEOUT_S = 30.0  # a round takes well under a second; this only guards against a wedged detector
# How long a live change waits for a removed camera's thread. One blocked opening a dead source may need
# up to its open_timeout_s (<= 120 s) to notice; it is stopped and detached, and ``stop()`` joins it.
REMOVE_WAIT_S = 10.0


class RuntimeConfig(Protocol):
    """What the runtime reads of the config file (gatewatch.config.schema.GatewatchConfig has it)."""

    detector: DetectorConfig
    tracker: TrackerConfig
    schedules: dict[str, ScheduleConfig]
    cameras: list[CameraConfig]


@dataclass(frozen=True, slots=True)
class Applied:
    """What ``Runtime.apply`` changed, by camera id."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    reconfigured: list[str] = field(default_factory=list)
    joined: bool = True  # False if a removed camera's thread was still inside FFmpeg after REMOVE_WAIT_S


def build_analyzer(camera: CameraConfig, config: RuntimeConfig, class_names: Sequence[str]) -> CameraAnalyzer:
    """The camera's analyzer; an InvalidValue names the field (``cameras.<id>.zones.<zone>...``)."""
    try:
        return CameraAnalyzer(
            camera.id, camera.zones, camera.masks, class_names, config.tracker, config.schedules, camera.tiling
        )
    except InvalidValue as exc:  # the config's fault; any other error is a bug and keeps its traceback
        raise InvalidValue(f"cameras.{camera.id}.{exc}") from exc


class Runtime:
    def __init__(
        self,
        config: RuntimeConfig,
        detector: Detector,
        on_event: EventSink,
        on_state: Callable[[StateChange], None],
        on_analysis: AnalysisSink | None = None,
    ) -> None:
        cameras = [c for c in config.cameras if c.enabled]
        if not cameras:
            raise InvalidValue("no enabled camera in the config")
        self.config = config
        self.detector = detector
        self._on_state = on_state
        self._lock = threading.RLock()  # serialises start/stop/apply and guards ``workers``
        self._wakeup = threading.Event()
        self._started = False
        self.workers: list[CameraWorker] = []
        self._retired: list[CameraWorker] = []  # removed, stopped, not yet seen to end
        self.remove_wait_s = REMOVE_WAIT_S
        self.scheduler = Scheduler(detector, [], self._wakeup, on_event, on_analysis)
        # Built before any thread starts: a class name the model lacks fails here, not mid-stream.
        analyzers = {c.id: build_analyzer(c, config, detector.class_names) for c in cameras}
        for camera in cameras:
            self._add(camera, analyzers[camera.id])
        self._watchdog = Watchdog(self.workers)
        self._stop = threading.Event()
        self._scheduler_thread = threading.Thread(
            target=self.scheduler.run, args=(self._stop,), name="scheduler", daemon=True
        )

    def start(self) -> None:
        with self._lock:
            if self._started:
                raise RuntimeError("Runtime.start() called twice")
            self._started = True
            self.scheduler.claim()
            self._scheduler_thread.start()
            for worker in self.workers:
                worker.start()
            self._watchdog.start()

    def stop(self) -> bool:
        """Stop everything and join every thread; False if one is still inside FFmpeg after its timeouts."""
        with self._lock:
            workers = [*self.workers, *self._retired]
            for worker in workers:
                worker.stop()
            joined = self._watchdog.stop() if self._started else True
            self._stop.set()
            if self._scheduler_thread.is_alive():
                self._scheduler_thread.join(COMMAND_TIMEOUT_S)  # ends open events on its own thread
            joined &= not self._scheduler_thread.is_alive()
            deadline = time.monotonic() + max((w.max_block_s for w in workers), default=0.0) + 1.0
            for worker in workers:
                joined &= worker.join(max(0.0, deadline - time.monotonic())) if self._started else True
            return joined

    def apply(self, config: RuntimeConfig) -> Applied:
        """Make the running cameras match ``config`` (validated); returns once the change is in force."""
        with self._lock:
            if self._stop.is_set():
                raise RuntimeError("the runtime is stopped")
            if config.detector != self.config.detector or config.tracker != self.config.tracker:
                raise InvalidValue("detector and tracker settings take effect on restart only")
            old = {c.id: c for c in self.config.cameras if c.enabled}
            new = {c.id: c for c in config.cameras if c.enabled}
            schedules_changed = config.schedules != self.config.schedules
            plan = Applied(
                added=[c for c in new if c not in old],
                removed=[c for c in old if c not in new],
                restarted=[c for c in new if c in old and _source(new[c]) != _source(old[c])],
            )
            for cam, camera in new.items():
                if cam in old and cam not in plan.restarted and (schedules_changed or camera != old[cam]):
                    plan.reconfigured.append(cam)
            # Every analyzer is built before anything stops: an invalid change leaves the runtime as it was.
            changed = [*plan.added, *plan.restarted, *plan.reconfigured]
            analyzers = {c: build_analyzer(new[c], config, self.detector.class_names) for c in changed}
            joined = True
            for cam in plan.removed:
                joined &= self._remove(cam, "camera_removed", forget=True)
            for cam in plan.restarted:
                joined &= self._remove(cam, "config_change", forget=False)
            for cam in [*plan.restarted, *plan.added]:
                self._add(new[cam], analyzers[cam])
            for cam in plan.reconfigured:
                self._call(partial(self.scheduler.replace_analyzer, cam, analyzers[cam]))
                if new[cam].motion != old[cam].motion:  # an unchanged gate keeps its learnt background
                    self._call(partial(self.scheduler.replace_motion_gate, cam, _motion_gate(new[cam])))
            self.config = config
            return Applied(plan.added, plan.removed, plan.restarted, plan.reconfigured, joined)

    def status(self) -> dict[str, CameraStatus]:
        lanes = self.scheduler.stats()
        return {
            worker.camera_id: camera_status(worker.camera_id, worker.stats(), lanes.get(worker.camera_id, LaneStats()))
            for worker in tuple(self.workers)
        }

    def _add(self, camera: CameraConfig, analyzer: CameraAnalyzer) -> None:
        cam = camera.id
        slot: FrameSlot[CapturedFrame] = FrameSlot(
            camera.buffer_frames,
            "drop_oldest",
            camera.max_frame_age_s,
            on_put=self._wakeup.set,
            on_drop=lambda reason, n: pipeline_metrics.FRAMES_DROPPED.labels(cam, reason).inc(n),
        )
        lane = Lane(cam, slot, analyzer, DetectionSchedule(self.config.detector.detection_fps))
        lane.motion = _motion_gate(camera)
        self._call(lambda: self.scheduler.add_lane(lane))
        worker = CameraWorker(camera, slot, lambda change: self._state_changed(worker, change))
        pipeline_metrics.CAMERA_UP.labels(cam).set(0)
        self.workers.append(worker)  # before start, so its first states count; the watchdog iterates a copy
        if self._started:
            worker.start()

    def _remove(self, camera_id: str, reason: str, forget: bool) -> bool:
        """Stop the camera's worker, end its open events with ``reason`` and join the thread."""
        worker = next(w for w in self.workers if w.camera_id == camera_id)
        self.workers.remove(worker)
        worker.stop()
        self._call(lambda: self.scheduler.remove_lane(camera_id, reason))
        joined = worker.join(min(worker.max_block_s + 1.0, self.remove_wait_s)) if self._started else True
        if not joined:
            self._retired.append(worker)
        self._retired = [w for w in self._retired if not w.join(0.0)]
        if forget:
            pipeline_metrics.forget_camera(camera_id)
        return joined

    def _call(self, fn: Callable[[], object]) -> None:
        self.scheduler.call(fn).result(COMMAND_TIMEOUT_S)

    def _state_changed(self, worker: CameraWorker, change: StateChange) -> None:
        current = tuple(self.workers)
        if worker in current:
            pipeline_metrics.CAMERA_UP.labels(change.camera).set(1 if change.state is CameraState.RUNNING else 0)
        elif any(w.camera_id == change.camera for w in current):
            return  # a replaced worker's late report ("stopped") must not speak for its successor
        self._on_state(change)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _motion_gate(camera: CameraConfig) -> MotionGate | None:
    return MotionGate(camera.motion) if camera.motion is not None else None


def _source(camera: CameraConfig) -> dict[str, object]:
    return camera.model_dump(exclude=set(ANALYTICS_FIELDS))
