"""Config editing helpers: RFC 7396 merge patch, id-based error paths, YAML round trip, password redaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatewatch.config.edit import (
    ConfigRejected,
    merge_patch,
    redact_source,
    to_yaml,
    validate_config,
)
from gatewatch.config.file import load_config, parse_config

pytestmark = pytest.mark.unit  # fast: no servers, clips or model sessions (scripts/test -m unit)

SAMPLE_CONFIGS = sorted((Path(__file__).resolve().parents[2] / "sample_videos").glob("*.yaml"))


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [  # RFC 7396 appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7396(target: object, patch: object, expected: object) -> None:
    assert merge_patch(target, patch) == expected


@pytest.mark.parametrize("path", SAMPLE_CONFIGS, ids=lambda p: p.name)
def test_yaml_of_a_config_reads_back_as_the_same_config(path: Path) -> None:
    config = load_config(path)
    assert parse_config(to_yaml(config)) == config


def test_errors_name_cameras_and_zones_by_id() -> None:
    data: dict[str, Any] = {
        "cameras": [
            {"id": "north", "source": "a.mp4"},
            {
                "id": "south.gate",
                "source": "b.mp4",
                "zones": [
                    {"id": "ok", "polygon": [[0, 0], [1, 0], [1, 1]]},
                    {"id": "bad", "polygon": [[0, 0], [1, 1], [1, 0], [0, 1]]},
                ],
            },
        ]
    }
    with pytest.raises(ConfigRejected) as caught:
        validate_config(data, ["person"])
    assert [i["loc"] for i in caught.value.issues] == [["cameras", "south.gate", "zones", "bad", "polygon"]]
    data["cameras"][1]["zones"][1] = {"id": "w.1", "polygon": [[0, 0], [1, 0], [1, 1]], "weapon": {"classes": ["gun"]}}
    with pytest.raises(ConfigRejected) as caught:
        validate_config(data, ["person"])
    (issue,) = caught.value.issues
    assert issue["loc"] == ["cameras", "south.gate", "zones", "w.1", "weapon", "classes"] and "gun" in issue["msg"]


def test_camera_passwords_are_redacted() -> None:
    assert redact_source("rtsp://admin:hunter2@10.0.0.5:554/s1") == "rtsp://admin:***@10.0.0.5:554/s1"
    assert redact_source("rtsp://10.0.0.5/s1") == "rtsp://10.0.0.5/s1"
    assert redact_source("/videos/a:b@c.mp4") == "/videos/a:b@c.mp4"
    assert redact_source("rtsp://u:p@ss@h/s") == "rtsp://u:***@h/s"  # a raw '@' in the password
    # A '/' in the password: up to the last '@' is taken as userinfo (an '@' in the path hides too much,
    # never too little).
    assert redact_source("rtsp://u:p/ss@h/a@b") == "rtsp://u:***@b"
    assert redact_source(" rtsp://u: pw@h/s") == " rtsp://u:***@h/s"  # leading spaces
    assert redact_source("rtsp://tok3n@h/s") == "rtsp://***@h/s"  # a token as the user name
    assert redact_source("rtsp://h/s?a=1&Password=x1&pwd=x2;token=x3&channel=2#key=x4") == (
        "rtsp://h/s?a=1&Password=***&pwd=***;token=***&channel=2#key=***"
    )
    assert redact_source("rtsp://u:p@[::1") == "rtsp://u:***@[::1"  # malformed URLs never raise
    config = validate_config({"cameras": [{"id": "c", "source": "rtsp://u:p4ss@h/x"}]}, ["person"])
    assert "p4ss" not in to_yaml(config) and "p4ss" in to_yaml(config, redact=False)
