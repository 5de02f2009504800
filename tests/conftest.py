"""Shared fixtures: where the real sample clips and models live (see api.settings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import Settings, get_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def samples_dir(settings: Settings) -> Path:
    path = settings.samples_dir
    assert path.is_dir(), f"sample clips not found in {path}; set GATEWATCH_SAMPLES_DIR"
    return path


@pytest.fixture(scope="session")
def models_dir(settings: Settings) -> Path:
    path = settings.models_dir
    assert path.is_dir(), f"models not found in {path}; set GATEWATCH_MODELS_DIR"
    return path
