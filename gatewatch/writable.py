"""Folders gatewatch must write to, checked before work starts: a clear error naming the folder, no traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from gatewatch.vision.errors import UserError


class NotWritable(UserError):
    """A folder gatewatch needs refuses writes (read-only file system, permissions, full disk)."""


def ensure_writable_dir(path: Path, what: str, *, private: bool = False) -> None:
    """Create ``path`` if needed and write a scratch file in it; raises NotWritable naming ``what`` and ``path``.

    ``private``: a folder this creates is readable by this user only (0700); an existing one keeps its mode.

    Checked by writing, not by permission bits: root ignores those, a read-only mount does not.
    """
    try:
        if not path.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.mkdir(mode=0o700 if private else 0o777, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise NotWritable(f"{what} {path} is not writable: {exc.strerror or exc}") from exc
