"""`gatewatch bench`: its arithmetic, its 720p sources, and one short real run through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gatewatch.bench import processes as bench_processes
from gatewatch.bench.probe import heap_growth, rss_summary
from gatewatch.bench.report import (
    REQUIRED_KEYS,
    choose_split,
    estimate_streams,
    held,
    largest_held,
    limit_ratio,
    limit_streams,
    next_streams,
    overhead_share,
    trial_row,
)
from gatewatch.bench.sources import EncodeParams, prepare_source, prepare_sources, probe
from gatewatch.vision.errors import UserError
from tests.assets import REPO


@pytest.mark.unit
def test_limit_streams_is_cores_over_bare_decode_and_cheapest_inference_per_stream() -> None:
    # 25 fps x 2 ms decode + 5 det/s x 10 ms inference = 0.1 cores a stream: 2 cores carry 20.
    assert limit_streams(2, 25.0, 0.002, 5.0, 0.010) == pytest.approx(20.0)
    assert limit_ratio(18, 20.0) == pytest.approx(0.9)
    assert limit_ratio(0, 20.0) == 0.0
    assert limit_streams(2, 25.0, 0.0, 5.0, 0.0) is None and limit_ratio(3, None) is None


@pytest.mark.unit
def test_detector_split_comes_from_the_cheapest_measured_thread_count_unless_given() -> None:
    measured = {"2": {"infer_cpu_s_per_inference": 0.018}, "1": {"infer_cpu_s_per_inference": 0.016}}
    auto = choose_split(2, measured, None, None)
    assert (auto["threads"], auto["workers"], auto["chosen"]) == (1, 2, "ceilings") and "16.0 ms" in auto["why"]
    costly_one = {"2": {"infer_cpu_s_per_inference": 0.010}, "1": {"infer_cpu_s_per_inference": 0.016}}
    costly = choose_split(4, costly_one, None, None)
    assert (costly["threads"], costly["workers"]) == (2, 2)
    assert choose_split(2, measured, 2, None) == {"threads": 2, "workers": 1, "chosen": "options"}


@pytest.mark.unit
def test_heap_growth_names_the_line_that_grew() -> None:
    import tracemalloc

    tracemalloc.start(1)
    try:
        before = tracemalloc.take_snapshot()
        kept = [bytearray(1024) for _ in range(200)]  # ~200 KB allocated on this line
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    growth = heap_growth(before, after)
    assert len(kept) == 200 and growth["growth_mb"] > 0.15
    top = growth["top"][0]
    assert "test_bench.py" in top["where"] and top["size_diff_kb"] > 190 and top["count_diff"] >= 200


@pytest.mark.unit
def test_held_needs_every_stream_at_95_percent_and_latency_within_1_s() -> None:
    assert held([5.0, 4.75], 5.0, 1.0)
    assert not held([5.0, 4.74], 5.0, 0.2), "one slow stream fails the trial"
    assert not held([5.0, 5.0], 5.0, 1.01)
    assert not held([], 5.0, 0.1) and not held([5.0], 5.0, None)
    assert held([2.0], 2.0, 0.5), "the target follows --detection-fps"


@pytest.mark.unit
def test_overhead_share_subtracts_bare_decode_and_inference_cpu() -> None:
    # 10 CPU-s; 1000 frames at 3 ms and 100 inferences at 50 ms are 8 s of work: 20 % overhead.
    assert overhead_share(10.0, 1000, 0.003, 100, 0.05) == pytest.approx(0.2)
    assert overhead_share(4.0, 1000, 0.003, 100, 0.05) == pytest.approx(-1.0), "cheaper than the ceiling"
    assert overhead_share(0.0, 0, 0.003, 0, 0.05) is None


@pytest.mark.unit
def test_trial_row_from_known_numbers() -> None:
    trial = {
        "per_stream": {"a": {"detect_fps": 5.0}, "b": {"detect_fps": 2.0, "decided_fps": 4.9}},
        "latency_p95_s": 0.3, "inferences": 210, "decoded_frames": 1500, "window_s": 30.0,
        "process_cpu_s": 20.0, "peak_rss_mb": 300.0,
    }  # fmt: skip
    row = trial_row(trial, {"decode_cpu_s_per_frame": 0.004, "infer_cpu_s_per_inference": 0.05}, 5.0)
    assert row["held"] and row["streams"] == 2
    assert row["detect_fps_per_stream_min"] == 4.9, "motion-gated frames count as decided on time"
    assert row["pipeline_inferences_per_s"] == 7.0
    assert row["overhead_share"] == pytest.approx((20.0 - 6.0 - 10.5) / 20.0, abs=1e-3)


@pytest.mark.unit
def test_rss_slope_tells_growth_from_settling() -> None:
    flat = rss_summary([(0.0, 200.0), (60.0, 200.0), (120.0, 200.0), (180.0, 200.0)])
    assert flat["slope_mb_per_min"] == 0.0 and (flat["start"], flat["end"]) == (200.0, 200.0)
    leak = rss_summary([(t, 100.0 + t / 6.0) for t in (0.0, 60.0, 120.0, 180.0, 240.0)])  # +10 MB a minute
    assert leak["slope_mb_per_min"] == pytest.approx(10.0)
    assert leak["slope_second_half_mb_per_min"] == pytest.approx(10.0)
    settling = rss_summary([(0.0, 100.0), (60.0, 150.0), (120.0, 150.0), (180.0, 150.0), (240.0, 150.0)])
    assert settling["slope_mb_per_min"] > 5 and settling["slope_second_half_mb_per_min"] == pytest.approx(0.0)


@pytest.mark.unit
def test_search_grows_until_a_failure_then_bisects() -> None:
    capacity = 7  # the N a (perfectly repeatable) machine carries
    results: dict[int, bool] = {}
    n: int | None = 4
    while n is not None:
        results[n] = n <= capacity
        n = next_streams(results)
    assert largest_held(results) == capacity
    assert len(results) <= 5
    assert next_streams({1: False}) is None and largest_held({1: False}) == 0
    assert estimate_streams(2, 25.0, 5.0, 0.003, 0.03) == 8


def test_sources_are_720p25_h264_and_cached(samples_dir: Path, tmp_path: Path) -> None:
    params = EncodeParams(max_seconds=2.0)
    out = prepare_source(samples_dir / "vtest.avi", params, tmp_path)
    info = probe(out)
    assert (info["codec"], info["width"], info["height"]) == ("h264", 1280, 720)
    assert info["fps"] == pytest.approx(25.0) and info["frames"] == 50
    mtime = out.stat().st_mtime_ns
    assert prepare_source(samples_dir / "vtest.avi", params, tmp_path) == out and out.stat().st_mtime_ns == mtime
    assert prepare_source(samples_dir / "vtest.avi", EncodeParams(max_seconds=1.0), tmp_path) != out


@pytest.mark.unit
def test_no_bench_clip_is_a_user_error_naming_the_folder_and_setting(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=rf"is in {tmp_path}; set GATEWATCH_SAMPLES_DIR"):
        prepare_sources(tmp_path, cache_dir=tmp_path / "cache")


@pytest.mark.unit
def test_missing_peer_venv_is_said_not_faked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_processes, "PEER_PYTHON", tmp_path / "no-venv" / "bin" / "python")
    problem = bench_processes.peer_problem()
    assert problem is not None and "peer venv missing" in problem


@pytest.mark.slow
def test_bench_cli_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    argv = [sys.executable, "-m", "gatewatch.cli", "bench", "--streams", "1", "--duration", "5", "--warmup", "2",
            "--no-peer", "--clips", "vtest.avi", "--source-seconds", "10", "--json", str(out)]  # fmt: skip
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[bench" in done.stderr, "progress goes to stderr"
    result = json.loads(out.read_text())
    assert set(REQUIRED_KEYS) <= result.keys()
    assert result["streams"] == 1 and result["peer"] is None and "--no-peer" in result["peer_note"]
    assert result["decode_ceiling_fps"] > 0 and result["inference_ceiling_per_s"] > 0
    assert 0 < result["detect_fps_per_stream_min"] <= 5.5
    assert 0 < result["latency_p95_s"] < 30 and result["pipeline_inferences_per_s"] > 0
    assert result["overhead_share"] is not None and result["overhead_share"] < 1
    assert 50 < result["peak_rss_mb"] < 4000
    assert {"start", "end", "slope_mb_per_min"} <= result["rss_mb"].keys()
    assert len(result["machine"]["load_average"]) == 3 and result["machine"]["cores"] >= 1


@pytest.mark.slow
def test_bench_substream_profile_runs_over_rtsp(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    argv = [sys.executable, "-m", "gatewatch.cli", "bench", "--profile", "substream", "--streams", "2",
            "--duration", "5", "--warmup", "2", "--no-peer", "--clips", "vtest.avi", "--source-seconds", "10",
            "--json", str(out)]  # fmt: skip
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["profile"] == "substream" and result["encode"]["width"] == 640 and result["encode"]["fps"] == 10
    trial = result["trials"][0]["trial"]
    assert trial["spec"]["sources"][0].startswith("rtsp://") and "/sub0" in trial["spec"]["sources"][0]
    assert "/main0" in trial["spec"]["view_sources"][0]
    # 10 fps sub-streams, never the 25 fps main stream: about 2 x 10 x 5 frames decoded in the window.
    assert 50 <= trial["decoded_frames"] <= 130
    assert 0 < result["latency_p95_s"] < 30 and result["rtsp_server_cpu_cores"] >= 0
    held_streams = result["streams"] if result["held"] else 0  # a loaded machine may not hold 2
    assert result["limit_streams"] > 0
    assert result["limit_ratio"] == pytest.approx(held_streams / result["limit_streams"], abs=0.01)
    assert "1" in result["ceilings"]["inference"]["yolox_nano"]["by_threads"]
