"""Per-camera analytics: masks -> tracker -> zones -> rules -> event lifecycles, one frame at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vision.config import Point, ScheduleConfig, TrackerConfig, ZoneConfig
from vision.detections import Detections
from vision.events import EventLifecycle
from vision.rules.base import ZoneRule
from vision.rules.crowding import CrowdingMonitor
from vision.rules.loitering import LoiteringMonitor
from vision.rules.weapon import WeaponMonitor
from vision.schedule import ScheduleBook
from vision.tracker import ByteTracker
from vision.types import EventRecord, EventType, FrameMeta
from vision.zones import ZoneSet


@dataclass(frozen=True, slots=True)
class FrameAnalysis:
    meta: FrameMeta
    detections: Detections  # unmasked detections with track ids (predicted tracks on coasted frames)
    zone_counts: dict[str, int]  # crowding classes per zone, or persons where a zone has no crowding rule
    events: list[EventRecord]  # emitted this frame
    active: list[EventRecord]  # in progress after this frame


@dataclass(frozen=True, slots=True)
class _Watch:
    zone_index: int
    rule: ZoneRule
    lifecycle: EventLifecycle


class CameraAnalyzer:
    """Everything one camera's detections go through. Pure: no I/O, no clocks but ``FrameMeta``.

    Class names are checked and resolved here, once; a name the model does not know is a
    ``ValueError`` naming the config field (e.g. ``zones.gate.weapon.classes``).
    """

    def __init__(
        self,
        camera_id: str,
        zones: list[ZoneConfig],
        masks: Sequence[Sequence[Point]],
        class_names: Sequence[str],
        tracker: TrackerConfig,
        schedules: dict[str, ScheduleConfig],
    ) -> None:
        self.camera_id = camera_id
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
            path = f"zones.{zone.id}"
            if zone.weapon:
                weapon = WeaponMonitor(zone.weapon, class_names, f"{path}.weapon")
                self._watch(z, "weapon", weapon, zone.weapon.cooldown_s)
            if zone.loitering:
                loitering = LoiteringMonitor(zone.loitering, class_names, f"{path}.loitering")
                self._watch(z, "loitering", loitering, zone.loitering.cooldown_s)
            self._count_table[z, persons] = True
            if zone.crowding:
                unknown = sorted(set(zone.crowding.schedules) - set(schedules))
                if unknown:
                    raise ValueError(
                        f"{path}.crowding.schedules: unknown schedule(s) {unknown}; defined schedules are "
                        f"{sorted(schedules)}"
                    )
                crowding = CrowdingMonitor(
                    zone.crowding, class_names, self.zone_set.area_fraction[zone.id], f"{path}.crowding"
                )
                self._watch(z, "crowding", crowding, zone.crowding.cooldown_s)
                # The zone count is the crowding rule's count.
                self._count_table[z] = crowding.classes
                self._count_min_conf[z] = zone.crowding.min_confidence
        self._counts = dict.fromkeys(self.zone_set.zone_ids, 0)

    def _watch(self, zone_index: int, kind: EventType, rule: ZoneRule, cooldown_s: float) -> None:
        zone_id = self.zone_set.zone_ids[zone_index]
        self._watches.append(_Watch(zone_index, rule, EventLifecycle(self.camera_id, zone_id, kind, cooldown_s)))

    def update(self, detections: Detections, meta: FrameMeta) -> FrameAnalysis:
        """Analyse one detection frame: track, place in zones, evaluate rules, emit events."""
        self.zone_set.resize(meta.width, meta.height)
        tracked = self._tracker.update(detections[self.zone_set.keep_unmasked(detections)], meta.t_s)
        inside = self.zone_set.membership(tracked)
        windows = self._schedules.active(meta.wall)
        in_zone = [tracked[row] for row in inside]
        events = []
        for watch in self._watches:
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
        return FrameAnalysis(meta, tracked, dict(self._counts), events, self._active())

    def coast(self, meta: FrameMeta) -> FrameAnalysis:
        """A frame not sent to the detector: predicted track boxes for drawing; rules and events wait."""
        self.zone_set.resize(meta.width, meta.height)
        return FrameAnalysis(meta, self._tracker.predicted(meta.t_s), dict(self._counts), [], self._active())

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
