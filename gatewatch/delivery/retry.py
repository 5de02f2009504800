"""Retry schedule for webhook deliveries: capped exponential backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_s: float = 1.0  # delay after the first failed attempt
    max_s: float = 300.0  # cap: a receiver back after an outage hears from us within 5 minutes
    max_attempts: int = 20  # then the delivery is marked failed (about 75 minutes with the defaults)
    jitter: float = 0.25  # up to 25 % off each delay, so receivers recovering together are not hit at once

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.max_s < self.base_s or self.max_attempts < 1 or not 0 <= self.jitter < 0.5:
            raise ValueError(f"invalid retry policy {self}")

    def delay_s(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        Jitter only shortens a delay, and by less than half, so successive delays still grow until the cap.
        """
        raw = min(self.max_s, self.base_s * 2 ** min(attempt - 1, 62))
        return raw * (1.0 - self.jitter * rng.random())
