"""Loitering rule: how long each tracked person has stayed in the zone, robust to id switches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gatewatch.vision.analytics_config import LoiteringRuleConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.rules.base import RuleState, peak_confidence, resolve_classes
from gatewatch.vision.types import FrameMeta


@dataclass
class _Stay:
    entry_s: float
    entry_xy: tuple[float, float]  # anchor where the dwell (re)started
    seen_s: float
    last_xy: tuple[float, float]
    height: float  # latest box height: the yardstick for movement and for id hand-over
    newest_id: int  # the camera's newest track id when this track was last seen
    moved: bool = False  # reached min_movement since entry
    heir_of: int | None = None  # provisional heir of this vanished track's dwell (see _settle_heirs)
    own_entry: tuple[float, tuple[float, float]] | None = None  # entry before inheriting, if revoked


class LoiteringRule:
    """Fires while at least one track has dwelt ``dwell_s`` seconds in the zone.

    Only confirmed tracks count. A track unseen (occluded, or stepped out) for up to ``grace_s``
    keeps its entry time, and a new id that appears within ``grace_s`` about one box height from
    where a vanished track was last seen inherits it, because trackers switch ids under occlusion.
    Only an id newer than any the camera had when the vanished track was last seen can inherit (an
    id switch issues a new id; a passer-by walking over the spot was tracked before and is not an
    heir). ``note_newest_track`` tells the rule the camera's newest id; without it the rule knows
    only the ids it sees in its zone. The heir is provisional while the vanished track may still
    return (within ``grace_s``): it is not a loiterer yet, and if the vanished id comes back (the
    tracker revives a hidden person) the heir gives the dwell back; the person who stood there keeps it.
    """

    def __init__(self, rule: LoiteringRuleConfig, class_names: Sequence[str], field_path: str = "loitering") -> None:
        self.rule = rule
        self._classes = resolve_classes(rule.classes, class_names, f"{field_path}.classes")
        self._thresholds = rule.thresholds()
        self.reset()

    def reset(self) -> None:
        self._stays: dict[int, _Stay] = {}
        self._loiterers: tuple[int, ...] = ()
        self._newest_id = -1

    def note_newest_track(self, track_id: int) -> None:
        """The camera's newest confirmed track id so far (ids increase monotonically); call before observe."""
        self._newest_id = max(self._newest_id, track_id)

    def observe(self, in_zone: Detections, meta: FrameMeta, active_windows: tuple[str, ...]) -> RuleState:
        rule, t = self.rule, meta.t_s
        people = in_zone[
            self._classes[in_zone.class_id] & (in_zone.confidence >= rule.min_confidence) & (in_zone.tracker_id >= 0)
        ]
        # Plain floats: per-track bookkeeping on 2-vectors is faster in Python than in numpy.
        anchors = [(x, y) for x, y in people.anchors().tolist()]
        heights = np.maximum(people.heights, 1.0).tolist()
        ids = people.tracker_id.tolist()
        self._newest_id = max([self._newest_id, *ids])
        # Known tracks first, so only tracks absent from this frame are candidates for hand-over.
        fresh = [row for row, tid in enumerate(ids) if tid not in self._stays]
        for row, tid in enumerate(ids):
            if tid in self._stays:
                self._follow(self._stays[tid], anchors[row], heights[row], t)
        for row in fresh:
            stay = self._hand_over(ids[row], anchors[row], t) or _Stay(
                t, anchors[row], t, anchors[row], heights[row], self._newest_id
            )
            self._follow(stay, anchors[row], heights[row], t)
            self._stays[ids[row]] = stay
        for stay in self._stays.values():
            if stay.seen_s == t:
                stay.newest_id = self._newest_id
        self._stays = {tid: s for tid, s in self._stays.items() if t - s.seen_s <= rule.grace_s}
        self._settle_heirs(t)

        dwell = {tid: t - s.entry_s for tid, s in self._stays.items() if s.moved and s.heir_of is None}
        # Grace keeps a loiterer's alarm through a brief occlusion, but a track must be in view to start one:
        # someone who left must not trigger an alarm while their track is merely remembered.
        loiterers = tuple(
            sorted(
                tid
                for tid, d in dwell.items()
                if d >= rule.dwell_s and (self._stays[tid].seen_s == t or tid in self._loiterers)
            )
        )
        self._loiterers = loiterers
        return RuleState(
            firing=bool(loiterers),
            track_ids=loiterers,
            confidence=peak_confidence(people[np.isin(people.tracker_id, loiterers)]),
            detail={"dwell_s": round(max(dwell.values(), default=0.0), 1), "loitering_ids": list(loiterers)},
            thresholds=self._thresholds,
        )

    def _follow(self, stay: _Stay, xy: tuple[float, float], height: float, t: float) -> None:
        moved = math.dist(xy, stay.entry_xy) / height
        if self.rule.max_movement is not None and moved > self.rule.max_movement:
            # Walking through is not loitering: the dwell restarts here. The track has plainly
            # moved, so it stays eligible without having to reach min_movement again.
            stay.entry_s, stay.entry_xy = t, xy
        stay.moved = stay.moved or moved >= self.rule.min_movement
        stay.seen_s, stay.last_xy, stay.height = t, xy, height

    def _settle_heirs(self, t: float) -> None:
        """Heirs whose vanished track came back give its dwell back; those whose track is gone keep it."""
        for stay in self._stays.values():
            if stay.heir_of is None:
                continue
            original = self._stays.get(stay.heir_of)
            if original is not None and original.seen_s == t and stay.own_entry is not None:
                stay.entry_s, stay.entry_xy = stay.own_entry
                stay.moved = math.dist(stay.last_xy, stay.entry_xy) / stay.height >= self.rule.min_movement
                stay.heir_of = None
            elif original is None:
                stay.heir_of = None

    def _hand_over(self, track_id: int, xy: tuple[float, float], t: float) -> _Stay | None:
        """Take over the nearest stay that vanished within grace and was last seen within one box height,
        if ``track_id`` was issued after that (an id switch, not a passer-by)."""
        best, best_distance = None, float("inf")
        for tid, stay in self._stays.items():
            distance = math.dist(xy, stay.last_xy)
            vanished = stay.seen_s < t and t - stay.seen_s <= self.rule.grace_s
            heir = track_id > stay.newest_id
            if vanished and heir and distance <= stay.height and distance < best_distance:
                best, best_distance = tid, distance
        if best is None:
            return None
        gone = self._stays[best]
        return _Stay(
            gone.entry_s, gone.entry_xy, t, xy, gone.height, gone.newest_id, gone.moved,
            heir_of=best, own_entry=(t, xy),
        )  # fmt: skip
