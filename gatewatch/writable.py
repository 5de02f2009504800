"""Folders gatewatch must write to, checked before work starts: a clear error naming the folder, no traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from gatewatch.vision.errors import UserError


class NotWritable(UserError):
    """A folder gatewatch needs refuses writes (read-only file system, permissions, full disk)."""


def ensure_writable_dir(path: Path, what: str) -> None:
    """Create ``path`` if needed and write a scratch file in it; raises NotWritable naming ``what`` and ``path``.

    Checked by writing, not by permission bits: root ignores those, a read-only mount does not.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise NotWritable(f"{what} {path} is not writable: {exc.strerror or exc}") from exc
