"""MediaClock on timestamp sequences as sources produce them: steady, reordered, and broken by jumps."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from gatewatch.streams.media_clock import MediaClock

pytestmark = pytest.mark.unit


class FakeArrivals:
    """Arrival times the test sets: the wall time that really passed between frames."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _run(clock: MediaClock, arrivals: FakeArrivals, media: Sequence[float | None], every_s: float = 0.1) -> list[float]:
    times = []
    for m in media:
        times.append(clock.time_of(m))
        arrivals.t += every_s
    return times


def test_steady_timestamps_are_the_clock_from_the_first_frame() -> None:
    arrivals = FakeArrivals()
    clock = MediaClock(10.0, live=True, now=arrivals)
    times = _run(clock, arrivals, [50.0 + i / 10 for i in range(20)])
    assert times == pytest.approx([i / 10 for i in range(20)])
    assert clock.discontinuities == 0


def test_a_jump_back_on_a_live_source_is_reanchored_on_arrival_time_and_counted() -> None:
    """An RTCP re-basing or encoder restart: media time goes 3.9 s back while frames keep arriving."""
    arrivals = FakeArrivals()
    clock = MediaClock(10.0, live=True, now=arrivals)
    media = [i / 10 for i in range(40)] + [i / 10 for i in range(40)]
    times = []
    jumps = []
    for m in media:
        times.append(clock.time_of(m))
        jumps.append(clock.jump_s)
        arrivals.t += 0.1
    assert clock.discontinuities == 1
    assert jumps[40] == pytest.approx(-3.9) and sum(1 for j in jumps if j) == 1
    assert times == pytest.approx([i / 10 for i in range(80)])  # the clock runs on as the wall did


def test_a_jump_ahead_on_a_live_source_advances_by_the_time_that_passed() -> None:
    arrivals = FakeArrivals()
    clock = MediaClock(10.0, live=True, now=arrivals)
    times = _run(clock, arrivals, [0.0, 0.1, 0.2, 7.3, 7.4])
    assert times == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert clock.discontinuities == 1


def test_a_real_gap_in_arrivals_is_kept_when_the_media_also_jumps() -> None:
    """Frames lost for 5 s (a stalled network): the time that really passed, not one frame interval."""
    arrivals = FakeArrivals()
    clock = MediaClock(10.0, live=True, now=arrivals)
    clock.time_of(0.0)
    arrivals.t += 5.0
    assert clock.time_of(5.0) == pytest.approx(5.0)


def test_a_recording_keeps_its_gaps_but_not_its_jumps_back() -> None:
    clock = MediaClock(25.0, live=False, now=FakeArrivals())
    assert [clock.time_of(m) for m in (0.0, 0.04, 10.0, 10.04)] == pytest.approx([0.0, 0.04, 10.0, 10.04])
    assert clock.discontinuities == 0
    assert clock.time_of(0.0) == pytest.approx(10.08)  # a second file concatenated: one frame interval on
    assert clock.time_of(0.04) == pytest.approx(10.12)
    assert clock.discontinuities == 1


def test_timestamps_left_in_decode_order_rise_and_follow_the_media() -> None:
    """B-frames remuxed without presentation times (the tests' RTSP clip): 0.3, 0.2, 0.4, 0.1, 0.7 ..."""
    arrivals = FakeArrivals()
    clock = MediaClock(10.0, live=True, now=arrivals)
    media = [0.0] + [b + d for b in (0.0, 0.4, 0.8, 1.2) for d in (0.3, 0.2, 0.4, 0.1)]
    times = _run(clock, arrivals, media)
    assert clock.discontinuities == 0
    assert all(later > earlier for earlier, later in itertools.pairwise(times))
    assert times[-1] == pytest.approx(max(media), abs=0.01)


def test_frames_without_timestamps_take_one_interval_and_the_first_timestamp_continues() -> None:
    """An RTSP stream's first frame has no timestamp; the source's own timestamps may start anywhere."""
    arrivals = FakeArrivals()
    clock = MediaClock(10.0, live=True, now=arrivals)
    times = _run(clock, arrivals, [None, None, 5000.0, 5000.1, None, 5000.3])
    assert times == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert clock.discontinuities == 0
