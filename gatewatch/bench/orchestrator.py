"""``gatewatch bench``: how many 720p25 cameras hold 5 detections/s each, against the hardware and a peer.

Steps: prepare the sources, measure the ceilings, run trials (a fixed N, or a search for the largest N
that holds), then the same for the peer (Ultralytics, same model, same sources) and for gatewatch with
that same model. See bench/README.md for the fields and how to read them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gatewatch.bench.processes import machine, peer_problem
from gatewatch.bench.report import at_equal_streams, compare, reported, without_samples
from gatewatch.bench.session import PEER_MODEL, BenchOptions, BenchSession, Progress
from gatewatch.config.settings import Settings


def run_bench(options: BenchOptions, settings: Settings) -> dict[str, Any]:
    say = Progress(options.progress)
    started = dt.datetime.now(dt.UTC)
    host = machine()
    say(f"{host['cpu_model']}, {host['cores']} cores, load average {host['load_average']}")
    problem = peer_problem() if options.peer else "disabled (--no-peer)"
    if options.peer and problem is not None:
        say(f"NO PEER COMPARISON: {problem}; the JSON reports peer as null")
    if options.profile == "substream" and problem is None:
        problem = "not run for the substream profile (the peer script reads local files, not RTSP)"
    bench = BenchSession(options, settings, say, problem)
    try:
        return _run(bench, options, say, problem, host, started)
    finally:
        bench.close()


def _run(
    bench: BenchSession,
    options: BenchOptions,
    say: Progress,
    problem: str | None,
    host: dict[str, Any],
    started: dt.datetime,
) -> dict[str, Any]:
    main, main_rows = bench.search(bench.gatewatch(options.model), bench.first_n(options.model))
    reported_main = reported(main, options.find_max)
    result: dict[str, Any] = {
        **reported_main,
        **bench.limits(reported_main["streams"] if main["held"] else 0),
        "profile": options.profile,
        "detector_split": bench.split,
        "decode_ceiling_fps": bench.ceilings["decode_ceiling_fps"],
        "inference_ceiling_per_s": bench.ceilings["inference"][options.model]["inference_ceiling_per_s"],
        "rss_mb": main["trial"]["rss_mb"],
        "cpu_by_thread_group_s": main["trial"]["cpu_by_thread_group_s"],
        "peer": None,
        "peer_note": problem,
    }
    if problem is None:
        say(f"peer comparison with the same model ({PEER_MODEL})")
        result.update(_peer_comparison(bench, main, main_rows))
    result.update({
        "find_max": options.find_max,
        "target": {"detection_fps": options.detection_fps, "min_rate_share": 0.95, "latency_p95_max_s": 1.0},
        "options": {k: getattr(options, k) for k in BenchOptions.__slots__},
        "encode": asdict(bench.encode),
        "machine": host,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "started": started.isoformat(timespec="seconds"),
        "sources": [s.name for s in bench.sources],
        "ceilings": bench.ceilings,
        "trials": [without_samples(r) for r in main_rows.values()],
    })  # fmt: skip
    say(f"done: {result['streams']} streams {'held' if result['held'] else 'NOT held'}")
    return result


def _peer_comparison(bench: BenchSession, main: dict[str, Any], main_rows: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """``peer``, ``same_model`` and their comparison: Ultralytics and gatewatch on the peer's model."""
    options = bench.options
    if options.model == PEER_MODEL:
        same, same_rows = main, main_rows
    else:
        same, same_rows = bench.search(bench.gatewatch(PEER_MODEL), bench.first_n(PEER_MODEL))
    # The peer starts where gatewatch held with the same model: it is the N the comparison is about.
    first = options.streams if options.streams is not None else max(1, same["streams"] if same["held"] else 1)
    peer, peer_rows = bench.search(bench.peer, first)
    out: dict[str, Any] = {
        "peer": {**reported(peer, options.find_max), "system": "ultralytics", "model": PEER_MODEL},
        "same_model": reported(same, options.find_max),
        "peer_trials": [without_samples(r) for r in peer_rows.values()],
        "same_model_trials": [without_samples(r) for r in same_rows.values()],
    }
    out["comparison_same_model"] = compare(out["same_model"], out["peer"])
    if out["comparison_same_model"] is not None:
        out["comparison_same_model"]["at_equal_streams"] = at_equal_streams(same_rows, peer_rows)
    return out


def write_result(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".tmp")
    partial.write_text(json.dumps(result, indent=2) + "\n")
    partial.replace(path)
