"""The service's composition: one pipeline per process, readiness, and the demo config on this machine."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from gatewatch.assets.samples import SampleError, resolve_source
from gatewatch.config.file import load_config
from gatewatch.config.settings import Settings
from gatewatch.store import EventStore, lookup_api_key
from tests.api.conftest import RunningApp, sample_config
from tests.assets import REPO
from tests.event_records import end_record, new_record


def test_pipeline_starts_once_and_readiness_follows_it(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    ready = httpx.get(f"{app.base_url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"model": True, "store": True, "pipeline": True}, "reasons": {}}
    with pytest.raises(RuntimeError, match="once per process"):
        app.service.start()
    assert httpx.get(f"{app.base_url}/healthz", timeout=10).json() == {"status": "ok"}

    app.service.stop()  # e.g. the pipeline died: readiness must say so while the process still answers
    stopped = httpx.get(f"{app.base_url}/readyz", timeout=10)
    assert stopped.status_code == 503 and stopped.json()["checks"]["pipeline"] is False


def test_demo_config_is_valid_and_its_sample_sources_resolve(settings: Settings) -> None:
    config = load_config(REPO / "sample_videos" / "demo.yaml")
    assert {c.id for c in config.cameras} == {"junction", "table-cam", "bench"}
    for camera in config.cameras:
        assert camera.source.startswith("sample:") and camera.realtime and camera.loop
        path = Path(resolve_source(camera.source, settings))
        assert path.is_file() and path.name == camera.source.removeprefix("sample:")
    assert resolve_source("rtsp://cam/1", settings) == "rtsp://cam/1"  # other sources pass through
    with pytest.raises(SampleError, match="unknown sample clip"):
        resolve_source("sample:nope.mp4", settings)


def test_events_left_open_by_a_killed_process_are_ended_at_start(
    make_app: Callable[..., RunningApp], tmp_path: Path
) -> None:
    data_dir = tmp_path / "previous"
    store = EventStore(f"sqlite:///{data_dir / 'gatewatch.db'}")
    opened = new_record("left-open")
    store.append(opened)
    closed = new_record("ended")
    store.append(closed)
    store.append(end_record(closed))
    store.close()  # as if the process died here: "left-open" never got its end record

    app = make_app(sample_config(rules=False), data_dir=data_dir)
    with app.client("viewer") as viewer:
        event = viewer.get("/events/left-open").json()
        ended = viewer.get("/events/ended").json()
    assert [r["type"] for r in event["records"]] == ["event.new", "event.end"]
    assert event["event"]["lifecycle"] == "end"
    assert event["event"]["ended_at"] == opened.at.isoformat().replace("+00:00", "Z")
    assert event["records"][-1]["data"]["event"]["detail"]["end_reason"] == "interrupted"
    assert len(ended["records"]) == 2  # an event that had ended is left alone


def test_keys_command_creates_lists_and_revokes(tmp_path: Path) -> None:
    env = {**os.environ, "GATEWATCH_DATA_DIR": str(tmp_path)}

    def gatewatch(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "gatewatch.cli", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # codes are asserted

    created = gatewatch("keys", "create", "--role", "alarm", "--name", "siren relay")
    assert created.returncode == 0, created.stderr
    token = created.stdout.splitlines()[-1]
    store = EventStore(f"sqlite:///{tmp_path / 'gatewatch.db'}")
    try:
        info = lookup_api_key(store.sessions, token)
        assert info is not None and (info.name, info.role) == ("siren relay", "alarm")
        listed = gatewatch("keys", "list").stdout
        assert f"{info.id:5} alarm" in listed and "active" in listed and token not in listed  # never shown again
        assert gatewatch("keys", "revoke", str(info.id)).returncode == 0
        assert lookup_api_key(store.sessions, token) is None
        again = gatewatch("keys", "revoke", str(info.id))
        assert again.returncode == 1 and "no active key" in again.stderr
        assert "revoked" in gatewatch("keys", "list").stdout
        assert gatewatch("keys", "create", "--role", "root").returncode == 2  # argparse refuses the role
    finally:
        store.close()
