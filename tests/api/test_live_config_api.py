"""Live config over real HTTP: thresholds change what fires, zone CRUD survives a restart, 422 paths, roles."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewatch.config.file import parse_config
from tests.api.conftest import RunningApp
from tests.rtsp_server import wait_until

WHOLE = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
BOWTIE = [[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]


def vtest_config(samples_dir: Path, **crowding: Any) -> dict[str, Any]:
    """vtest.avi (3-9 people always in view), paced and looping, one whole-frame crowding zone."""
    zone = {"id": "junction", "polygon": WHOLE, "crowding": {"min_count": 1000, "min_duration_s": 0.5, **crowding}}
    return {
        "detector": {"detection_fps": 5},
        "schedules": {"pickup": {"windows": [{"days": ["mon"], "start": "16:00", "end": "17:00"}]}},
        "cameras": [{"id": "gate", "source": str(samples_dir / "vtest.avi"), "loop": True, "zones": [zone]}],
    }


def events(client: Any, **params: str) -> list[dict[str, Any]]:
    response = client.get("/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def analysed_zones(app: RunningApp, camera: str) -> set[str]:
    latest = app.service.frames.latest(camera)
    return set() if latest is None else set(latest.analysis.zone_counts)


def test_threshold_patch_changes_what_fires_on_the_next_frames(make_app: Any, samples_dir: Path) -> None:
    app: RunningApp = make_app(vtest_config(samples_dir))
    operator, viewer = app.client("operator"), app.client("viewer")
    # Before: with min_count 1000 nothing fires, though frames are analysed.
    wait_until(lambda: app.service.runtime.status()["gate"].detected >= 15, 20.0, "3 s of detected frames")
    assert events(operator, camera="gate") == []

    refused = viewer.patch("/cameras/gate/zones/junction", json={"crowding": {"min_count": 3}})
    assert refused.status_code == 403 and refused.json()["required_roles"] == ["operator", "admin"]
    patched = operator.patch(
        "/cameras/gate/zones/junction",
        content=b'{"crowding": {"min_count": 3}}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    zone = patched.json()
    assert zone["crowding"]["min_count"] == 3 and zone["crowding"]["min_duration_s"] == 0.5  # merged, not replaced
    assert zone["polygon"] == WHOLE
    took = wait_until(lambda: events(operator, camera="gate", zone="junction"), 8.0, "crowding after the patch")
    assert took < 5.0
    (event,) = events(operator, camera="gate", zone="junction")
    assert event["type"] == "crowding"


def test_invalid_changes_are_422_with_the_field_path(make_app: Any, samples_dir: Path) -> None:
    app: RunningApp = make_app(vtest_config(samples_dir))
    operator = app.client("operator")

    def loc(response: Any) -> list[Any]:
        assert response.status_code == 422, response.text
        return response.json()["detail"][0]["loc"]

    assert loc(operator.post("/cameras/gate/zones", json={"id": "x", "polygon": BOWTIE})) == ["body", "polygon"]
    assert loc(operator.patch("/cameras/gate/zones/junction", json={"polygon": BOWTIE})) == ["body", "polygon"]
    assert loc(operator.patch("/cameras/gate/zones/junction", json={"crowding": {"min_count": 0}})) == [
        "body",
        "crowding",
        "min_count",
    ]
    # Checked against the model's classes, located by camera and zone id.
    weapon = operator.patch("/cameras/gate/zones/junction", json={"weapon": {"classes": ["bazooka"]}})
    assert loc(weapon) == ["cameras", "gate", "zones", "junction", "weapon", "classes"]
    assert "bazooka" in weapon.json()["detail"][0]["msg"]
    # Cross references, as in the file: a crowding rule may only name a defined schedule.
    unknown = operator.patch(
        "/cameras/gate/zones/junction", json={"crowding": {"schedules": {"nap": {"min_count": 2}}}}
    )
    assert loc(unknown)[:4] == ["cameras", "gate", "zones", "junction"]
    assert operator.post("/cameras/gate/zones", json={"id": "junction", "polygon": WHOLE}).status_code == 409
    assert operator.delete("/cameras/gate/zones/nope").status_code == 404
    # Nothing of that reached the running config.
    crowding = app.service.live.zone("gate", "junction").crowding
    assert crowding is not None and crowding.min_count == 1000


def test_zone_crud_is_audited_shown_in_config_and_survives_a_restart(
    make_app: Any, samples_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "kept"
    config = vtest_config(samples_dir)
    first: RunningApp = make_app(config, data_dir=data_dir)
    operator, admin = first.client("operator"), first.client("admin")
    door = {"id": "door", "polygon": [[0.1, 0.1], [0.4, 0.1], [0.4, 0.5], [0.1, 0.5]], "loitering": {"dwell_s": 30}}
    assert operator.post("/cameras/gate/zones", json=door).status_code == 201
    assert operator.patch("/cameras/gate/zones/door", json={"loitering": {"dwell_s": 12}}).status_code == 200
    assert (
        operator.put(
            "/schedules/pickup", json={"windows": [{"days": ["tue"], "start": "15:00", "end": "16:00"}]}
        ).status_code
        == 200
    )
    assert operator.delete("/cameras/gate/zones/junction").status_code == 204
    assert [z["id"] for z in operator.get("/cameras/gate/zones").json()] == ["door"]

    running = parse_config(operator.get("/config").text)  # GET /config is a valid config file
    assert [z.id for z in running.cameras[0].zones] == ["door"]
    loitering = running.cameras[0].zones[0].loitering
    assert loitering is not None and loitering.dwell_s == 12
    assert running.schedules["pickup"].windows[0].days == ["tue"]

    assert operator.get("/audit").status_code == 403
    audit = admin.get("/audit", params={"limit": 10}).json()["items"]
    mine = [e for e in audit if e["what"].startswith(("cameras.", "schedules."))]
    assert [e["what"] for e in mine] == [
        "cameras.gate.zones.junction",
        "schedules.pickup",
        "cameras.gate.zones.door",
        "cameras.gate.zones.door",
    ]
    deleted, _, patched, created = mine
    assert all(e["actor"] == "test-operator" for e in mine)
    assert created["old"] is None and created["new"]["loitering"]["dwell_s"] == 30
    assert patched["old"]["loitering"]["dwell_s"] == 30 and patched["new"]["loitering"]["dwell_s"] == 12
    assert deleted["old"]["id"] == "junction" and deleted["new"] is None
    first.stop()

    # Same config file content: the live edits come back.
    second: RunningApp = make_app(config, data_dir=data_dir)
    assert second.service.live.origin == "persisted"
    zones = second.client("viewer").get("/cameras/gate/zones").json()
    assert [(z["id"], z["loitering"]["dwell_s"]) for z in zones] == [("door", 12)]
    wait_until(lambda: "door" in analysed_zones(second, "gate"), 20.0, "the persisted zone in the running analytics")
    second.stop()

    # An edited config file wins over the stale live edits.
    edited = vtest_config(samples_dir, min_count=999)
    with caplog.at_level(logging.WARNING, logger="gatewatch.config.live"):
        third: RunningApp = make_app(edited, data_dir=data_dir)
    assert third.service.live.origin == "file"
    assert "config file changed since the live edits" in caplog.text and "test-operator" in caplog.text
    assert [z["id"] for z in third.client("viewer").get("/cameras/gate/zones").json()] == ["junction"]


def test_cameras_schedules_detector_and_roles(make_app: Any, samples_dir: Path) -> None:
    app: RunningApp = make_app(vtest_config(samples_dir))
    admin, operator, viewer = app.client("admin"), app.client("operator"), app.client("viewer")
    extra = {
        "id": "side",
        "source": "rtsp://user:secret@127.0.0.1:9/sub",
        "view_source": "rtsp://user:secret@127.0.0.1:9/main",
        "open_timeout_s": 1,
    }
    assert operator.post("/cameras", json=extra).status_code == 403
    created = admin.post("/cameras", json=extra)
    assert created.status_code == 201, created.text
    shown = created.json()["config"]
    assert shown["source"] == "rtsp://user:***@127.0.0.1:9/sub"  # no password to readers, in either stream role
    assert shown["view_source"] == "rtsp://user:***@127.0.0.1:9/main"
    assert "secret" not in viewer.get("/config").text
    # A camera sent back as it was read (password shown as ***) keeps its real password.
    renamed = {**created.json()["config"], "name": "Side gate"}
    assert admin.put("/cameras/side", json=renamed).status_code == 200
    stored = next(c for c in app.service.live.config.cameras if c.id == "side")
    assert stored.source == extra["source"] and stored.view_source == extra["view_source"]
    assert stored.name == "Side gate"
    listed = {c["id"]: c for c in viewer.get("/cameras").json()}
    assert set(listed) == {"gate", "side"} and listed["side"]["state"] in {"connecting", "reconnecting"}
    wait_until(lambda: viewer.get("/cameras/gate").json()["frames_in"] > 0, 10.0, "frames on the gate camera")
    gate = viewer.get("/cameras/gate").json()
    assert gate["state"] == "running" and set(gate["zone_counts"]) == {"junction"}

    assert admin.delete("/cameras/side").status_code == 204
    assert viewer.get("/cameras/side").status_code == 404
    assert "camera-side" not in {w.camera_id for w in app.service.runtime.workers}
    assert admin.delete("/cameras/gate").json()["detail"][0]["loc"] == ["cameras"]  # the last camera stays

    # A schedule in use by a crowding rule cannot go.
    assert (
        operator.patch(
            "/cameras/gate/zones/junction", json={"crowding": {"schedules": {"pickup": {"min_count": 500}}}}
        ).status_code
        == 200
    )
    in_use = operator.delete("/schedules/pickup")
    assert in_use.status_code == 422 and "pickup" in in_use.text
    assert operator.delete("/schedules/nope").status_code == 404
    assert set(viewer.get("/schedules").json()) == {"pickup"}

    detector = viewer.get("/detector").json()
    assert detector["model"] == "yolox_nano" and "person" in detector["classes"] and detector["detection_fps"] == 5
    assert yaml.safe_load(viewer.get("/config").text)["cameras"][0]["id"] == "gate"


def test_concurrent_patches_of_one_zone_all_survive(make_app: Any, samples_dir: Path) -> None:
    app: RunningApp = make_app(vtest_config(samples_dir))
    changes: list[dict[str, Any]] = [{"hysteresis": 3}, {"clear_s": 7.0}, {"cooldown_s": 90.0}, {"min_duration_s": 2.0}]

    def patch(change: dict[str, Any]) -> int:
        with app.client("operator") as client:
            return client.patch("/cameras/gate/zones/junction", json={"crowding": change}).status_code

    with ThreadPoolExecutor(len(changes)) as pool:
        assert list(pool.map(patch, changes)) == [200] * len(changes)
    crowding = app.client("viewer").get("/cameras/gate/zones/junction").json()["crowding"]
    for change in changes:  # serialised read-modify-write: no edit lost
        assert crowding.items() >= change.items()
    assert crowding["min_count"] == 1000
