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
    ) -> None:
        if not 1 <= capacity <= 64:
            raise ValueError(f"capacity must be 1..64, got {capacity}")
        if max_age_s is not None and max_age_s <= 0:
            raise ValueError(f"max_age_s must be > 0, got {max_age_s}")
        self.capacity = capacity
        self.policy = policy
        self.max_age_s = max_age_s
        self._on_put = on_put  # wakes the consumer without it polling
        self._items: deque[tuple[float, T]] = deque()
        self._drops: Counter[DropReason] = Counter()
        self._lock = threading.Lock()

    def put(self, item: T, at: float | None = None) -> None:
        """Offer an item stamped with its monotonic time ``at`` (default: now)."""
        stamp = time.monotonic() if at is None else at
        with self._lock:
            if len(self._items) >= self.capacity:
                if self.policy == "drop_newest":
                    self._drops["rejected"] += 1
                    return
                self._items.popleft()
                self._drops["superseded"] += 1
            self._items.append((stamp, item))
        if self._on_put is not None:
            self._on_put()

    def take(self, now: float | None = None) -> T | None:
        """The oldest item not older than ``max_age_s``; stale ones are dropped on the way."""
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._items:
                stamp, item = self._items.popleft()
                if self.max_age_s is None or now - stamp <= self.max_age_s:
                    return item
                self._drops["stale"] += 1
        return None

    def clear(self) -> None:
        with self._lock:
            if self._items:
                self._drops["discarded"] += len(self._items)
                self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def drops(self) -> dict[str, int]:
        """Dropped items by reason since creation (a copy)."""
        with self._lock:
            return dict(self._drops)
