"""Files the package ships (package data) from the repository's top-level data folders.

setup.py maps ``gatewatch.packaged.models`` to ``models/`` (the model manifest) and
``gatewatch.packaged.sample_videos`` to ``sample_videos/`` (clip manifest, per-clip configs and
contracts), so a checkout and an installed wheel find them the same way, without guessing where a
repository might be.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path


def models_manifest() -> Path:
    """models/manifest.toml: every model's file, sha256, URL, licence, format and classes."""
    return _folder("models") / "manifest.toml"


def sample_videos_dir() -> Path:
    """sample_videos/: the clip manifest, a config and an expected-events contract per clip, demo.yaml."""
    return _folder("sample_videos")


def _folder(name: str) -> Path:
    # Installed packages are plain folders on disk (setuptools wheels are never zipped), so the
    # resource's path is usable as it is, after the ``with`` ends too.
    with as_file(files(f"{__name__}.{name}")) as path:
        return Path(path)
