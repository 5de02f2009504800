"""`gatewatch` command line: analyze, demo, config validate, models, run, bench, eval, serve, keys, cluster."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatewatch.config.file import ConfigError
from gatewatch.config.settings import get_settings
from gatewatch.vision.errors import UserError

if TYPE_CHECKING:
    from gatewatch.config.schema import GatewatchConfig

EXIT_ERROR = 1
EXIT_BAD_INPUT = 2


def _start_time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-11-23T16:30:00+08:00)") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset; add one, e.g. {text}+08:00 or {text}Z")
    return value.astimezone(dt.UTC)


def _cmd_config_validate(args: argparse.Namespace) -> int:
    from gatewatch.config.check import check_config_file

    checked = check_config_file(args.file, get_settings())  # what serve checks, by the same function
    config = checked.config
    zones = sum(len(c.zones) for c in config.cameras)
    print(
        f"{args.file}: OK ({len(config.cameras)} camera(s), {zones} zone(s), "
        f"model {config.detector.model} with {len(checked.class_names)} classes)"
    )
    return 0


def _checked_config(path: Path) -> GatewatchConfig:
    from gatewatch.config.check import check_config_file

    return check_config_file(path, get_settings()).config


def _cmd_models(args: argparse.Namespace) -> int:
    from gatewatch.assets.models import load_manifest, verify_models

    settings = get_settings()
    if args.action == "list":
        manifest = load_manifest(settings.manifest)
        for name, entry in manifest.models.items():
            print(f"{name:18} {entry.format:12} {entry.licence:12} {entry.file}")
        return 0
    results = verify_models(settings.models_dir, settings.weights_dir, load_manifest(settings.manifest))
    for result in results:
        print(f"{'OK ' if result.ok else 'BAD'} {result.name:18} {result.message}")
    return 0 if all(r.ok for r in results) else EXIT_ERROR


def _cmd_analyze(args: argparse.Namespace) -> int:
    from gatewatch.clips.analyze import analyze_clip

    config = _checked_config(args.config)
    for clip in args.clips:
        out = args.out / clip.stem if len(args.clips) > 1 else args.out
        summary = analyze_clip(
            clip,
            config,
            out,
            camera_id=args.camera,
            start_time=args.start_time or dt.datetime.now(dt.UTC),
            settings=get_settings(),
            write_video=not args.no_video,
            progress=args.progress,
        )
        print(json.dumps({"clip": str(clip), "out": str(out), **_headline(summary)}))
        for note in summary.get("notes", []):
            print(f"gatewatch: note: {clip}: {note}", file=sys.stderr)
    return 0


def _headline(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("frames_decoded", "frames_detected", "clip_s", "wall_s", "events_by_type", "notes")
    return {k: summary[k] for k in keys if k in summary}


def _cmd_demo(args: argparse.Namespace) -> int:
    from gatewatch.clips.demo import run_demo

    return 0 if run_demo(args.out, get_settings(), write_video=not args.no_video) else EXIT_ERROR


def _cmd_run(args: argparse.Namespace) -> int:
    from gatewatch.run_live import run_live

    run_live(_checked_config(args.config), get_settings(), stop_after_s=args.duration)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gatewatch", description="Video analytics for school gates.")
    sub = parser.add_subparsers(dest="command", required=True)

    analyze = sub.add_parser("analyze", help="analyze recorded clips and write events, annotated video, summary")
    analyze.add_argument("clips", nargs="+", type=Path, metavar="CLIP")
    analyze.add_argument("--config", required=True, type=Path, help="YAML config (cameras, zones, rules)")
    analyze.add_argument("--out", required=True, type=Path, help="output folder (one sub-folder per clip if several)")
    analyze.add_argument("--camera", help="camera id in the config whose zones apply (default: inferred)")
    analyze.add_argument("--start-time", type=_start_time, help="wall-clock time of the clip's first frame (ISO 8601)")
    analyze.add_argument("--no-video", action="store_true", help="skip writing annotated.mp4")
    analyze.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar")
    analyze.set_defaults(func=_cmd_analyze)

    demo = sub.add_parser("demo", help="analyze every sample clip with its sample_videos/<clip>.yaml and check it")
    demo.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder (default out/demo)")
    demo.add_argument("--no-video", action="store_true", help="skip writing annotated videos")
    demo.set_defaults(func=_cmd_demo)

    config = sub.add_parser("config", help="configuration tools")
    config_sub = config.add_subparsers(dest="action", required=True)
    validate = config_sub.add_parser("validate", help="check a config file; print every error with path and line")
    validate.add_argument("file", type=Path)
    validate.set_defaults(func=_cmd_config_validate)

    models = sub.add_parser("models", help="model manifest tools")
    models.add_argument("action", choices=["list", "verify"])
    models.set_defaults(func=_cmd_models)

    run = sub.add_parser("run", help="run all cameras live and log events as JSON lines")
    run.add_argument("--config", required=True, type=Path)
    run.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    run.set_defaults(func=_cmd_run)

    from gatewatch.bench.cli import add_parser as add_bench_parser

    add_bench_parser(sub)  # bench

    from gatewatch.evaluate.cli import add_parser as add_eval_parser

    add_eval_parser(sub)  # eval counts, eval weapons

    from gatewatch.serve import add_parsers as add_serve_parsers

    add_serve_parsers(sub)  # serve, keys

    from gatewatch.cluster.cli import add_parser as add_cluster_parser

    add_cluster_parser(sub)  # cluster run (imports Ray only when run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UserError as exc:  # the user's to fix: the message says what; anything else is a bug (traceback)
        print(f"gatewatch: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT if isinstance(exc, ConfigError) else EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
