"""Shared fixtures: where the real sample clips and models live (see gatewatch.config.settings)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gatewatch.assets.models import load_detector, load_manifest
from gatewatch.config.settings import Settings, get_settings
from gatewatch.vision.analytics_config import DetectorConfig
from gatewatch.vision.detector import Detector
from tests.assets import REPO
from tests.mqtt_broker import Broker
from tests.postgres_server import PostgresServer
from tests.rtsp_server import RtspServer, prepare_clip
from tests.webhook_receiver import Receiver, serve_receivers

# A development machine keeps the real models and clips beside the checkout (../shared, see the README);
# the settings take them from there unless GATEWATCH_MODELS_DIR / GATEWATCH_SAMPLES_DIR say otherwise.
# Set in the environment, so the CLI subprocesses that tests start find them too.
SHARED = REPO.parent / "shared"
for variable, folder in (("GATEWATCH_MODELS_DIR", "models"), ("GATEWATCH_SAMPLES_DIR", "sample_videos")):
    if (SHARED / folder).is_dir():
        os.environ.setdefault(variable, str(SHARED / folder))


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


# Live-camera tests: vtest.avi prepared once for GStreamer's RTSP server, and a shared yolox_nano.
@pytest.fixture(scope="session")
def clip(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_clip(samples_dir / "vtest.avi", tmp_path_factory.mktemp("rtsp"))


@pytest.fixture
def server(clip: Path) -> Iterator[RtspServer]:
    with RtspServer(clip) as running:
        yield running


@pytest.fixture(scope="session")
def detector(settings: Settings) -> Detector:
    return load_detector(DetectorConfig(), settings.models_dir, settings.weights_dir, load_manifest(settings.manifest))


@pytest.fixture
def webhook_receiver() -> Iterator[Callable[[Receiver], str]]:
    """start(receiver) serves a signature-checking webhook receiver on loopback and returns its URL."""
    yield from serve_receivers()


@pytest.fixture
def mqtt_broker(tmp_path: Path) -> Iterator[Broker]:
    """A real mosquitto on a free loopback port (scripts/test installs it)."""
    broker = Broker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL per test session (started on first use; scripts/test installs it)."""
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL of a new, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test twice: on a SQLite file (shared by every store the test opens) and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gatewatch.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
