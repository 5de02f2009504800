"""Opaque keyset cursors for the event list: clients pass them back and never parse them."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from gatewatch.store.types import InvalidCursor


def encode_cursor(started_at: dt.datetime, event_id: str) -> str:
    raw = json.dumps([started_at.isoformat(), event_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        started, event_id = json.loads(raw)
        when = dt.datetime.fromisoformat(started)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor(f"invalid cursor {cursor!r}") from exc
    if when.tzinfo is None or not isinstance(event_id, str):
        raise InvalidCursor(f"invalid cursor {cursor!r}")
    return when, event_id
