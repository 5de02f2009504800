"""The real app under uvicorn on a free loopback port, with a temp SQLite file and paced looping sample clips.

Usage::

    def test_x(make_app):
        app = make_app()                         # or make_app(config_dict, insecure_local=True, mqtt_host=...)
        key = app.key("operator")
        httpx.get(f"{app.base_url}/events", headers=app.auth(key))
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from gatewatch.api.app import create_app
from gatewatch.config.schema import GatewatchConfig
from gatewatch.config.settings import Settings
from gatewatch.service import Service
from gatewatch.store import Role, create_api_key
from gatewatch.vision.detector import Detector

STARTUP_TIMEOUT_S = 60.0  # model already loaded; cameras open in the background


def sample_config(*, detection_fps: float = 2.0, rules: bool = True) -> dict[str, Any]:
    """One paced, looping camera on the bottle clip; with ``rules`` a weapon zone where COCO's `bottle`
    stands in for a weapon class (it alarms within seconds), without: a camera that raises no events."""
    config: dict[str, Any] = {
        "detector": {"model": "yolox_nano", "confidence": 0.3, "detection_fps": detection_fps},
        "cameras": [
            {
                "id": "bench",
                "source": "sample:bottle-detection.mp4",
                "realtime": True,
                "loop": True,
                "zones": [
                    {
                        "id": "table",
                        "polygon": [[0.0, 0.2], [1.0, 0.2], [1.0, 1.0], [0.0, 1.0]],
                        "weapon": {"classes": ["bottle"], "min_confidence": 0.5, "confirm_k": 2, "confirm_n": 4},
                    }
                ],
            }
        ],
    }
    if not rules:
        config["cameras"][0]["zones"] = []
    return config


@dataclass
class RunningApp:
    base_url: str
    service: Service
    server: uvicorn.Server
    thread: threading.Thread
    keys: dict[Role, str] = field(default_factory=dict)

    def key(self, role: Role) -> str:
        """An API key of ``role`` (one per role and app, named ``test-<role>``)."""
        if role not in self.keys:
            self.keys[role] = create_api_key(self.service.store.sessions, f"test-{role}", role)[1]
        return self.keys[role]

    @staticmethod
    def auth(key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"}

    def client(self, role: Role | None = None, **kwargs: Any) -> httpx.Client:
        headers = self.auth(self.key(role)) if role is not None else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0, **kwargs)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)
        assert not self.thread.is_alive(), "uvicorn did not stop"


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # timeout_graceful_shutdown: open SSE streams never end by themselves; cut them after 2 s.
    # proxy_headers=False as `gatewatch serve` runs it: the app decides which proxies it trusts.
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2, proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        assert thread.is_alive(), "uvicorn exited during startup (see the log above)"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def make_app(tmp_path: Path, settings: Settings, detector: Detector) -> Iterator[Callable[..., RunningApp]]:
    running: list[RunningApp] = []

    def start(config: dict[str, Any] | None = None, *, insecure_local: bool = False, **overrides: Any) -> RunningApp:
        data_dir = tmp_path / f"data{len(running)}"
        values = {**settings.model_dump(), "data_dir": data_dir, "database_url": "", **overrides}
        service = Service(
            Settings(**values),
            GatewatchConfig.model_validate(config if config is not None else sample_config()),
            detector=detector,  # the session's model: loading it per test would cost seconds each
        )
        server, thread, base_url = _serve(create_app(service, insecure_local=insecure_local))
        app = RunningApp(base_url, service, server, thread)
        running.append(app)
        return app

    yield start
    for app in running:
        app.stop()
