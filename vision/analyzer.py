"""Per-camera analytics: masks -> tracker -> zones -> rules -> event lifecycles, one frame at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from gatewatch.vision.analytics_config import Point, ScheduleConfig, TilingConfig, TrackerConfig, ZoneConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.events import EventLifecycle
from gatewatch.vision.rules.base import CameraTrackAware, Rule
from gatewatch.vision.rules.crowding import CrowdingRule
from gatewatch.vision.rules.registry import build_rules
from gatewatch.vision.schedule import ScheduleBook
from gatewatch.vision.tiling import TileGrid, grid_for
from gatewatch.vision.tracker import ByteTracker
from gatewatch.vision.types import EventRecord, EventType, FrameMeta
from gatewatch.vision.zones import ZoneSet


@dataclass(frozen=True, slots=True)
class FrameAnalysis:
    meta: FrameMeta
    detections: Detections  # unmasked detections with track ids (predicted tracks on coasted frames)
    zone_counts: dict[str, int]  # crowding classes per zone, or persons where a zone has no crowding rule
    events: list[EventRecord]  # emitted this frame
    active: list[EventRecord]  # in progress after this frame
    # Pixel polygons of the zones this frame was judged by, so the frame can be drawn later on another
    # thread even after a live zone change (never mutated: a resize builds a new dict).
    zone_polygons: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Watch:
    zone_index: int
    zone: ZoneConfig  # the config it was built from: an identical zone keeps its state across a reconfiguration
    rule: Rule
    lifecycle: EventLifecycle


class CameraAnalyzer:
    """Everything one camera's detections go through. Pure: no I/O, no clocks but ``FrameMeta``.

    Class names are checked and resolved here, once; a name the model does not know is an
    ``InvalidValue`` naming the config field (e.g. ``zones.gate.weapon.classes``).
    """

    def __init__(
        self,
        camera_id: str,
        zones: list[ZoneConfig],
        masks: Sequence[Sequence[Point]],
        class_names: Sequence[str],
        tracker: TrackerConfig,
        schedules: dict[str, ScheduleConfig],
        tiling: TilingConfig | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.tiling = tiling or TilingConfig()
        self.zones = list(zones)
        self.masks = [list(mask) for mask in masks]
        # Normalised coordinates until the first frame tells the real size.
        self.zone_set = ZoneSet(zones, masks, 1, 1)
        self._tracker = ByteTracker(tracker)
        self._schedules = ScheduleBook(schedules)
        self._watches: list[_Watch] = []
        # (Z, classes) table of what each zone's count covers, so counting is one indexing op.
        self._count_table = np.zeros((len(zones), len(class_names)), bool)
        self._count_min_conf = np.zeros(len(zones), np.float32)
        persons = [i for i, name in enumerate(class_names) if name == "person"]
        for z, zone in enumerate(zones):
            self._count_table[z, persons] = True
            for kind, rule, cooldown_s in build_rules(
                zone, class_names, self.zone_set.area_fraction[zone.id], schedules
            ):
                self._watch(zone, z, kind, rule, cooldown_s)
                if isinstance(rule, CrowdingRule):  # the zone count is the crowding rule's count
                    self._count_table[z] = rule.classes
                    self._count_min_conf[z] = rule.rule.min_confidence
        self._counts = dict.fromkeys(self.zone_set.zone_ids, 0)

    def _watch(self, zone: ZoneConfig, zone_index: int, kind: EventType, rule: Rule, cooldown_s: float) -> None:
        lifecycle = EventLifecycle(self.camera_id, zone.id, kind, cooldown_s)
        self._watches.append(_Watch(zone_index, zone, rule, lifecycle))

    def adopt(
        self, previous: CameraAnalyzer, meta: FrameMeta | None, reason: str = "config_change"
    ) -> list[EventRecord]:
        """Take over a running analyzer's state after a live config change; returns the events it ends.

        The tracker is kept, so track ids survive. A rule of a zone whose whole config is unchanged
        keeps its state (dwell times, open event, cooldown); a rule of a changed or removed zone
        ends its open event with ``reason`` and this analyzer's rule starts afresh, because an
        event's thresholds are those in force at its start. ``meta`` (the last frame seen) stamps
        the end records; None when no frame was analysed yet (then nothing is open).
        """
        self._tracker = previous._tracker
        kept = {(w.zone.model_dump_json(), w.lifecycle.type): w for w in previous._watches}
        ended: list[EventRecord] = []
        for i, watch in enumerate(self._watches):
            old = kept.pop((watch.zone.model_dump_json(), watch.lifecycle.type), None)
            if old is not None:
                self._watches[i] = _Watch(watch.zone_index, watch.zone, old.rule, old.lifecycle)
        if meta is not None:
            ended = [r for w in kept.values() if (r := w.lifecycle.close(meta, reason)) is not None]
        self._counts = {z: previous._counts.get(z, 0) for z in self.zone_set.zone_ids}
        return ended

    def detection_grid(self, width: int, height: int) -> TileGrid | None:
        """The tiles this camera's frames go to the detector in (None: the whole frame); see ``TilingConfig``."""
        return grid_for(self.tiling, any(zone.crowding for zone in self.zones), width, height)

    def update(self, detections: Detections, meta: FrameMeta) -> FrameAnalysis:
        """Analyse one detection frame: track, place in zones, evaluate rules, emit events."""
        self.zone_set.resize(meta.width, meta.height)
        tracked = self._tracker.update(detections[self.zone_set.keep_unmasked(detections)], meta.t_s)
        inside = self.zone_set.membership(tracked)
        windows = self._schedules.active(meta.wall)
        in_zone = [tracked[row] for row in inside]
        events = []
        newest_id = int(tracked.tracker_id.max(initial=-1))
        for watch in self._watches:
            if isinstance(watch.rule, CameraTrackAware):
                watch.rule.note_newest_track(newest_id)  # tells an id switch from a passer-by
            state = watch.rule.observe(in_zone[watch.zone_index], meta, windows)
            record = watch.lifecycle.step(state, meta)
            if record is not None:
                events.append(record)
        counted = (
            inside
            & self._count_table[:, tracked.class_id]
            & (tracked.confidence[None, :] >= self._count_min_conf[:, None])
        )
        self._counts = dict(zip(self.zone_set.zone_ids, counted.sum(axis=1).tolist()))
        return FrameAnalysis(meta, tracked, dict(self._counts), events, self._active(), self.zone_set.pixel_polygons)

    def coast(self, meta: FrameMeta) -> FrameAnalysis:
        """A frame not sent to the detector: predicted track boxes for drawing; rules and events wait."""
        self.zone_set.resize(meta.width, meta.height)
        predicted = self._tracker.predicted(meta.t_s)
        return FrameAnalysis(meta, predicted, dict(self._counts), [], self._active(), self.zone_set.pixel_polygons)

    def tracking(self) -> bool:
        """Whether a confirmed track is alive: motion gating keeps detecting then, so a still object
        (a weapon held motionless) is confirmed at the full detection rate, not once per ``max_skip_s``."""
        return len(self._tracker.predicted(0.0)) > 0  # only the count matters, not where the boxes are

    def close(self, meta: FrameMeta, reason: str = "stream_end") -> list[EventRecord]:
        """End every active event (stream end, shutdown)."""
        return [r for w in self._watches if (r := w.lifecycle.close(meta, reason)) is not None]

    def reset(self) -> None:
        """Start a new timeline (reconnect, clip restart); ``close`` first or active events are dropped."""
        self._tracker.reset()
        for watch in self._watches:
            watch.rule.reset()
            watch.lifecycle.reset()
        self._counts = dict.fromkeys(self.zone_set.zone_ids, 0)

    def _active(self) -> list[EventRecord]:
        return [w.lifecycle.active for w in self._watches if w.lifecycle.active is not None]
