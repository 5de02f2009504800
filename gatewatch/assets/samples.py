"""Find a sample clip: the samples folder first, then the download cache, else fetch it by manifest URL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field

from gatewatch import packaged
from gatewatch.assets.downloads import FetchError, fetch_checked, sha256_of
from gatewatch.assets.manifest_files import read_manifest
from gatewatch.config.settings import Settings
from gatewatch.vision.analytics_config import StrictModel
from gatewatch.vision.errors import UserError

SAMPLES_MANIFEST = packaged.sample_videos_dir() / "manifest.toml"


class SampleError(UserError):
    """A sample clip is unknown, missing, or not the file the manifest pins."""


class SampleEntry(StrictModel):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the clip's bytes.")
    url: str = Field("", description="Where to download it; empty when it exists only in the shared folder.")
    licence: str = Field(min_length=1, description="Licence and origin of the footage.")


class SamplesManifest(StrictModel):
    clips: dict[str, SampleEntry]


@lru_cache(maxsize=1)
def samples_manifest(path: Path = SAMPLES_MANIFEST) -> SamplesManifest:
    return read_manifest(path, SamplesManifest, SampleError, "sample clip manifest")


def resolve_sample(name: str, settings: Settings) -> Path:
    """Path of a checked copy of clip ``name``."""
    entry = samples_manifest().clips.get(name)
    if entry is None:
        raise SampleError(f"unknown sample clip {name!r}; known: {', '.join(samples_manifest().clips)}")
    download_cache = settings.cache_dir / "sample_videos"
    for folder in (settings.samples_dir, download_cache):
        path = folder / name
        if path.is_file():
            if sha256_of(path) != entry.sha256:
                raise SampleError(f"{path} is not the pinned clip (sha256 differs from {entry.sha256})")
            return path
    if not entry.url:
        raise SampleError(
            f"sample clip {name} not found in {settings.samples_dir} and it has no download URL; "
            "set GATEWATCH_SAMPLES_DIR to the folder that holds it"
        )
    try:
        return fetch_checked(entry.url, entry.sha256, download_cache / name)
    except FetchError as exc:
        raise SampleError(f"sample clip {name}: {exc}") from exc


SAMPLE_SCHEME = "sample:"


def resolve_source(source: str, settings: Settings) -> str:
    """A camera source as the decoder opens it: ``sample:<clip>`` becomes the checked clip's path.

    Configs meant to run on any machine (sample_videos/demo.yaml) name clips this way instead of by a
    path that only exists where the samples folder happens to be.
    """
    if not source.startswith(SAMPLE_SCHEME):
        return source
    return str(resolve_sample(source.removeprefix(SAMPLE_SCHEME), settings))
