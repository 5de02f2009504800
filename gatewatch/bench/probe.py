"""What a benchmark trial reads about its own process: CPU, RSS, and CPU per thread group (Linux /proc)."""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path
from typing import Any

import numpy as np

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def process_cpu_s() -> float:
    """User + system CPU seconds of this process, all threads (ffmpeg and ORT pools included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    """Resident set size now."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE_MB


def peak_rss_mb() -> float:
    """Peak RSS of this process since it started (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def thread_cpu_s() -> dict[int, tuple[str, float]]:
    """(Python thread name or "native", CPU seconds) of every OS thread of this process, by thread id.

    Names are read now: once a thread has ended, its id no longer tells what it was.
    """
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
    main = threading.main_thread().native_id
    out: dict[int, tuple[str, float]] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended between listing and reading
            continue
        tid = int(task.name)
        name = "main" if tid == main else names.get(tid, "native")
        out[tid] = (name, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)  # utime, stime
    return out


def cpu_by_group(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds between two ``thread_cpu_s`` readings, grouped by what the Python threads are named.

    Threads Python did not start (FFmpeg frame/slice decoders, ONNX Runtime's intra-op pool) are
    ``native``: their CPU is decode or inference work that the calling thread handed off.
    """
    groups: dict[str, float] = {}
    for tid, (name, cpu) in after.items():
        group = "camera" if name.startswith("camera-") and name != "camera-watchdog" else name
        groups[group] = groups.get(group, 0.0) + cpu - before.get(tid, (name, 0.0))[1]
    return {name: round(cpu, 2) for name, cpu in sorted(groups.items())}


def rss_summary(rss: list[tuple[float, float]]) -> dict[str, Any]:
    """First and last sample and the least-squares slope: flat memory has a slope near 0 MB/min."""
    times, values = (np.asarray(x) for x in zip(*rss))
    # Allocator arenas and decoder buffer pools fill during the first minute; the second half's slope
    # tells a leak (steady growth) from that settling.
    late = times >= times[-1] / 2
    return {
        "start": round(float(values[0]), 1),
        "end": round(float(values[-1]), 1),
        "slope_mb_per_min": _slope(times, values),
        "slope_second_half_mb_per_min": _slope(times[late], values[late]),
        "samples": [[round(t, 1), round(v, 1)] for t, v in rss],
    }


def _slope(times: np.ndarray, values: np.ndarray) -> float | None:
    """Least-squares MB per minute; None with fewer than 3 samples."""
    return round(float(np.polyfit(times / 60.0, values, 1)[0]), 3) if len(times) >= 3 else None


def heap_growth(before: Any, after: Any, top: int = 12) -> dict[str, Any]:
    """Python allocations that grew between two ``tracemalloc`` snapshots, largest first, by source line.

    Only what Python allocates is traced: FFmpeg frame pools, ONNX Runtime arenas and glibc arenas are
    native and show in RSS, not here. A site that keeps growing over a long window is a leak suspect.
    """
    stats = after.compare_to(before, "lineno")
    return {
        "traced_mb": round(sum(stat.size for stat in stats) / 2**20, 2),
        "growth_mb": round(sum(stat.size_diff for stat in stats) / 2**20, 3),
        "top": [
            {
                "where": _short(str(stat.traceback[0])),
                "size_diff_kb": round(stat.size_diff / 1024, 1),
                "count_diff": stat.count_diff,
            }
            for stat in stats[:top]
            if stat.size_diff > 0
        ],
    }


def _short(where: str) -> str:
    """``file:line`` relative to the working directory or to its package folder: no machine's paths."""
    for marker in ("site-packages/", "/lib/python"):
        if marker in where:
            tail = where.split(marker, 1)[1]
            return tail if marker == "site-packages/" else "python" + tail
    return os.path.relpath(where) if where.startswith(os.sep) else where
