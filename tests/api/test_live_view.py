"""Live view over real HTTP: MJPEG to two viewers with one encode per frame, snapshots, honest 503s."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from gatewatch.live_view import BOUNDARY
from tests.api.conftest import RunningApp
from tests.rtsp_server import wait_until

HALF = [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]]


def quiet_config(samples_dir: Path, cam_id: str = "plaza") -> dict[str, Any]:
    """vtest.avi paced and looping; a zone whose crowding threshold never fires (no snapshot encodes)."""
    zone = {"id": "lower", "polygon": HALF, "crowding": {"min_count": 1000}}
    return {
        "detector": {"detection_fps": 5},
        "cameras": [{"id": cam_id, "source": str(samples_dir / "vtest.avi"), "loop": True, "zones": [zone]}],
    }


def read_parts(client: httpx.Client, url: str, seconds: float, out: list[bytes]) -> None:
    """Collect the JPEG parts of a multipart/x-mixed-replace response for ``seconds``."""
    marker = f"--{BOUNDARY}\r\n".encode()
    buffer = b""
    deadline = time.monotonic() + seconds
    with client.stream("GET", url) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == f"multipart/x-mixed-replace; boundary={BOUNDARY}"
        for chunk in response.iter_bytes():
            buffer += chunk
            while True:
                start = buffer.find(marker)
                head_end = buffer.find(b"\r\n\r\n", start)
                if start < 0 or head_end < 0:
                    break
                headers = dict(
                    line.split(": ", 1) for line in buffer[start + len(marker) : head_end].decode().split("\r\n")
                )
                length = int(headers["Content-Length"])
                body_start = head_end + 4
                if len(buffer) < body_start + length + 2:
                    break
                assert headers["Content-Type"] == "image/jpeg"
                out.append(buffer[body_start : body_start + length])
                buffer = buffer[body_start + length + 2 :]
            if time.monotonic() > deadline:
                return


def decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a JPEG"
    return image


def test_mjpeg_two_viewers_get_real_frames_encoded_once_each(make_app: Any, samples_dir: Path) -> None:
    app: RunningApp = make_app(quiet_config(samples_dir))
    hub = app.service.frames
    wait_until(lambda: hub.latest("plaza") is not None, 20.0, "a first analysed frame")
    encodes_before, _ = hub.counters("plaza")
    received: list[list[bytes]] = [[], []]
    with app.client("viewer") as client:
        viewers = [
            threading.Thread(target=read_parts, args=(client, "/cameras/plaza/stream.mjpeg", 3.0, parts))
            for parts in received
        ]
        for viewer in viewers:
            viewer.start()
        for viewer in viewers:
            viewer.join(30)
    encodes = hub.counters("plaza")[0] - encodes_before
    for parts in received:
        assert len(parts) >= 10, f"only {len(parts)} frames in 3 s"  # ~10 fps clip, 10 fps server cap
        images = [decode(p) for p in parts]
        assert all(image.shape == (360, 480, 3) for image in images)
        assert len(set(parts)) == len(parts), "a viewer got the same frame twice"
    distinct = {p for parts in received for p in parts}
    # One encode per frame, not per viewer: both viewers together got more frames than were encoded.
    assert encodes <= len(distinct) + 1  # +1: a frame encoded just as a viewer disconnected
    assert sum(map(len, received)) > encodes
    # The rate cap holds: 3 s at fps=2 is at most ~7 frames.
    capped: list[bytes] = []
    with app.client("viewer") as client:
        read_parts(client, "/cameras/plaza/stream.mjpeg?fps=2", 3.0, capped)
    assert 3 <= len(capped) <= 8


def test_snapshot_annotated_and_clean_and_503_without_frames(make_app: Any, samples_dir: Path) -> None:
    config = quiet_config(samples_dir)
    # A camera nobody answers: it stays connecting/reconnecting and never has a frame.
    config["cameras"].append({"id": "dark", "source": "rtsp://127.0.0.1:9/none", "open_timeout_s": 1})
    app: RunningApp = make_app(config)
    wait_until(lambda: app.service.frames.latest("plaza") is not None, 20.0, "a first analysed frame")
    with app.client("viewer") as client:
        annotated = client.get("/cameras/plaza/snapshot.jpg")
        clean = client.get("/cameras/plaza/snapshot.jpg", params={"overlay": "false"})
        dark = client.get("/cameras/dark/snapshot.jpg")
        dark_stream = client.get("/cameras/dark/stream.mjpeg")
        missing = client.get("/cameras/nope/snapshot.jpg")
    for response in (annotated, clean):
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        image = decode(response.content)
        assert image.shape == (360, 480, 3) and float(image.std()) > 20.0  # real footage, not a flat frame
    # The overlay draws the zone's outline along its top edge at y = 0.5 * 360.
    band = slice(175, 186)
    drawn = np.abs(decode(annotated.content)[band].astype(int) - decode(clean.content)[band].astype(int))
    assert drawn.max() > 100
    for response in (dark, dark_stream):
        assert response.status_code == 503
        body = response.json()
        assert body["state"] in {"connecting", "reconnecting"} and "no frame yet" in body["detail"]
    assert missing.status_code == 404


def test_live_view_needs_a_key(make_app: Any, samples_dir: Path) -> None:
    app: RunningApp = make_app(quiet_config(samples_dir))
    response = httpx.get(f"{app.base_url}/cameras/plaza/snapshot.jpg")
    assert response.status_code == 401 and "required_roles" in response.json()


def test_a_viewer_that_stops_reading_never_slows_the_pipeline(make_app: Any, samples_dir: Path) -> None:
    app: RunningApp = make_app(quiet_config(samples_dir))
    wait_until(lambda: app.service.frames.latest("plaza") is not None, 20.0, "a first analysed frame")
    key = app.key("viewer")
    host, port = app.base_url.removeprefix("http://").split(":")
    # A raw socket that requests the stream with a tiny receive buffer and then never reads.
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect((host, int(port)))
    request = f"GET /cameras/plaza/stream.mjpeg HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\r\n"
    stuck.sendall(request.encode())
    try:
        before = app.service.runtime.status()["plaza"]
        time.sleep(4.0)  # ~40 frames, far more than the socket buffers hold (~30 KB per JPEG)
        after = app.service.runtime.status()["plaza"]
        analysed = (after.detected + after.coasted) - (before.detected + before.coasted)
        assert analysed >= 30, f"the pipeline slowed to {analysed / 4.0:.1f} fps"
        # Other viewers still get fresh frames meanwhile.
        fresh: list[bytes] = []
        with app.client("viewer") as client:
            read_parts(client, "/cameras/plaza/stream.mjpeg", 2.0, fresh)
        assert len(fresh) >= 8
    finally:
        stuck.close()
