"""Subprocesses of ``gatewatch bench``: ceilings, gatewatch trials, peer trials; and the machine's description.

Every measurement runs in a fresh process, so its peak RSS and CPU are its own and one trial's
leftovers (threads, arenas, page cache in the heap) cannot slow the next.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import onnxruntime as ort

from gatewatch.vision.errors import GatewatchError

# The peer (Ultralytics) runs from a checkout: its venv and script are where bench/README.md puts them,
# relative to the current directory (the repository root).
PEER_PYTHON = Path(".venv-peer", "bin", "python")
PEER_SCRIPT = Path("bench", "peer_ultralytics.py")
START_ALLOWANCE_S = 120.0  # imports, model load, decoder start, and stopping, on a loaded machine


class BenchError(GatewatchError):
    """A bench subprocess failed; the message carries the end of its stderr."""


def _run_json(argv: list[str], timeout_s: float, what: str) -> dict[str, Any]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what}: no result within {timeout_s:.0f} s") from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise BenchError(f"{what}: exit {done.returncode}: {done.stderr.strip()[-1500:]}")
    return json.loads(lines[-1])


def run_ceilings(sources: list[Path], models: list[str], threads: int) -> dict[str, Any]:
    spec = {"sources": [str(s) for s in sources], "models": models, "threads": threads}
    return _run_json([sys.executable, "-m", "gatewatch.bench.ceilings", json.dumps(spec)], 600.0, "ceilings")


def run_gatewatch(spec: dict[str, Any]) -> dict[str, Any]:
    timeout = spec["warmup_s"] + spec["duration_s"] + START_ALLOWANCE_S
    argv = [sys.executable, "-m", "gatewatch.bench.trial", json.dumps(spec)]
    return _run_json(argv, timeout, f"gatewatch trial ({spec['streams']} streams, {spec['model']})")


def peer_problem() -> str | None:
    """Why the peer cannot run here, or None when its venv imports Ultralytics."""
    if not PEER_PYTHON.is_file():
        return f"peer venv missing: {PEER_PYTHON} does not exist (see bench/README.md to create it)"
    # find_spec locates the packages without importing them (importing ultralytics takes ~10 s).
    probe = "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))"
    check = subprocess.run(
        [str(PEER_PYTHON), "-c", probe, "ultralytics", "av", "onnxruntime", "torch"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if check.returncode != 0:
        return f"peer venv {PEER_PYTHON} lacks ultralytics, av, onnxruntime or torch: {check.stderr.strip()[-300:]}"
    return None


def run_peer(spec: dict[str, Any]) -> dict[str, Any]:
    timeout = spec["warmup_s"] + spec["duration_s"] + START_ALLOWANCE_S
    argv = [str(PEER_PYTHON), str(PEER_SCRIPT), json.dumps(spec)]
    return _run_json(argv, timeout, f"peer trial ({spec['streams']} streams)")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def machine() -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "cores": usable_cores(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "onnxruntime": ort.__version__,
        "pyav": av.__version__,
        "ffmpeg": av.library_versions.get("libavcodec"),
    }
