"""A camera whose source never answers: its reopen attempts are counted in /cameras and logged, sparingly."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

import pytest

from tests.api.conftest import RunningApp, sample_config


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dead_camera_counts_and_logs_its_reconnect_attempts(
    make_app: Callable[..., RunningApp], caplog: pytest.LogCaptureFixture
) -> None:
    config = sample_config(rules=False)
    source = f"rtsp://guard:s3cret@127.0.0.1:{_closed_port()}/dead?token=t0ken"
    config["cameras"][0].update(
        source=source, realtime=False, loop=False, open_timeout_s=1.0, reconnect_min_s=0.05, reconnect_max_s=0.2
    )
    caplog.set_level(logging.WARNING, logger="gatewatch.streams.camera")
    app = make_app(config)
    with app.client("viewer") as viewer:
        deadline = time.monotonic() + 30
        while (camera := viewer.get("/cameras").json()[0])["reconnect_attempts"] < 5:
            assert time.monotonic() < deadline, f"reconnect attempts not counted: {camera}"
            time.sleep(0.1)
    assert camera["state"] == "reconnecting" and camera["reconnects"] == 0 and camera["last_error"]

    logged = [r.getMessage() for r in caplog.records if r.name == "gatewatch.streams.camera"]
    assert any(m.startswith("camera bench: ") and "1 failed attempt(s) in a row" in m for m in logged), logged
    assert any("4 failed attempt(s) in a row" in m for m in logged), logged
    assert len(logged) < camera["reconnect_attempts"]  # 1, 2, 4, 8...: not one line per retry
    assert not any("s3cret" in m or "t0ken" in m or "guard" in m for m in logged), logged
