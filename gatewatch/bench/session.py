"""One bench run's shared state: its options, sources (and the substream profile's RTSP server), ceilings and
detector split, and the trial runners built on them; ``gatewatch.bench.orchestrator`` runs the steps.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from gatewatch.assets.models import load_manifest, resolve_model
from gatewatch.bench.processes import run_ceilings, run_gatewatch, run_peer, usable_cores
from gatewatch.bench.report import (
    choose_split,
    describe,
    estimate_streams,
    largest_held,
    limit_ratio,
    limit_streams,
    next_streams,
    trial_row,
)
from gatewatch.bench.rtsp import RtspServer
from gatewatch.bench.sources import BENCH_CLIPS, MAIN_STREAM, SUB_STREAM, EncodeParams, prepare_sources
from gatewatch.config.settings import Settings
from gatewatch.vision.analytics_config import DetectorConfig

PEER_MODEL = "yolov8n_int8"  # the model both systems can run: Ultralytics' own export
MAX_TRIALS = 8  # per system in a search; the growth + bisection needs ~5 from a sane estimate


@dataclass(frozen=True, slots=True)
class BenchOptions:
    streams: int | None  # fixed N, or the search's first N (None: estimated from the ceilings)
    find_max: bool
    duration_s: float
    warmup_s: float
    model: str
    detection_fps: float
    peer: bool
    motion_gating: bool
    progress: bool
    rss_interval_s: float = 5.0
    max_streams: int = 64
    clips: tuple[str, ...] = BENCH_CLIPS
    threads: int | None = None  # gatewatch's ONNX Runtime intra-op threads (None: chosen from the ceilings)
    workers: int | None = None  # gatewatch's parallel detector sessions (None: chosen from the ceilings)
    source_seconds: float = EncodeParams().max_seconds
    tracemalloc: bool = False  # trials trace Python allocations (python_heap in each trial)
    profile: str = "720p25"  # or "substream": detect on a 640x360 10 fps RTSP sub-stream, main stream named


Trial = Callable[[int], dict[str, Any]]


class Progress:
    def __init__(self, enabled: bool) -> None:
        self.enabled, self.start = enabled, time.monotonic()

    def __call__(self, message: str) -> None:
        if self.enabled:
            elapsed = int(time.monotonic() - self.start)
            print(f"[bench {elapsed // 60:02d}:{elapsed % 60:02d}] {message}", file=sys.stderr, flush=True)


def search_streams(
    trial: Callable[[int], dict[str, Any]], first: int, find_max: bool, max_streams: int
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """Run N=first (and, with find_max, the search); returns the reported row and every row by N."""
    rows: dict[int, dict[str, Any]] = {}
    n: int | None = first
    while n is not None and len(rows) < (MAX_TRIALS if find_max else 1):
        rows[n] = trial(n)
        n = next_streams({k: r["held"] for k, r in rows.items()}, max_streams) if find_max else None
    best = largest_held({k: r["held"] for k, r in rows.items()})
    return rows[best] if best else rows[min(rows)], rows


class BenchSession:
    """One run's shared state: options, sources, ceilings, and the trial runners built on them."""

    def __init__(self, options: BenchOptions, settings: Settings, say: Progress, peer_problem: str | None) -> None:
        self.options, self.settings, self.say = options, settings, say
        self.server: RtspServer | None = None
        cache = settings.cache_dir / "bench"
        if options.profile == "substream":
            # RTSP cannot loop a file: the clips are encoded long enough for a whole trial.
            seconds = max(options.source_seconds, options.warmup_s + options.duration_s + 15.0)
            self.encode = replace(SUB_STREAM, max_seconds=seconds, loop_input=True)
            main = replace(MAIN_STREAM, max_seconds=seconds, loop_input=True)
            say(f"preparing {seconds:g} s sources: 640x360 10 fps sub-streams and 1280x720 25 fps main streams")
            self.sources = prepare_sources(settings.samples_dir, self.encode, options.clips, cache)
            self.views = prepare_sources(settings.samples_dir, main, options.clips, cache)
            mounts = {f"sub{i}": p for i, p in enumerate(self.sources)}
            mounts |= {f"main{i}": p for i, p in enumerate(self.views)}
            self.server = RtspServer(mounts, cache / "rtsp-server.log")
            self.server.start()
            self.urls = [self.server.url(f"sub{i}") for i in range(len(self.sources))]
            self.view_urls: list[str] | None = [self.server.url(f"main{i}") for i in range(len(self.views))]
        else:
            self.encode = EncodeParams(max_seconds=options.source_seconds)
            say("preparing 1280x720 25 fps sources (cached after the first run)")
            self.sources = prepare_sources(settings.samples_dir, self.encode, options.clips, cache)
            # Relative to the working directory the trials share: results name no machine's folders.
            self.urls, self.view_urls = [os.path.relpath(s) for s in self.sources], None
        models = [options.model] + ([PEER_MODEL] if peer_problem is None and options.model != PEER_MODEL else [])
        say(f"ceilings: bare decode of {len(self.sources)} clips, bare inference of {', '.join(models)}")
        self.ceilings = run_ceilings(self.sources, models, options.threads or DetectorConfig().threads)
        by_threads = self.ceilings["inference"][options.model]["by_threads"]
        self.split = choose_split(usable_cores(), by_threads, options.threads, options.workers)
        say(f"detector split: {self.split['workers']} session(s) x {self.split['threads']} thread(s) "
            f"({self.split.get('why', 'as given')})")  # fmt: skip
        inference = self.ceilings["inference"][options.model]["inference_ceiling_per_s"]
        say(f"decode {self.ceilings['decode_ceiling_fps']} fps, {options.model} {inference} inferences/s")

    def first_n(self, model: str) -> int:
        """--streams, else the upper bound the ceilings allow (the search walks down from there if needed)."""
        if self.options.streams is not None:
            return self.options.streams
        return estimate_streams(usable_cores(), self.encode.fps, self.options.detection_fps,
                                self.ceilings["decode_cpu_s_per_frame"],
                                self.ceilings["inference"][model]["infer_cpu_s_per_inference"])  # fmt: skip

    def gatewatch(self, model: str) -> Trial:
        o, limits = self.options, {**self.ceilings, **self.ceilings["inference"][model]}

        def trial(n: int) -> dict[str, Any]:
            self.say(f"gatewatch {model}, {n} streams, {o.warmup_s:g}+{o.duration_s:g} s ...")
            server_cpu = self.server.cpu_s() if self.server else 0.0
            started = time.monotonic()
            raw = run_gatewatch({"sources": self.urls, "view_sources": self.view_urls, "streams": n, "model": model,
                                 "duration_s": o.duration_s, "warmup_s": o.warmup_s, "threads": self.split["threads"],
                                 "workers": self.split["workers"], "detection_fps": o.detection_fps,
                                 "motion_gating": o.motion_gating, "rss_interval_s": o.rss_interval_s,
                                 "tracemalloc": o.tracemalloc})  # fmt: skip
            if self.server is not None:  # the cameras' side: another process, on the same cores
                raw["rtsp_server_cpu_cores"] = round(
                    (self.server.cpu_s() - server_cpu) / (time.monotonic() - started), 3
                )
            return self._row(raw, limits, model)

        return trial

    def peer(self, n: int) -> dict[str, Any]:
        o, s = self.options, self.settings
        path = resolve_model(PEER_MODEL, s.models_dir, s.weights_dir, load_manifest(s.manifest)).path
        self.say(f"peer ultralytics {PEER_MODEL}, {n} streams, {o.warmup_s:g}+{o.duration_s:g} s ...")
        raw = run_peer({"sources": [str(p) for p in self.sources], "streams": n, "model_path": str(path),
                        "duration_s": o.duration_s, "warmup_s": o.warmup_s,
                        "detection_fps": o.detection_fps})  # fmt: skip
        return self._row(raw, {}, PEER_MODEL)

    def limits(self, streams_held: int) -> dict[str, Any]:
        """``limit_streams`` and ``limit_ratio`` from this run's own ceilings (see bench/README.md)."""
        o, inference = self.options, self.ceilings["inference"][self.options.model]
        limit = limit_streams(usable_cores(), self.encode.fps, self.ceilings["decode_cpu_s_per_frame"],
                              o.detection_fps, inference["cheapest_infer_cpu_s_per_inference"])  # fmt: skip
        return {"limit_streams": limit, "limit_ratio": limit_ratio(streams_held, limit)}

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()

    def search(self, trial: Trial, first: int) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
        return search_streams(trial, first, self.options.find_max, self.options.max_streams)

    def _row(self, raw: dict[str, Any], limits: dict[str, Any], model: str) -> dict[str, Any]:
        row = {**trial_row(raw, limits, self.options.detection_fps), "model": model, "trial": raw}
        self.say(f"  {describe(row)}")
        return row
