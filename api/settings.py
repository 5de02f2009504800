"""Process settings from the environment (GATEWATCH_*), separate from the camera/rules config file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def _default_models_dir() -> Path:
    shared = SHARED / "models"
    return shared if shared.is_dir() else REPO_ROOT / "models" / "weights"


def _default_samples_dir() -> Path:
    shared = SHARED / "sample_videos"
    return shared if shared.is_dir() else REPO_ROOT / ".cache" / "sample_videos"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWATCH_", extra="forbid")

    models_dir: Path = Field(
        default_factory=_default_models_dir,
        description="Where model weights are looked up first (default ../shared/models when it exists).",
    )
    weights_dir: Path = Field(
        REPO_ROOT / "models" / "weights",
        description="Gitignored folder where downloaded weights are stored and looked up second.",
    )
    manifest: Path = Field(REPO_ROOT / "models" / "manifest.toml", description="Model manifest file.")
    samples_dir: Path = Field(
        default_factory=_default_samples_dir,
        description="Recorded sample clips (default ../shared/sample_videos when it exists).",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
