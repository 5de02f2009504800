"""The spill file: event records still held when the process stops, kept on disk for the next start.

JSON lines, one EventRecord each, oldest first. It belongs on another disk than the database (a full
data disk is the usual reason records are held), set by GATEWATCH_STORE_SPILL_PATH.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gatewatch.vision.types import EventRecord

_TIMES = ("started_at", "at", "ended_at")


def write_spill(path: Path, records: Sequence[EventRecord]) -> None:
    """Replace ``path`` with ``records`` (written to a temporary file, fsynced, then renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".partial")
    with temp.open("w", encoding="utf-8") as file:
        for record in records:
            file.write(json.dumps(record.to_json(), separators=(",", ":"), ensure_ascii=False) + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temp, path)


def read_spill(path: Path) -> list[EventRecord]:
    """The records of ``path``, oldest first; none when there is no file."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as file:
        return [_record(json.loads(line)) for line in file if line.strip()]


def _record(data: dict[str, Any]) -> EventRecord:
    times = {key: None if data[key] is None else dt.datetime.fromisoformat(data[key]) for key in _TIMES}
    return EventRecord(**{**data, **times, "track_ids": tuple(data["track_ids"])})
