"""Event lifecycle: turns a zone rule's per-frame verdicts into new / update / end records."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace
from typing import Any

from gatewatch.vision.rules.base import RuleState
from gatewatch.vision.types import EventRecord, EventType, FrameMeta


def _material(state: RuleState) -> tuple[Any, ...]:
    """What makes an update worth sending: who is involved and the discrete facts (counts, ids).

    Float details (dwell seconds, density) drift every frame; they ride along with the next
    material update and the end record instead of producing one of their own.
    """
    facts = tuple(
        sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in state.detail.items() if not isinstance(v, float))
    )
    return state.track_ids, facts


def event_id(camera: str, zone: str, type: EventType, started_at: dt.datetime) -> str:
    """The id of the event that ``type``'s rule in ``zone`` of ``camera`` started at ``started_at`` (UTC).

    Derived, not random: the same event gets the same id however often it is computed (a retried
    write, a replayed clip, a camera restarted on another machine), so the store keeps it once.
    32 hex digits, like the uuid4 hex it replaces.
    """
    key = "\x1f".join((camera, zone, type, started_at.astimezone(dt.UTC).isoformat()))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class EventLifecycle:
    """One zone rule's events.

    ``new`` when the rule starts firing, unless that is within ``cooldown_s`` of the previous
    event's end (counted in ``suppressed``; if the rule is still firing when the cooldown runs out,
    the event starts then). ``update`` while firing when track ids or discrete details change, at
    most every ``update_interval_s``. ``end`` when it stops firing or the stream closes.
    Confidence is the peak over the event; thresholds and schedule window are those at its start.
    """

    def __init__(
        self, camera: str, zone: str, type: EventType, cooldown_s: float, update_interval_s: float = 2.0
    ) -> None:
        self.camera, self.zone, self.type = camera, zone, type
        self.cooldown_s = cooldown_s
        self.update_interval_s = update_interval_s
        self.reset()

    def reset(self) -> None:
        """Forget everything, including an active event (``close`` it first) and the cooldown."""
        self._active: EventRecord | None = None
        self._sent: tuple[Any, ...] = ()  # material facts of the last emitted record
        self._sent_s = 0.0
        self._ended_s: float | None = None
        self._suppressing = False  # the current firing run is already counted as suppressed
        self.suppressed = 0

    @property
    def active(self) -> EventRecord | None:
        """The event in progress as of the latest detection frame, or None."""
        return self._active

    def step(self, state: RuleState, meta: FrameMeta) -> EventRecord | None:
        if not state.firing:
            self._suppressing = False
            return self.close(meta, "cleared")
        if self._active is None:
            return self._start(state, meta)
        current = replace(
            self._active,
            lifecycle="update",
            track_ids=state.track_ids,
            t_s=meta.t_s,
            at=meta.wall,
            confidence=max(self._active.confidence, state.confidence),
            detail=dict(state.detail),
        )
        self._active = current
        facts = _material(state)
        if facts != self._sent and meta.t_s - self._sent_s >= self.update_interval_s:
            self._sent, self._sent_s = facts, meta.t_s
            return current
        return None

    def close(self, meta: FrameMeta, reason: str) -> EventRecord | None:
        """End the active event, if any; ``reason`` lands in the end record's detail."""
        if self._active is None:
            return None
        record = replace(
            self._active,
            lifecycle="end",
            t_s=meta.t_s,
            at=meta.wall,
            end_s=meta.t_s,
            ended_at=meta.wall,
            detail={**self._active.detail, "end_reason": reason},
        )
        self._active, self._ended_s = None, meta.t_s
        return record

    def _start(self, state: RuleState, meta: FrameMeta) -> EventRecord | None:
        if self._ended_s is not None and meta.t_s - self._ended_s < self.cooldown_s:
            if not self._suppressing:
                self.suppressed += 1
                self._suppressing = True
            return None
        self._suppressing = False
        self._active = EventRecord(
            id=event_id(self.camera, self.zone, self.type, meta.wall),
            type=self.type,
            lifecycle="new",
            camera=self.camera,
            zone=self.zone,
            track_ids=state.track_ids,
            start_s=meta.t_s,
            started_at=meta.wall,
            t_s=meta.t_s,
            at=meta.wall,
            end_s=None,
            ended_at=None,
            confidence=state.confidence,
            thresholds=dict(state.thresholds),
            schedule_window=state.schedule_window,
            detail=dict(state.detail),
        )
        self._sent, self._sent_s = _material(state), meta.t_s
        return self._active
