"""Config file validation: every error carries its field path and YAML line; the CLI exits non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gatewatch.config.file import ConfigError, load_config, parse_config

pytestmark = pytest.mark.unit  # fast: no servers, clips or model sessions (scripts/test -m unit)

GOOD = """\
detector:
  model: yolox_nano
  detection_fps: 5
schedules:
  pickup:
    timezone: Asia/Shanghai
    windows:
      - {days: [mon, tue, wed, thu, fri], start: "07:20", end: "08:20"}
      - {days: [mon, tue, wed, thu, fri], start: "16:00", end: "17:30"}
cameras:
  - id: gate-north
    source: rtsp://127.0.0.1:8554/north
    zones:
      - id: entrance
        polygon: [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]
        loitering: {dwell_s: 120}
        crowding:
          min_count: 12
          schedules: {pickup: {min_count: 25}}
        weapon: {classes: [knife]}
"""


def issues_of(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return [(i.path, i.line, i.message) for i in info.value.issues]


def test_good_config_loads_with_defaults() -> None:
    config = parse_config(GOOD)
    zone = config.cameras[0].zones[0]
    assert zone.crowding is not None and zone.crowding.schedules["pickup"].min_count == 25
    assert zone.loitering is not None and zone.loitering.grace_s == 3.0
    assert config.detector.confidence == 0.3
    assert config.schedules["pickup"].windows[1].end.hour == 17


def test_unknown_key_is_rejected_with_path_and_line() -> None:
    text = GOOD.replace("  detection_fps: 5", "  detection_fps: 5\n  detecton_rate: 3")
    assert issues_of(text) == [("detector.detecton_rate", 4, "Extra inputs are not permitted")]


def test_out_of_bounds_value_names_the_bound() -> None:
    text = GOOD.replace("dwell_s: 120", "dwell_s: -1")
    [(path, line, message)] = issues_of(text)
    assert path == "cameras.0.zones.0.loitering.dwell_s"
    assert line == 16
    assert "greater than 0" in message


@pytest.mark.parametrize(
    ("polygon", "needle"),
    [
        ("[[0.1, 0.1], [0.9, 0.1]]", "at least 3"),
        ("[[0.1, 0.1], [1.2, 0.1], [0.5, 0.9]]", "less than or equal to 1"),
        ("[[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]", "self-intersecting"),
        ("[[0.1, 0.1], [0.5, 0.5], [0.9, 0.9]]", "no area"),
        # The point limit lives in the polygon type: the file and the API refuse the same zones.
        (str([[0.5, i / 200] for i in range(101)]), "at most 100 items"),
    ],
)
def test_bad_polygon_is_explained(polygon: str, needle: str) -> None:
    text = GOOD.replace("[[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]", polygon)
    problems = issues_of(text)
    assert problems, "bad polygon accepted"
    assert all(p[0].startswith("cameras.0.zones.0.polygon") for p in problems)
    assert all(p[1] == 15 for p in problems)
    assert any(needle in p[2] for p in problems)


def test_unknown_schedule_reference_lists_known_ones() -> None:
    [(_, _, message)] = issues_of(GOOD.replace("{pickup: {min_count: 25}}", "{dropoff: {min_count: 25}}"))
    assert "unknown schedule 'dropoff'" in message and "pickup" in message


def test_bad_timezone_and_window_order() -> None:
    text = GOOD.replace("Asia/Shanghai", "Mars/Olympus").replace(
        'start: "16:00", end: "17:30"', 'start: "17:30", end: "16:00"'
    )
    problems = issues_of(text)
    assert any(p[0] == "schedules.pickup.timezone" and "unknown IANA time zone" in p[2] for p in problems)
    assert any(p[0] == "schedules.pickup.windows.1" and "must be after start" in p[2] for p in problems)


def test_weapon_confirmation_k_must_not_exceed_n() -> None:
    [(path, _, message)] = issues_of(
        GOOD.replace("{classes: [knife]}", "{classes: [knife], confirm_k: 6, confirm_n: 5}")
    )
    assert path == "cameras.0.zones.0.weapon" and "confirm_k (6) must be <= confirm_n (5)" in message


def test_duplicate_ids_and_keys() -> None:
    two_cameras = GOOD + GOOD[GOOD.index("  - id: gate-north") :]
    assert any("camera id 'gate-north' appears twice" in p[2] for p in issues_of(two_cameras))
    assert issues_of("cameras: []\ncameras: []\n") == [("cameras", 2, "key appears twice")]


def test_invalid_yaml_reports_line() -> None:
    [(_, line, message)] = issues_of("cameras:\n  - id: a\n    source: [unclosed\n")
    assert line is not None and "invalid YAML" in message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config(tmp_path / "absent.yaml")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gatewatch.cli", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_validate_ok_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    ok = run_cli("config", "validate", str(good))
    assert ok.returncode == 0 and "OK (1 camera(s), 1 zone(s)" in ok.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("dwell_s: 120", "dwell_s: 0").replace("min_count: 12", "min_count: many"))
    result = run_cli("config", "validate", str(bad))
    assert result.returncode == 2
    assert "cameras.0.zones.0.loitering.dwell_s (line 16)" in result.stderr
    assert "cameras.0.zones.0.crowding.min_count (line 18)" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_validate_resolves_model_classes_and_schedules_as_serve_does(tmp_path: Path) -> None:
    """What serve refuses at start, validate refuses, with the camera/zone path and the YAML line."""
    cases = {
        "model": (GOOD.replace("model: yolox_nano", "model: yolox_tiny"), "detector.model (line 2): unknown model"),
        "class": (
            GOOD.replace("classes: [knife]", "classes: [knife, bazooka]"),
            "cameras.0.zones.0.weapon.classes (line 20): unknown class name(s) ['bazooka']",
        ),
        "schedule": (
            GOOD.replace("{pickup: {min_count: 25}}", "{dismissal: {min_count: 25}}"),
            "cameras.0.zones.0.crowding.schedules (line 19): unknown schedule 'dismissal' (known: pickup)",
        ),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        result = run_cli("config", "validate", str(path))
        assert result.returncode == 2, (name, result.stdout)
        assert f"{path}: 1 problem(s)" in result.stderr and expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_cli_validate_names_a_binary_file(tmp_path: Path) -> None:
    binary = tmp_path / "camera.onnx"
    binary.write_bytes(b"\x08\x07\x12\x07pytorch\x00\x00\xff\xfe" * 10)
    result = run_cli("config", "validate", str(binary))
    assert result.returncode == 2
    assert f"{binary}: 1 problem(s)" in result.stderr and "not a YAML text file: binary data" in result.stderr
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(GOOD.replace("gate-north", "gate-n\xf6rd").encode("latin-1"))
    result = run_cli("config", "validate", str(latin1))
    assert (
        result.returncode == 2 and "not a UTF-8 text file: byte 0xf6" in result.stderr and "(line 11)" in result.stderr
    )
    assert "codec can't decode" not in result.stderr and "Traceback" not in result.stderr
