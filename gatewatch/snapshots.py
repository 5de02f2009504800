"""Event snapshots, live and from clips: one file-name rule and one JPEG quality."""

from __future__ import annotations

import re

# OpenCV's default 95 doubles the bytes for no visible gain on CCTV footage.
JPEG_QUALITY = 80


def snapshot_name(event_id: str) -> str:
    """Snapshot path relative to its output folder; event ids are uuid hex, but never trust a name into a path."""
    return f"snapshots/{re.sub(r'[^A-Za-z0-9_.-]', '_', event_id)}.jpg"
