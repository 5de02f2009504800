"""Shared by the browser tests: store commit times, waiting on the API, a weapon zone, frame checks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import cv2
import numpy as np

from gatewatch.store import EventStore, StoredRecord

T = TypeVar("T")

# COCO's `bottle` stands in for a weapon class (no bundled model detects weapons); the bottle clip shows
# bottles on a table for its whole length, so a weapon zone over the table alarms within seconds.
WEAPON = {"classes": ["bottle"], "min_confidence": 0.5, "confirm_k": 2, "confirm_n": 4}
TABLE = [[0.0, 0.2], [1.0, 0.2], [1.0, 1.0], [0.0, 1.0]]


class Commits:
    """Wall-clock time at which each event's ``new`` record was committed (store listener, writer thread)."""

    def __init__(self, store: EventStore) -> None:
        self._lock = threading.Lock()
        self._new: dict[str, tuple[float, str]] = {}
        store.add_listener(self._record)

    def _record(self, record: StoredRecord) -> None:
        if record.name == "new":
            committed = time.time()
            with self._lock:
                self._new.setdefault(record.event_id, (committed, record.payload["event"]["zone"]))

    def first_new(self, zone: str, timeout_s: float) -> tuple[str, float]:
        """(event id, commit time) of the first new event in ``zone``."""

        def found() -> tuple[str, float] | None:
            with self._lock:
                hits = sorted((t, eid) for eid, (t, z) in self._new.items() if z == zone)
            return (hits[0][1], hits[0][0]) if hits else None

        return wait_for(found, timeout_s, f"no event in zone {zone!r}")


def wait_for(probe: Callable[[], T | None], timeout_s: float, what: str, interval_s: float = 0.01) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s: {what}"
        time.sleep(interval_s)


def weapon_zone(zone_id: str, polygon: list[list[float]] | None = None) -> dict[str, Any]:
    return {"id": zone_id, "polygon": polygon or TABLE, "weapon": dict(WEAPON)}


def image_spread(png: bytes) -> float:
    """Standard deviation of the grey levels: ~0 for a blank or single-colour tile."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None, "screenshot did not decode"
    return float(image.std())
