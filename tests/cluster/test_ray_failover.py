"""Cameras as Ray actors on a real local Ray cluster (head + 3 worker nodes) writing to a real PostgreSQL.

One worker node is killed (SIGKILL of its raylet and workers): its cameras must run again on the other
nodes, the other cameras must not be restarted, and the store must hold every event once: no record
twice, never two open events for one camera zone rule, every window open on the lost node ended with
reason ``node_lost``, every other event ended by the clip's loop or the final stop.

How fast they run again is a target (10 s), measured by bench/cluster_bench.py and reported in
bench/README.md, not asserted here: on the shared 2-core machine it took 8-10 s at load average <= 15
and up to 15.5 s at 23 (the test runs at nice 19 beside a training run). The test gives up after
RESTART_LIMIT_S, which only a camera that never comes back reaches; it prints the time it measured.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gatewatch.cluster.camera_actor import NODE_LOST, CameraPlacement
from gatewatch.cluster.fleet import CameraFleet, ClusterError, DetectorPlacement
from gatewatch.config.settings import Settings
from gatewatch.store import EventStore
from gatewatch.store.tables import EventRecordRow, EventRow
from tests.cluster_setup import LocalCluster, crowding_config

pytestmark = pytest.mark.cluster

CAMERAS = [f"cam{i:02d}" for i in range(12)]  # 4 per worker node; see bench/README.md for why not 24
RESTART_LIMIT_S = 60.0
ON_HEAD = DetectorPlacement(num_cpus=1.0, use_detector_slot=True)  # never on the worker node the test kills


def _wait_failover(
    fleet: CameraFleet, lost: set[str], killed_at: dt.datetime, limit_s: float
) -> dict[str, CameraPlacement]:
    """Placements once every lost camera runs again (a new incarnation, frames flowing)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        found = fleet.placements(timeout_s=max(1.0, deadline - time.monotonic()))
        back = [p for cam, p in found.items() if cam in lost and p.started_at > killed_at and p.status.frames_in > 0]
        if len(back) == len(lost):
            return found
        time.sleep(0.2)
    raise AssertionError(f"cameras {sorted(lost)} not running again {limit_s:.0f} s after their node died")


def test_a_killed_node_s_cameras_run_again_elsewhere_and_no_event_is_stored_twice(
    ray_cluster: LocalCluster, clip: Path, postgres_url: str, settings: Settings
) -> None:
    fleet = CameraFleet(crowding_config(clip, CAMERAS, detection_fps=1.0), settings, postgres_url, ON_HEAD)
    try:
        before = fleet.wait_running(timeout_s=120.0)
        by_node: dict[str, set[str]] = defaultdict(set)
        for cam, placement in before.items():
            by_node[placement.node_id].add(cam)
        assert set(by_node) == {node.node_id for node in ray_cluster.workers}  # spread over all 3 workers
        assert fleet.warm_spare_workers() == 2 * len(ray_cluster.workers)
        time.sleep(12.0)  # past one loop of the 8 s clip: every camera has raised and ended an event

        dead_node, lost = max(by_node.items(), key=lambda item: len(item[1]))
        ray_cluster.cluster.remove_node(ray_cluster.node_of(dead_node), allow_graceful=False)
        killed, killed_at = time.monotonic(), dt.datetime.now(dt.UTC)
        after = _wait_failover(fleet, lost, killed_at, RESTART_LIMIT_S)
        failover_s = time.monotonic() - killed
        started = sorted(round((after[cam].started_at - killed_at).total_seconds(), 1) for cam in lost)
        print(f"failover: {len(lost)} camera(s) running again after {failover_s:.1f} s (actors started at {started})")
        assert all(after[cam].node_id != dead_node for cam in lost)
        for cam in set(CAMERAS) - lost:  # the others kept their process: not restarted, not re-placed
            assert (after[cam].pid, after[cam].node_id, after[cam].started_at) == (
                before[cam].pid,
                before[cam].node_id,
                before[cam].started_at,
            )
        time.sleep(6.0)  # the restarted cameras raise their events again
        ended_on_restart = {event for cam in lost for event in after[cam].ended_on_start}
    finally:
        fleet.stop()
    _assert_events_once(postgres_url, lost, ended_on_restart)


def _assert_events_once(url: str, lost: set[str], ended_on_restart: set[str]) -> None:
    store = EventStore(url)
    try:
        with store.sessions() as session:
            events = list(session.scalars(select(EventRow)))
            counts = session.execute(
                select(EventRecordRow.event_id, EventRecordRow.name, func.count())
                .where(EventRecordRow.kind == "lifecycle", EventRecordRow.name.in_(["new", "end"]))
                .group_by(EventRecordRow.event_id, EventRecordRow.name)
            ).all()
    finally:
        store.close()
    assert {event.camera for event in events} == set(CAMERAS)  # every camera raised its known event
    records = {(event_id, name): n for event_id, name, n in counts}
    for event in events:  # one alarm (new record) and one end per event, no more
        assert (records.get((event.id, "new")), records.get((event.id, "end"))) == (1, 1), event.id
    reasons: dict[str, str] = {}
    for event in events:
        assert event.lifecycle == "end", f"{event.id} of {event.camera} still open after the stop"
        reasons[event.id] = event.latest["detail"]["end_reason"]
    # The windows the dead node left open were ended by the restarted actors, with the reason that says so.
    node_lost = {event_id for event_id, reason in reasons.items() if reason == NODE_LOST}
    assert node_lost == ended_on_restart
    assert {event.camera for event in events if event.id in node_lost} <= lost
    assert set(reasons.values()) <= {"source_restart", "shutdown", NODE_LOST}
    _assert_no_overlap(events)


def _assert_no_overlap(events: list[EventRow]) -> None:
    """Never two alarms for one camera zone rule at once: each starts after the previous one ended."""
    spans: dict[tuple[str, str, str], list[tuple[dt.datetime, dt.datetime | None]]] = defaultdict(list)
    for event in events:
        spans[(event.camera, event.zone, event.type)].append((event.started_at, event.ended_at))
    for key, windows in spans.items():
        windows.sort()
        for (_, ended), (started, _) in itertools.pairwise(windows):
            assert ended is not None and started >= ended, (
                f"{key}: an event started at {started} while another was open until {ended}"
            )


def test_a_sqlite_store_is_refused_for_a_cluster(clip: Path, settings: Settings, tmp_path: Path) -> None:
    config = crowding_config(clip, ["cam"], detection_fps=1.0)
    with pytest.raises(ClusterError, match="GATEWATCH_DATABASE_URL=postgresql"):
        CameraFleet(config, settings, f"sqlite:///{tmp_path / 'gatewatch.db'}")
