"""``gatewatch run``: every camera live; events as JSON lines on stdout, camera states on stderr.

stdout carries only events, so it can be piped straight into an alarm service or ``jq``.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import asdict
from types import FrameType

from gatewatch.assets.models import load_detector, load_manifest
from gatewatch.config.schema import GatewatchConfig
from gatewatch.config.settings import Settings
from gatewatch.streams.camera_types import StateChange
from gatewatch.streams.runtime import Runtime
from gatewatch.vision.types import EventRecord


def run_live(config: GatewatchConfig, settings: Settings, stop_after_s: float | None = None) -> None:
    """Run until SIGINT/SIGTERM or ``stop_after_s``; open events are ended (reason ``shutdown``) on the way out."""
    manifest = load_manifest(settings.manifest)
    detector = load_detector(config.detector, settings.models_dir, settings.weights_dir, manifest)
    write = threading.Lock()  # lines from camera and scheduler threads must not interleave

    def on_event(record: EventRecord) -> None:
        line = json.dumps(record.to_json())
        with write:
            print(line, flush=True)

    def on_state(change: StateChange) -> None:
        line = json.dumps(
            {
                "camera": change.camera,
                "state": change.state,
                "previous": change.previous,
                "message": change.message,
                "at": change.at.isoformat(),
            }
        )
        with write:
            print(line, file=sys.stderr, flush=True)

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    # Handlers can only be installed from the main thread; elsewhere (an embedding app) stop_after_s ends it.
    in_main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)} if in_main else {}
    runtime = Runtime(config, detector, on_event, on_state)
    try:
        runtime.start()
        stop.wait(stop_after_s)
    finally:
        joined = runtime.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    with write:
        for status in runtime.status().values():
            print(json.dumps({"status": asdict(status)}), file=sys.stderr, flush=True)
        if not joined:
            print(json.dumps({"warning": "a camera thread did not end within its timeouts"}), file=sys.stderr)
