"""``gatewatch cluster run``: the cameras of a config on a Ray cluster, events into one PostgreSQL store.

Ray is imported inside the command only: ``gatewatch --help`` and the single-machine commands work
without the ``ray`` extra installed.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from gatewatch.config.settings import get_settings
from gatewatch.vision.errors import UserError

if TYPE_CHECKING:
    from gatewatch.cluster.fleet import CameraFleet

STATUS_EVERY_S = 10.0
START_TIMEOUT_S = 120.0


def _cmd_cluster_run(args: argparse.Namespace) -> int:
    try:
        import ray
    except ImportError as exc:
        raise UserError("gatewatch cluster needs Ray: pip install 'gatewatch[ray]'") from exc

    from gatewatch.cluster.fleet import CameraFleet, DetectorPlacement, require_shared_database
    from gatewatch.config.check import check_config_file

    settings = get_settings()
    config = check_config_file(args.config, settings).config  # the same check as serve and config validate
    require_shared_database(settings.db_url)  # before connecting to the cluster
    ray.init(address=args.address, log_to_driver=False)
    stop = _stop_on_signals()
    fleet = CameraFleet(
        config, settings, settings.db_url, DetectorPlacement(args.detector_cpus, use_detector_slot=args.detector_slot)
    )
    try:
        placements = fleet.wait_running(START_TIMEOUT_S)
        print(json.dumps({"running": {cam: p.node_id for cam, p in placements.items()}}), flush=True)
        fleet.warm_spare_workers()
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while not stop.wait(STATUS_EVERY_S if deadline is None else min(STATUS_EVERY_S, deadline - time.monotonic())):
            _print_status(fleet)
            fleet.warm_spare_workers()  # spares used by restarted cameras are replaced
            if deadline is not None and time.monotonic() >= deadline:
                break
    finally:
        joined = fleet.stop()
        ray.shutdown()
    if not joined:
        print("gatewatch: warning: a camera thread did not end within its timeouts", file=sys.stderr)
    return 0


def _print_status(fleet: CameraFleet) -> None:
    for cam, placement in fleet.placements().items():
        status = placement.status
        line = {"camera": cam, "node": placement.node_id, "state": status.state, "frames_in": status.frames_in}
        print(json.dumps({**line, "since": placement.started_at.isoformat(), "detector": asdict(placement.detector)}))
    print(json.dumps({"detector_service": asdict(fleet.detector_stats())}), flush=True)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    return stop


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``cluster run`` to the ``gatewatch`` command line."""
    cluster = sub.add_parser("cluster", help="run a config's cameras on a Ray cluster (needs the ray extra)")
    cluster_sub = cluster.add_subparsers(dest="action", required=True)
    run = cluster_sub.add_parser("run", help="place every camera as a Ray actor; events go to GATEWATCH_DATABASE_URL")
    run.add_argument("--config", required=True, type=Path, help="YAML config (cameras, zones, rules)")
    run.add_argument("--address", default="auto", help="Ray cluster: 'auto' (a local head) or ray://<head>:10001")
    run.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: run on)")
    run.add_argument("--detector-cpus", type=float, default=1.0, help="CPUs reserved for the detector service")
    run.add_argument(
        "--detector-slot", action="store_true", help="run the detector on a node offering the 'detector_slot' resource"
    )
    run.set_defaults(func=_cmd_cluster_run)
