"""Annotator: draws on a copy, boxes in their class colour, zones and alarms visible."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from gatewatch.vision.analyzer import FrameAnalysis
from gatewatch.vision.annotate import Annotator, class_palette, format_duration
from gatewatch.vision.detections import Detections
from gatewatch.vision.types import EventRecord, FrameMeta

pytestmark = pytest.mark.unit  # fast: no servers, clips or model sessions (scripts/test -m unit)

NAMES = ("person", "bicycle", "car")
T0 = dt.datetime(2024, 9, 2, 7, 30, tzinfo=dt.UTC)
GREY = 90


def _analysis(
    height: int,
    width: int,
    detections: Detections | None = None,
    active: list[EventRecord] | None = None,
    counts: dict[str, int] | None = None,
) -> FrameAnalysis:
    meta = FrameMeta(42.0, T0 + dt.timedelta(seconds=42), width, height, 420)
    return FrameAnalysis(meta, detections or Detections.empty(), counts or {}, [], active or [])


def _alarm(zone: str, start_s: float = 10.0) -> EventRecord:
    started = T0 + dt.timedelta(seconds=start_s)
    return EventRecord(
        "ev1", "loitering", "new", "cam", zone, (3,), start_s, started, start_s, started, None, None, 0.8, {}, None
    )


def _frame(height: int = 360, width: int = 480) -> np.ndarray:
    return np.full((height, width, 3), GREY, np.uint8)


def _one_box(class_id: int = 0, tracker_id: int = 7) -> Detections:
    return Detections(
        np.array([[100, 120, 220, 300]], np.float32),
        np.array([0.87], np.float32),
        np.array([class_id], np.int32),
        np.array([tracker_id], np.int64),
    )


@pytest.mark.parametrize(("height", "width"), [(360, 480), (1080, 1920)])
def test_draw_returns_new_frame_of_same_shape_and_leaves_input_alone(height: int, width: int) -> None:
    frame = _frame(height, width)
    before = frame.copy()
    out = Annotator(NAMES).draw(frame, _analysis(height, width, _one_box()), {})
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert out is not frame
    np.testing.assert_array_equal(frame, before)


def test_box_outline_is_drawn_in_its_class_colour_and_inside_is_untouched() -> None:
    out = Annotator(NAMES).draw(_frame(), _analysis(360, 480, _one_box(class_id=2)), {})
    car = class_palette(len(NAMES))[2]
    np.testing.assert_array_equal(out[210, 100], car)  # left edge, mid height
    np.testing.assert_array_equal(out[210, 220], car)  # right edge
    np.testing.assert_array_equal(out[300, 160], car)  # bottom edge
    np.testing.assert_array_equal(out[210, 160], [GREY] * 3)  # centre of the box: not filled


def test_classes_get_distinct_colours_and_person_is_not_alarm_red() -> None:
    palette = class_palette(80).astype(int)
    assert len({tuple(c) for c in palette}) == 80
    blue, green, red = palette[0]
    assert not (red > 200 and green < 80 and blue < 80)


def test_label_shows_track_id_only_when_tracked() -> None:
    annotator = Annotator(NAMES)
    assert annotator.label_for(0, 12, 0.871) == "person #12 0.87"
    assert annotator.label_for(0, -1, 0.5) == "person 0.50"


def test_zone_outline_and_alarm_fill() -> None:
    zone = {"gate": np.array([[200, 150], [400, 150], [400, 330], [200, 330]], np.float32)}
    annotator = Annotator(NAMES)
    quiet = annotator.draw(_frame(), _analysis(360, 480, counts={"gate": 2}), zone)
    alarmed = annotator.draw(_frame(), _analysis(360, 480, active=[_alarm("gate")], counts={"gate": 2}), zone)
    inside = (250, 300)  # row, column well inside the zone, away from its label
    assert not np.array_equal(quiet[240, 200], [GREY] * 3)  # left edge outlined
    np.testing.assert_array_equal(quiet[inside], [GREY] * 3)  # no fill without an alarm
    blue, green, red = alarmed[inside].astype(int)
    assert red > GREY + 40 and blue < GREY and green < GREY  # translucent red
    np.testing.assert_array_equal(alarmed[250, 100], [GREY] * 3)  # outside the zone: untouched


def test_alarm_banner_spans_the_top_only_while_an_alarm_is_active() -> None:
    annotator = Annotator(NAMES)
    calm = annotator.draw(_frame(), _analysis(360, 480), {})
    np.testing.assert_array_equal(calm[:40], _frame()[:40])
    banner = annotator.draw(_frame(), _analysis(360, 480, active=[_alarm("gate")]), {})
    blue, green, red = banner[2, 470].astype(int)  # top-right corner, past the text
    assert red > 150 and blue < 60 and green < 60
    np.testing.assert_array_equal(banner[300:], _frame()[300:])


def test_text_grows_with_frame_height() -> None:
    """A 1080p frame gets a taller banner than a 360p one (same alarm), so labels stay readable."""
    annotator = Annotator(NAMES)

    def banner_rows(height: int, width: int) -> int:
        out = annotator.draw(_frame(height, width), _analysis(height, width, active=[_alarm("gate")]), {})
        return int((out[:, -1, 2] > 150).sum())

    assert banner_rows(1080, 1920) >= 1.8 * banner_rows(360, 480) > 0


def test_format_duration() -> None:
    assert format_duration(5.9) == "0:05"
    assert format_duration(125) == "2:05"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(-1) == "0:00"
