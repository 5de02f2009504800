"""Pure arithmetic of ``gatewatch bench``: what "held" means, the overhead share, the N search, the JSON rows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

MIN_RATE_SHARE = 0.95  # every stream gets at least 95 % of its target detection rate ...
MAX_LATENCY_P95_S = 1.0  # ... and 95 % of frames are analysed within 1 s of their capture time

# The keys every bench JSON has at the top level (more may follow).
REQUIRED_KEYS = (
    "streams", "held", "detect_fps_per_stream_min", "latency_p95_s", "decode_ceiling_fps",
    "inference_ceiling_per_s", "pipeline_inferences_per_s", "overhead_share", "peak_rss_mb", "peer",
    "limit_streams", "limit_ratio", "profile",
)  # fmt: skip
PEER_KEYS = ("streams", "held", "detect_fps_per_stream_min")


def held(detect_fps: list[float], target_fps: float, latency_p95_s: float | None) -> bool:
    """True when every stream kept >= 95 % of ``target_fps`` and the latency p95 is within 1 s."""
    if not detect_fps or latency_p95_s is None:
        return False
    return min(detect_fps) >= MIN_RATE_SHARE * target_fps and latency_p95_s <= MAX_LATENCY_P95_S


def overhead_share(
    process_cpu_s: float,
    decoded_frames: int,
    decode_cpu_s_per_frame: float,
    inferences: int,
    infer_cpu_s_per_inference: float,
) -> float | None:
    """Share of the process CPU that is neither bare decoding nor bare inference (both from the ceilings).

    Everything else is the pipeline's own cost: colour conversion, letterbox, NMS, tracking, rules,
    locks, pacing, Python. Negative when the pipeline did the work more cheaply than the ceiling
    measured it (noise, or the shared machine slowed the ceiling run); None without CPU to share.
    """
    if process_cpu_s <= 0:
        return None
    work = decoded_frames * decode_cpu_s_per_frame + inferences * infer_cpu_s_per_inference
    return (process_cpu_s - work) / process_cpu_s


def estimate_streams(cores: int, fps: float, detection_fps: float, decode_cpu: float, infer_cpu: float) -> int:
    """Streams the cores could carry if decode and inference were the only work (an upper bound)."""
    per_stream = fps * decode_cpu + detection_fps * infer_cpu
    return max(1, math.floor(cores / per_stream)) if per_stream > 0 else 1


def limit_streams(
    cores: int, fps: float, decode_cpu: float, detection_fps: float, cheapest_infer_cpu: float
) -> float | None:
    """The streams the cores could carry if bare decode and the cheapest bare inference were all the work.

    ``cores / (fps * decode CPU per frame + detections/s * cheapest CPU per inference)``: a physical
    limit to hold the pipeline against (``limit_ratio`` = streams held / this), unlike
    ``estimate_streams``, which rounds down and starts the search.
    """
    per_stream = fps * decode_cpu + detection_fps * cheapest_infer_cpu
    return round(cores / per_stream, 2) if per_stream > 0 else None


def choose_split(
    cores: int, by_threads: Mapping[str, Mapping[str, Any]], threads: int | None, workers: int | None
) -> dict[str, Any]:
    """Detector sessions x intra-op threads for the trials: as given, else from this run's inference ceilings.

    The thread count with the least CPU per inference wins (on a small model that is 1: splitting its
    layers over threads costs more than it saves), and enough such sessions run side by side to cover
    every core, so the model never waits on one thread.
    """
    if threads is not None or workers is not None:
        return {"threads": threads or 1, "workers": workers or 1, "chosen": "options"}
    cpu = {int(t): float(row["infer_cpu_s_per_inference"]) for t, row in by_threads.items()}
    best = min(cpu, key=lambda t: cpu[t])
    sessions = max(1, cores // best)
    return {
        "threads": best,
        "workers": sessions,
        "chosen": "ceilings",
        "why": f"{best} thread(s) per session cost {cpu[best] * 1000:.1f} ms CPU per inference, the least of "
        f"{sorted(cpu)} thread(s) measured; {sessions} session(s) cover {cores} core(s)",
    }


def limit_ratio(streams_held: int, limit: float | None) -> float | None:
    return round(streams_held / limit, 3) if limit else None


def next_streams(results: Mapping[int, bool], max_streams: int = 64) -> int | None:
    """The next N to try, or None when the search is done.

    Grows by a quarter (at least 1) above the largest N that held until one fails, then bisects
    between the largest that held and the smallest that failed.
    """
    passed = [n for n, ok in results.items() if ok]
    failed = [n for n, ok in results.items() if not ok]
    lo = max(passed, default=0)
    hi = min((n for n in failed if n > lo), default=None)
    if hi is None:
        nxt = lo + max(1, math.ceil(lo * 0.25))
        return nxt if nxt <= max_streams and nxt not in results else None
    if hi - lo <= 1:
        return None
    return (lo + hi) // 2


def largest_held(results: Mapping[int, bool]) -> int:
    return max((n for n, ok in results.items() if ok), default=0)


def trial_row(trial: dict[str, Any], ceilings: dict[str, Any], target_fps: float) -> dict[str, Any]:
    """The headline numbers of one trial, in the bench JSON's names."""
    per_stream = trial["per_stream"]
    # With motion gating a due frame may be decided without a detection; the peer has detections only.
    rates = [s.get("decided_fps", s["detect_fps"]) for s in per_stream.values()]
    row = {
        "streams": len(per_stream),
        "held": held(rates, target_fps, trial["latency_p95_s"]),
        "detect_fps_per_stream_min": min(rates) if rates else 0.0,
        "detect_fps_per_stream_mean": round(sum(rates) / len(rates), 3) if rates else 0.0,
        "latency_p95_s": trial["latency_p95_s"],
        "pipeline_inferences_per_s": round(trial["inferences"] / trial["window_s"], 2),
        "decoded_fps": round(trial["decoded_frames"] / trial["window_s"], 1),
        "process_cpu_cores": round(trial["process_cpu_s"] / trial["window_s"], 3),
        # Work per CPU: steadier than rates on a shared machine, where each side gets what CPU it can grab.
        "detections_per_cpu_s": round(trial["inferences"] / cpu, 3) if (cpu := trial["process_cpu_s"]) else None,
        "peak_rss_mb": trial["peak_rss_mb"],
    }
    if "rtsp_server_cpu_cores" in trial:  # substream profile: the cameras' side, not gatewatch's
        row["rtsp_server_cpu_cores"] = trial["rtsp_server_cpu_cores"]
    if ceilings:
        share = overhead_share(
            trial["process_cpu_s"],
            trial["decoded_frames"],
            ceilings["decode_cpu_s_per_frame"],
            trial["inferences"],
            ceilings["infer_cpu_s_per_inference"],
        )
        row["overhead_share"] = None if share is None else round(share, 3)
    return row


def compare(ours: dict[str, Any] | None, peer: dict[str, Any] | None) -> dict[str, Any] | None:
    """Side by side with ratios (ours / peer); a ratio is None where the peer's number is 0 or missing."""
    if ours is None or peer is None:
        return None

    def ratio(key: str) -> float | None:
        a, b = ours.get(key), peer.get(key)
        return round(a / b, 2) if a is not None and b else None

    keys = ("streams", "detect_fps_per_stream_min", "detect_fps_per_stream_mean", "pipeline_inferences_per_s",
            "detections_per_cpu_s")  # fmt: skip
    return {
        "gatewatch": {k: ours.get(k) for k in (*keys, "held", "latency_p95_s", "peak_rss_mb")},
        "peer": {k: peer.get(k) for k in (*keys, "held", "latency_p95_s", "peak_rss_mb")},
        "ratio": {k: ratio(k) for k in keys},
    }


def at_equal_streams(ours: Mapping[int, dict[str, Any]], peer: Mapping[int, dict[str, Any]]) -> dict[str, Any] | None:
    """Both systems at the largest N both ran: detections/s per stream side by side (per-stream work
    compared at the same load, which the held-N counts alone do not show when one side holds no N)."""
    common = set(ours) & set(peer)
    if not common:
        return None
    n = max(common)
    a, b = ours[n]["detect_fps_per_stream_mean"], peer[n]["detect_fps_per_stream_mean"]
    return {
        "streams": n,
        "gatewatch_detect_fps_per_stream_mean": a,
        "peer_detect_fps_per_stream_mean": b,
        "ratio": round(a / b, 2) if b else None,
        "gatewatch_latency_p95_s": ours[n]["latency_p95_s"],
        "peer_latency_p95_s": peer[n]["latency_p95_s"],
        "gatewatch_process_cpu_cores": ours[n].get("process_cpu_cores"),
        "peer_process_cpu_cores": peer[n].get("process_cpu_cores"),
        "gatewatch_detections_per_cpu_s": ours[n].get("detections_per_cpu_s"),
        "peer_detections_per_cpu_s": peer[n].get("detections_per_cpu_s"),
    }


def describe(row: dict[str, Any]) -> str:
    verdict = "held" if row["held"] else "NOT held"
    return (
        f"{verdict}: min {row['detect_fps_per_stream_min']:.2f} det/s/stream, p95 {row['latency_p95_s']} s, "
        f"{row.get('process_cpu_cores')} cores, overhead {row.get('overhead_share')}"
    )


def reported(row: dict[str, Any], find_max: bool) -> dict[str, Any]:
    """A row for the JSON's top level; a search that held nowhere reports 0 streams (the N it ran stays)."""
    out = {k: v for k, v in row.items() if k != "trial"}
    out["streams_run"] = row["streams"]
    if find_max and not row["held"]:
        out["streams"] = 0
    return out


def without_samples(row: dict[str, Any]) -> dict[str, Any]:
    """A trial row for the JSON: the raw trial without its long RSS sample list (kept for the main trial)."""
    trial = dict(row["trial"])
    if "rss_mb" in trial:
        trial["rss_mb"] = {k: v for k, v in trial["rss_mb"].items() if k != "samples"}
    return {**row, "trial": trial}
