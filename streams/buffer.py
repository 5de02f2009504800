"""A bounded hand-off between one camera's decode thread and the shared scheduler.

Live analytics wants the newest frame, not every frame: when the consumer falls behind, old frames
are dropped here (and counted by reason) instead of queueing up latency without bound.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Generic, Literal, TypeVar

T = TypeVar("T")

DropPolicy = Literal["drop_oldest", "drop_newest"]
# Reasons a frame never reached the consumer:
#   superseded  a newer frame arrived while the slot was full (drop_oldest)
#   rejected    the slot was full and the new frame was refused (drop_newest)
#   stale       older than max_age_s when the consumer came for it
#   discarded   still in the slot when the camera was stopped or the slot cleared
DropReason = Literal["superseded", "rejected", "stale", "discarded"]


class FrameSlot(Generic[T]):
    """At most ``capacity`` items; ``put`` never blocks, ``take`` returns the oldest fresh item or None.

    ``drop_oldest`` (latest-frame-wins) suits analytics: after a stall the next analysed frame is
    the newest one. ``drop_newest`` keeps the backlog's order and loses the newcomers instead.
    """

    def __init__(
        self,
        capacity: int = 1,
        policy: DropPolicy = "drop_oldest",
        max_age_s: float | None = None,
        on_put: Callable[[], None] | None = None,
        on_drop: Callable[[DropReason, int], None] | None = None,
    ) -> None:
        if not 1 <= capacity <= 64:
            raise ValueError(f"capacity must be 1..64, got {capacity}")
        if max_age_s is not None and max_age_s <= 0:
            raise ValueError(f"max_age_s must be > 0, got {max_age_s}")
        self.capacity = capacity
        self.policy = policy
        self.max_age_s = max_age_s
        self._on_put = on_put  # wakes the consumer without it polling
        self._on_drop = on_drop  # counts drops where they happen (metrics), outside the lock
        self._items: deque[tuple[float, T]] = deque()
        self._drops: Counter[DropReason] = Counter()
        self._lock = threading.Lock()

    def put(self, item: T, at: float | None = None) -> None:
        """Offer an item stamped with its monotonic time ``at`` (default: now)."""
        stamp = time.monotonic() if at is None else at
        with self._lock:
            dropped: DropReason | None = None
            if len(self._items) >= self.capacity:
                dropped = "rejected" if self.policy == "drop_newest" else "superseded"
                self._drops[dropped] += 1
                if dropped == "superseded":
                    self._items.popleft()
            if dropped != "rejected":
                self._items.append((stamp, item))
        if dropped is not None:
            self._dropped(dropped, 1)
        if dropped == "rejected":
            return
        if self._on_put is not None:
            self._on_put()

    def take(self, now: float | None = None) -> T | None:
        """The oldest item not older than ``max_age_s``; stale ones are dropped on the way."""
        now = time.monotonic() if now is None else now
        stale = 0
        found: T | None = None
        with self._lock:
            while self._items:
                stamp, item = self._items.popleft()
                if self.max_age_s is None or now - stamp <= self.max_age_s:
                    found = item
                    break
                stale += 1
            if stale:
                self._drops["stale"] += stale
        self._dropped("stale", stale)
        return found

    def clear(self) -> None:
        with self._lock:
            discarded = len(self._items)
            if discarded:
                self._drops["discarded"] += discarded
                self._items.clear()
        self._dropped("discarded", discarded)

    def _dropped(self, reason: DropReason, count: int) -> None:
        if count and self._on_drop is not None:
            self._on_drop(reason, count)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def drops(self) -> dict[str, int]:
        """Dropped items by reason since creation (a copy)."""
        with self._lock:
            return {str(reason): n for reason, n in self._drops.items()}
