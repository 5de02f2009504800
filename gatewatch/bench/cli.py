"""The ``gatewatch bench`` subcommand (arguments, and the JSON it writes)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gatewatch.bench.sources import BENCH_CLIPS, PROFILES, EncodeParams
from gatewatch.config.settings import get_settings
from gatewatch.vision.errors import InvalidValue


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def add_parser(sub: Any) -> None:  # argparse's _SubParsersAction is private
    bench = sub.add_parser(
        "bench",
        help="how many 720p25 cameras hold 5 detections/s each; ceilings, overhead, peer comparison",
        description="Runs N looping 1280x720 25 fps sample clips through the live runtime, each trial in a fresh "
        "process, and writes the results as JSON (see bench/README.md).",
    )
    bench.add_argument("--streams", type=_positive_int, help="streams to run (with --find-max: where to start; "
                       "default: estimated from the ceilings)")  # fmt: skip
    bench.add_argument("--profile", choices=PROFILES, default="720p25",
                       help="720p25: each camera one 1280x720 25 fps file, all decoded; substream: each camera a "
                       "1280x720 25 fps main + 640x360 10 fps sub over RTSP, the sub-stream analysed")  # fmt: skip
    bench.add_argument("--find-max", action="store_true", help="search the largest N that holds")
    bench.add_argument("--duration", type=_positive_float, default=30.0, help="measured seconds per trial (30)")
    bench.add_argument("--warmup", type=_non_negative_float, default=5.0, help="seconds run before measuring (5)")
    bench.add_argument("--model", default="yolox_nano", help="model name from the manifest (yolox_nano)")
    bench.add_argument("--detection-fps", type=_positive_float, default=5.0, help="target detections/s/stream (5)")
    bench.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                       help="also run Ultralytics (in .venv-peer) and gatewatch with the same model")  # fmt: skip
    bench.add_argument("--motion-gating", action="store_true", help="give every camera the default motion gate")
    bench.add_argument("--clips", nargs="+", default=list(BENCH_CLIPS), metavar="CLIP",
                       help="sample clips to use as sources (default: all four bench clips)")  # fmt: skip
    bench.add_argument("--source-seconds", type=_positive_float, default=EncodeParams().max_seconds,
                       help="seconds of each clip transcoded to 720p25 (60; the stream loops it)")  # fmt: skip
    bench.add_argument("--threads", type=_positive_int,
                       help="gatewatch's ONNX Runtime intra-op threads (default: with --workers, 1; else "
                       "chosen from the run's inference ceilings)")  # fmt: skip
    bench.add_argument("--workers", type=_positive_int,
                       help="gatewatch's parallel detector sessions (default: with --threads, 1; else chosen from "
                       "the run's inference ceilings: one session per core at the cheapest thread count)")  # fmt: skip
    bench.add_argument("--tracemalloc", action="store_true",
                       help="trace Python allocations; trials report the sites that grew (python_heap)")  # fmt: skip
    bench.add_argument("--rss-interval", type=_positive_float, default=5.0, help="seconds between RSS samples (5)")
    bench.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True, help="progress on stderr")
    bench.add_argument("--json", type=Path, required=True, metavar="OUT", help="write the results here")
    bench.set_defaults(func=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    from gatewatch.bench.orchestrator import run_bench, write_result
    from gatewatch.bench.processes import BenchError
    from gatewatch.bench.session import BenchOptions

    if args.streams is None and not args.find_max:
        raise InvalidValue("give --streams N, or --find-max to search for N")
    options = BenchOptions(
        streams=args.streams,
        find_max=args.find_max,
        duration_s=args.duration,
        warmup_s=args.warmup,
        model=args.model,
        detection_fps=args.detection_fps,
        peer=args.peer,
        motion_gating=args.motion_gating,
        progress=args.progress,
        rss_interval_s=args.rss_interval,
        clips=tuple(args.clips),
        source_seconds=args.source_seconds,
        threads=args.threads,
        workers=args.workers,
        profile=args.profile,
        tracemalloc=args.tracemalloc,
    )
    try:
        result = run_bench(options, get_settings())
    except BenchError as exc:
        print(f"gatewatch bench: {exc}", file=sys.stderr)
        return 1
    write_result(result, args.json)
    keys = ("streams", "held", "limit_streams", "limit_ratio", "detect_fps_per_stream_min", "latency_p95_s",
            "overhead_share", "peak_rss_mb")  # fmt: skip
    print(json.dumps({"json": str(args.json), **{k: result.get(k) for k in keys}}))
    return 0
