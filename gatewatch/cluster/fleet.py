"""Place a config's cameras on a Ray cluster: one detector service, one actor per enabled camera.

Ray decides where each camera runs: every camera actor needs one ``camera_slot`` (a node offers as many
as it can carry: ~8 on a 2-core node) and no CPU reservation, and they are spread over the nodes. Both
kinds of actor are restarted without limit (``max_restarts=-1``) and their calls retried
(``max_task_retries=-1``): a camera whose node dies runs again wherever a slot is free.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
from sqlalchemy.engine import make_url

from gatewatch.assets.samples import resolve_source
from gatewatch.cluster.camera_actor import CameraActor, CameraPlacement
from gatewatch.cluster.detector_service import BatchStats, DetectorService, ModelInput
from gatewatch.config.schema import GatewatchConfig
from gatewatch.config.settings import Settings
from gatewatch.store import EventStore
from gatewatch.vision.errors import UserError

log = logging.getLogger(__name__)

CAMERA_SLOT = "camera_slot"
DETECTOR_SLOT = "detector_slot"
CALL_TIMEOUT_S = 60.0
SPARE_WORKERS_PER_NODE = 2  # one status or stop call; a camera being restarted answers once it runs again


class ClusterError(UserError):
    """The cluster cannot run this config as asked (the message says why and what to change)."""


@dataclass(frozen=True, slots=True)
class DetectorPlacement:
    """Where the detector service runs: ``detector_slot`` pins it to nodes that offer one (a GPU node)."""

    num_cpus: float = 1.0
    use_detector_slot: bool = False


def require_shared_database(database_url: str) -> None:
    """Cameras on many machines need one database server: a SQLite file is one machine's."""
    if make_url(database_url).get_backend_name() != "postgresql":
        raise ClusterError(
            "gatewatch cluster needs a shared PostgreSQL store: set GATEWATCH_DATABASE_URL="
            "postgresql+psycopg://<user>@<host>/<database> (found "
            f"{make_url(database_url).render_as_string(hide_password=True)!r})"
        )


class CameraFleet:
    """The running cameras of one config on the Ray cluster this process is connected to (``ray.init``)."""

    def __init__(
        self,
        config: GatewatchConfig,
        settings: Settings,
        database_url: str,
        detector_placement: DetectorPlacement | None = None,
    ) -> None:
        require_shared_database(database_url)
        cameras = [c for c in config.cameras if c.enabled]
        if not cameras:
            raise ClusterError("no enabled camera in the config")
        EventStore(database_url).close()  # creates the tables once, before many actors connect at once
        self.detector = _start_detector(config, settings, detector_placement or DetectorPlacement())
        model: ModelInput = ray.get(self.detector.model_input.remote(), timeout=CALL_TIMEOUT_S)
        camera_actor = ray.remote(CameraActor)
        self.started_at = dt.datetime.now(dt.UTC)  # events raised after this were raised by this fleet
        self.cameras: dict[str, Any] = {}
        for camera in cameras:
            resolved = camera.model_copy(update={"source": resolve_source(camera.source, settings)})
            one = config.model_copy(update={"cameras": [resolved]})
            self.cameras[camera.id] = camera_actor.options(
                name=f"gatewatch-camera-{camera.id}",
                num_cpus=0,
                resources={CAMERA_SLOT: 1},
                scheduling_strategy="SPREAD",
                max_restarts=-1,
                max_task_retries=-1,
            ).remote(one, self.detector, model, database_url, self.started_at)

    def placements(self, timeout_s: float = CALL_TIMEOUT_S) -> dict[str, CameraPlacement]:
        """Every camera's node, start time and status (waits for cameras being placed or restarted)."""
        refs = {cam: actor.placement.remote() for cam, actor in self.cameras.items()}
        found: list[CameraPlacement] = ray.get(list(refs.values()), timeout=timeout_s)
        return dict(zip(refs, found))

    def detector_stats(self) -> BatchStats:
        stats: BatchStats = ray.get(self.detector.stats.remote(), timeout=CALL_TIMEOUT_S)
        return stats

    def wait_running(self, timeout_s: float) -> dict[str, CameraPlacement]:
        """Placements once every camera has delivered a frame; raises TimeoutError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.placements(max(1.0, deadline - time.monotonic()))
            if all(p.status.frames_in > 0 for p in found.values()):
                return found
            if time.monotonic() > deadline:
                waiting = sorted(cam for cam, p in found.items() if p.status.frames_in == 0)
                raise TimeoutError(f"camera(s) without a frame after {timeout_s:.0f} s: {', '.join(waiting)}")
            time.sleep(0.5)

    def warm_spare_workers(self, per_node: int = SPARE_WORKERS_PER_NODE) -> int:
        """Leave ``per_node`` idle Ray workers with gatewatch imported on every camera node; returns how many.

        A camera restarted after its node died needs a worker process on another node. Booting one
        (Python, Ray, then this package's imports) is most of the failover time on a busy node; Ray
        hands a new actor an idle worker of the same job when it has one, so a few warm ones are kept.
        Ray keeps at most ``num_workers_soft_limit`` workers per node (set it above slots + spares).
        """
        # ray.nodes() asks the GCS directly (the state API would go through the dashboard); Ray leaves it untyped.
        listed: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
        nodes = [n["NodeID"] for n in listed if n["Alive"] and n["Resources"].get(CAMERA_SLOT)]
        refs = [
            _import_pipeline.options(
                num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)
            ).remote(per_node)
            for node in nodes
            for _ in range(per_node)
        ]
        return len(ray.get(refs, timeout=CALL_TIMEOUT_S))

    def stop(self) -> bool:
        """Stop every camera (open events end with reason ``shutdown``), then the actors themselves."""
        refs = [actor.stop.remote() for actor in self.cameras.values()]
        try:
            joined = all(ray.get(refs, timeout=CALL_TIMEOUT_S))
        finally:
            for actor in [*self.cameras.values(), self.detector]:
                ray.kill(actor, no_restart=True)
        return joined


@ray.remote
def _import_pipeline(companions: int) -> int:
    """Runs in a worker that then stays idle, warm: the camera actor's imports done already."""
    import gatewatch.cluster.camera_actor  # noqa: F401

    time.sleep(0.2 * companions)  # overlap with the node's other warm-up calls: each gets its own worker
    return os.getpid()


def _start_detector(config: GatewatchConfig, settings: Settings, placement: DetectorPlacement) -> Any:
    resources = {DETECTOR_SLOT: 1.0} if placement.use_detector_slot else {}
    detector_actor = ray.remote(DetectorService)
    return detector_actor.options(
        name="gatewatch-detector",
        num_cpus=placement.num_cpus,
        resources=resources,
        max_restarts=-1,
        max_task_retries=-1,
    ).remote(config.detector, settings)
