"""analyze_clip end to end with the real detector on real clips, its failure modes, and its parts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

import av
import av.codec
import cv2
import numpy as np
import pytest

from gatewatch.clips.analyze import analyze_clip, select_camera
from gatewatch.clips.outputs import VideoEncoder, pick_video_codec
from gatewatch.config.schema import GatewatchConfig
from gatewatch.config.settings import Settings
from gatewatch.streams.decode import SourceError
from gatewatch.streams.detection_schedule import DetectionSchedule

START = dt.datetime(2024, 9, 2, 7, 30, tzinfo=dt.UTC)
EVENT_KEYS = {"id", "type", "lifecycle", "camera", "zone", "start_s", "confidence"}
SUMMARY_KEYS = {
    "frames_decoded", "frames_detected", "wall_s", "clip_s", "events_by_type", "stages_ms",
    "model", "detection_fps", "camera", "start_time", "realtime_factor",
}  # fmt: skip
STAGES = {"decode", "detect", "analyze", "annotate", "encode"}
WHOLE_FRAME = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]


def _config(source: str, detection_fps: float, **extra_cameras: Any) -> GatewatchConfig:
    """A junction camera whose road zone crowds and loiters; extra cameras make selection non-trivial."""
    camera = {
        "id": "junction",
        "source": source,
        "masks": [[[0.0, 0.1], [0.12, 0.1], [0.12, 0.35], [0.0, 0.35]]],  # the post vtest shows as a person
        "zones": [
            {
                "id": "road",
                "polygon": [[0.0, 0.25], [1.0, 0.25], [1.0, 0.9], [0.0, 0.9]],
                "crowding": {"min_count": 3, "min_duration_s": 0.5, "clear_s": 2.0, "cooldown_s": 5.0},
                "loitering": {"dwell_s": 15.0, "min_movement": 1.0},
            },
            {"id": "lawn", "polygon": WHOLE_FRAME, "weapon": {"classes": ["knife", "baseball bat"]}},
        ],
    }
    others = [{"id": cam_id, "source": src} for cam_id, src in extra_cameras.items()]
    return GatewatchConfig.model_validate(
        {"detector": {"model": "yolox_nano", "detection_fps": detection_fps}, "cameras": [camera, *others]}
    )


def _declared_frames(clip: Path) -> int:
    with av.open(str(clip)) as container:
        return container.streams.video[0].frames


def _events(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]


def _no_partial_folders(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if p.name.startswith(".")]


def _check_outputs(out: Path, clip: Path, summary: dict[str, Any], detection_fps: float) -> None:
    assert summary == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary.keys() >= SUMMARY_KEYS
    assert set(summary["stages_ms"]) == STAGES
    assert all({"mean", "p95"} <= v.keys() for v in summary["stages_ms"].values())
    assert summary["frames_decoded"] == _declared_frames(clip)
    # A clip slower than detection_fps (mot17: 3 fps) has every frame detected.
    expected_detected = summary["clip_s"] * min(detection_fps, summary["fps"])
    assert abs(summary["frames_detected"] - expected_detected) <= 2
    assert set(summary["events_by_type"]) == {"weapon", "loitering", "crowding"}
    assert summary["realtime_factor"] == pytest.approx(summary["clip_s"] / summary["wall_s"], rel=0.01)

    events = _events(out)
    assert events, "the config is meant to raise at least one event on this clip"
    assert all(e.keys() >= EVENT_KEYS for e in events)
    assert [e["t_s"] for e in events] == sorted(e["t_s"] for e in events)
    started = {e["id"] for e in events if e["lifecycle"] == "new"}
    assert {e["id"] for e in events} == started  # every event announced itself first
    distinct = {kind: len({e["id"] for e in events if e["type"] == kind}) for kind in summary["events_by_type"]}
    assert summary["events_by_type"] == distinct
    with av.open(str(clip)) as container:
        size = (container.streams.video[0].height, container.streams.video[0].width)
    for event in events:
        assert event["snapshot"] == f"snapshots/{event['id']}.jpg"
    for event_id in started:
        image = cv2.imread(str(out / "snapshots" / f"{event_id}.jpg"))
        assert image is not None and image.shape[:2] == size

    with av.open(str(out / "annotated.mp4")) as container:
        stream = container.streams.video[0]
        decoded = list(container.decode(stream))
    assert len(decoded) == summary["frames_decoded"]
    assert (decoded[0].height, decoded[0].width) == size
    assert _no_partial_folders(out.parent)


@pytest.fixture(scope="module")
def mot17(samples_dir: Path) -> Path:
    return samples_dir / "mot17-04-excerpt.mp4"


def test_short_clip_end_to_end(mot17: Path, settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "mot17"
    summary = analyze_clip(
        mot17, _config("rtsp://gate/1", 5.0), out, camera_id=None, start_time=START, settings=settings
    )
    _check_outputs(out, mot17, summary, 5.0)
    assert summary["camera"] == "junction" and summary["model"] == "yolox_nano"
    assert summary["events_by_type"]["crowding"] >= 1  # 14-16 people per frame
    assert summary["start_time"] == START.isoformat()


def test_rerun_replaces_previous_outputs(mot17: Path, settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "mot17"
    config = _config("rtsp://gate/1", 5.0)
    analyze_clip(mot17, config, out, camera_id=None, start_time=START, settings=settings)
    (out / "snapshots" / "stale.jpg").write_bytes(b"old run")
    analyze_clip(mot17, config, out, camera_id=None, start_time=START, settings=settings, write_video=False)
    assert not (out / "annotated.mp4").exists()  # a stale video would not match the new events
    assert not (out / "snapshots" / "stale.jpg").exists()
    assert (out / "summary.json").is_file() and _events(out)
    assert _no_partial_folders(tmp_path)


@pytest.mark.slow
def test_vtest_end_to_end(samples_dir: Path, settings: Settings, tmp_path: Path) -> None:
    clip = samples_dir / "vtest.avi"
    detection_fps = 5.0
    # Two cameras and no camera_id: the one whose source is this file name is chosen.
    config = _config("/srv/recordings/vtest.avi", detection_fps, entrance="rtsp://gate/2")
    out = tmp_path / "vtest"
    summary = analyze_clip(clip, config, out, camera_id=None, start_time=START, settings=settings)
    _check_outputs(out, clip, summary, detection_fps)
    assert summary["camera"] == "junction"
    assert summary["clip_s"] == pytest.approx(79.5, abs=0.2)
    assert summary["events_by_type"]["weapon"] == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("random.mp4", np.random.default_rng(7).bytes(200_000), "cannot open"),
        ("notes.mp4", b"gate 3 camera notes\n" * 50, "cannot open"),
        ("empty.mp4", b"", "cannot open"),
        ("vtest-truncated.avi", None, "truncated"),  # None: the first third of vtest.avi
    ],
)
def test_bad_clip_raises_source_error_and_leaves_nothing(
    samples_dir: Path, settings: Settings, tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    clip = tmp_path / name
    if content is None:
        data = (samples_dir / "vtest.avi").read_bytes()
        content = data[: len(data) // 3]
    clip.write_bytes(content)
    parent = tmp_path / "results"
    out = parent / "run"
    with pytest.raises(SourceError, match=message) as raised:
        analyze_clip(
            clip, _config(str(clip), 5.0), out, camera_id=None, start_time=START, settings=settings, write_video=False
        )
    assert str(clip) in str(raised.value)
    if name == "vtest-truncated.avi":
        assert "795" in str(raised.value)  # says how many frames the container promised
    assert not (out / "summary.json").exists() and not (out / "events.jsonl").exists()
    assert _no_partial_folders(parent)


@pytest.mark.unit
def test_camera_selection() -> None:
    clip = Path("/data/vtest.avi")
    config = _config("rtsp://gate/1", 5.0, entrance="/srv/vtest.avi", car_park="rtsp://gate/3")
    assert select_camera(config, clip, None).id == "entrance"
    assert select_camera(config, clip, "car_park").id == "car_park"
    assert select_camera(_config("rtsp://gate/1", 5.0), clip, None).id == "junction"  # the only one
    with pytest.raises(ValueError, match="junction, entrance, car_park"):
        select_camera(config, Path("/data/other.mp4"), None)
    with pytest.raises(ValueError, match="'nope' is not in the config"):
        select_camera(config, clip, "nope")


def test_naive_start_time_is_refused(mot17: Path, settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        analyze_clip(
            mot17, _config("x.mp4", 5.0), tmp_path / "o", camera_id=None,
            start_time=dt.datetime(2024, 9, 2, 7, 30), settings=settings,  # noqa: DTZ001 - naive on purpose
        )  # fmt: skip
    assert not (tmp_path / "o").exists()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("clip_fps", "detection_fps", "expected"),
    [(10.0, 5.0, 50), (10.0, 10.0, 100), (30.0, 10.0, 100), (29.97, 5.0, 50), (10.0, 3.0, 30), (3.0, 5.0, 30)],
)
def test_schedule_follows_media_time_not_frame_count(clip_fps: float, detection_fps: float, expected: int) -> None:
    """10 s of video sends detection_fps x 10 s frames (or every frame when the clip is slower)."""
    schedule = DetectionSchedule(detection_fps)
    times = np.arange(round(10 * clip_fps)) / clip_fps
    assert sum(schedule.due(t) for t in times) == expected


@pytest.mark.unit
def test_schedule_skips_missed_ticks_after_a_gap() -> None:
    schedule = DetectionSchedule(5.0)
    assert [schedule.due(t) for t in (0.0, 0.1, 0.2, 3.0, 3.1, 3.2)] == [True, False, True, True, False, True]


@pytest.mark.unit
def test_schedule_tolerates_rounded_timestamps() -> None:
    """Millisecond-rounded 30 fps timestamps (33, 67, 100 ms) still hit every 30 Hz tick."""
    schedule = DetectionSchedule(30.0)
    assert all(schedule.due(round(i / 30, 3)) for i in range(300))


def test_mpeg4_fallback_writes_a_playable_video(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_codec = av.codec.Codec

    def without_x264(name: str, mode: Literal["r", "w"] = "r") -> av.codec.Codec:
        if name == "libx264":
            raise av.codec.codec.UnknownCodecError(name)
        return real_codec(name, mode)

    assert pick_video_codec() == "libx264"  # this FFmpeg build has it
    monkeypatch.setattr(av.codec, "Codec", without_x264)  # the module's av is this av
    assert pick_video_codec() == "mpeg4"
    encoder = VideoEncoder(tmp_path / "v.mp4", 321, 240, 12.5)  # odd width: cropped to even for 4:2:0
    assert encoder.codec == "mpeg4"
    for i in range(10):
        encoder.write(np.full((240, 321, 3), i * 20, np.uint8))
    encoder.close()
    with av.open(str(tmp_path / "v.mp4")) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert stream.codec_context.name == "mpeg4" and stream.average_rate == 12.5
    assert len(frames) == 10 and (frames[0].width, frames[0].height) == (320, 240)


def test_missing_clip_is_a_source_error(settings: Settings, tmp_path: Path) -> None:
    clip = tmp_path / "gone.mp4"
    with pytest.raises(SourceError, match="no such file"):
        analyze_clip(clip, _config(str(clip), 5.0), tmp_path / "o", camera_id=None, start_time=START, settings=settings)
    assert _no_partial_folders(tmp_path)
