"""A read-only output folder or data dir ends the command with an error naming the path, not a traceback.

The folders are real read-only mounts (a tmpfs mounted ``ro``): as root, permission bits would not stop a
write, a read-only file system does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.disk import SmallDisk

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    disk = SmallDisk(tmp_path / "ro", size_mb=1, read_only=True)
    disk.mount()
    yield disk.mountpoint
    disk.unmount()


def _gatewatch(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gatewatch.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        cwd=REPO,
    )


def test_analyze_into_a_read_only_folder_names_it(read_only_dir: Path, samples_dir: Path) -> None:
    out = read_only_dir / "out"
    result = _gatewatch(
        "analyze",
        str(samples_dir / "bottle-detection.mp4"),
        "--config",
        "sample_videos/bottle-detection.yaml",
        "--out",
        str(out),
        "--no-video",
    )
    assert result.returncode == 1, result.stderr
    assert f"output {out}: its folder {read_only_dir} is not writable: Read-only file system" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_a_read_only_data_dir_names_it(read_only_dir: Path) -> None:
    data = read_only_dir / "data"
    result = _gatewatch("serve", "--config", "sample_videos/demo.yaml", "--port", "0", GATEWATCH_DATA_DIR=str(data))
    assert result.returncode == 1, result.stderr
    assert f"data dir (GATEWATCH_DATA_DIR) {data} is not writable: Read-only file system" in result.stderr
    assert "Traceback" not in result.stderr
