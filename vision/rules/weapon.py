"""Weapon rule: k-of-n confirmation so a one-frame misdetection never raises an alarm."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from gatewatch.vision.analytics_config import WeaponRuleConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.rules.base import RuleState, peak_confidence, resolve_classes, tracked_ids
from gatewatch.vision.types import FrameMeta


class WeaponRule:
    """Fires once a weapon is seen in ``confirm_k`` of the last ``confirm_n`` detection frames.

    The window counts detection frames on purpose: confirmation is about independent looks by the
    model, whatever the detection rate. Ending is timed: ``clear_s`` seconds without any sighting.
    """

    def __init__(self, rule: WeaponRuleConfig, class_names: Sequence[str], field_path: str = "weapon") -> None:
        self.rule = rule
        self._classes = resolve_classes(rule.classes, class_names, f"{field_path}.classes")
        self._thresholds = rule.thresholds()
        self.reset()

    def reset(self) -> None:
        # Per detection frame: (weapons seen, their track ids).
        self._window: deque[tuple[int, tuple[int, ...]]] = deque(maxlen=self.rule.confirm_n)
        self._firing = False
        self._last_seen_s = float("-inf")

    def observe(self, in_zone: Detections, meta: FrameMeta, active_windows: tuple[str, ...]) -> RuleState:
        rule = self.rule
        weapons = in_zone[self._classes[in_zone.class_id] & (in_zone.confidence >= rule.min_confidence)]
        self._window.append((len(weapons), tracked_ids(weapons)))
        if len(weapons):
            self._last_seen_s = meta.t_s
        if not self._firing:
            self._firing = sum(1 for count, _ in self._window if count) >= rule.confirm_k
        elif not len(weapons) and meta.t_s - self._last_seen_s >= rule.clear_s:
            self._firing = False
            self._window.clear()  # a new alarm needs a fresh confirmation
        # Report over the window, not the frame, so a weapon missed in one frame does not flicker
        # the event's track ids and count.
        ids = sorted({i for _, frame_ids in self._window for i in frame_ids})
        return RuleState(
            firing=self._firing,
            track_ids=tuple(ids),
            confidence=peak_confidence(weapons),
            detail={"count": max((count for count, _ in self._window), default=0)},
            thresholds=self._thresholds,
        )
