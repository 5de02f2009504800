"""The main job: analyze every sample clip with its contract config and say whether it behaved."""

from __future__ import annotations

from pathlib import Path

from gatewatch.assets.samples import resolve_sample
from gatewatch.clips.analyze import analyze_clip
from gatewatch.clips.contracts import contract_problems, contracts, read_events
from gatewatch.config.file import load_config
from gatewatch.config.settings import Settings


def run_demo(out_dir: Path, settings: Settings, *, write_video: bool = True) -> bool:
    """Analyze each sample clip into out_dir/<clip>/; print one line per clip. True when all contracts hold."""
    all_ok = True
    for config_path, contract in contracts():
        clip = resolve_sample(contract.clip, settings)
        out = out_dir / clip.stem
        summary = analyze_clip(
            clip,
            load_config(config_path),
            out,
            camera_id=contract.camera,
            start_time=contract.start_time,
            settings=settings,
            write_video=write_video,
        )
        problems = contract_problems(contract, read_events(out / "events.jsonl"))
        all_ok &= not problems
        counts = " ".join(f"{k}={v}" for k, v in summary["events_by_type"].items())
        speed = summary["clip_s"] / summary["wall_s"] if summary["wall_s"] else 0.0
        print(f"{'OK  ' if not problems else 'FAIL'} {contract.clip:36} {counts:36} {speed:5.1f}x realtime -> {out}")
        for problem in problems:
            print(f"       {problem}")
    return all_ok
