"""A real small filesystem for the full-disk and read-only tests: a size-limited tmpfs the test mounts.

Mounting needs root (CAP_SYS_ADMIN), as the test suite has on CI and on the development machines. An
unprivileged container cannot mount: the test then fails and says so, rather than faking a full disk.
"""

from __future__ import annotations

import errno
import subprocess
from pathlib import Path

CHUNK = 1 << 20


class SmallDisk:
    def __init__(self, mountpoint: Path, size_mb: int, *, read_only: bool = False) -> None:
        self.mountpoint = mountpoint
        self.size_mb = size_mb
        self.read_only = read_only
        self._filler = mountpoint / "filler.bin"

    def mount(self) -> None:
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        options = f"size={self.size_mb}m,mode=0700{',ro' * self.read_only}"
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(self.mountpoint)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"cannot mount a {self.size_mb} MB tmpfs (needs root): {result.stderr}"

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.mountpoint)], capture_output=True, check=False)

    def fill(self) -> int:
        """Write a filler file until the disk refuses another byte; returns the bytes written."""
        written = 0
        with self._filler.open("ab", buffering=0) as file:  # unbuffered: each write reaches the disk or fails
            for size in (CHUNK, 4096, 1):  # big steps first, then the last pages to the last byte
                try:
                    while True:
                        written += file.write(b"\xff" * size) or 0
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
        return written

    def free(self) -> None:
        self._filler.unlink()
