"""One detector for the cameras of a cluster: a Ray actor that gathers calls from many cameras into batches.

Cameras send the model-sized letterboxed input (uint8, 3 x h x w: 0.5 MB for 416 x 416), never a decoded
frame; boxes come back in model-input pixels and each camera maps them back with its own placement
(``gatewatch.cluster.remote_detector``).

Why a small asyncio batcher here and not Ray Serve's ``@serve.batch``: in Ray 2.60 ``serve.batch`` reads the
Serve replica context when its queue is built (ray/serve/batching.py), so it works only inside a Serve
deployment, and a deployment brings Serve's controller and proxy actors into every cluster (two more
processes on a 2-core node). An async Ray actor does the same gathering with one queue, is restarted like
any actor (``max_restarts=-1``) and is called through its handle, never over HTTP.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace

import numpy as np

from gatewatch.assets.models import load_detector, load_manifest
from gatewatch.config.settings import Settings
from gatewatch.vision.analytics_config import DetectorConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector.detector import OnnxDetector
from gatewatch.vision.detector.letterbox import LetterboxSpec
from gatewatch.vision.errors import GatewatchError

MAX_BATCH = 16  # frames per inference; 8 cameras at 5 det/s offer ~40 a second
MAX_WAIT_S = 0.01  # a lone request waits at most this long for company before it runs alone
# Requests waiting beyond this are refused (and counted): a detector that cannot keep up must not grow a
# queue without end; the camera coasts that frame through its tracker, as on any failed detection.
MAX_QUEUED = 256


@dataclass(frozen=True, slots=True)
class ModelInput:
    """What a camera needs to prepare inputs for the shared model and read its answers."""

    name: str
    class_names: tuple[str, ...]
    input_size: tuple[int, int]  # (width, height)
    letterbox: LetterboxSpec


@dataclass(frozen=True, slots=True)
class BatchStats:
    """What the service has served since it (re)started."""

    requests: int
    batches: int
    largest_batch: int
    infer_s: float  # seconds spent inside the model, all batches together
    refused: int = 0  # requests turned away because MAX_QUEUED were waiting

    @property
    def mean_batch(self) -> float:
        return self.requests / self.batches if self.batches else 0.0


Pending = tuple[np.ndarray, "asyncio.Future[Detections]"]


class DetectorBusy(GatewatchError):
    """The service has MAX_QUEUED requests waiting already."""


class DetectorService:
    """Wrapped by ``ray.remote`` in ``gatewatch.cluster.fleet``; one model session, one batch at a time."""

    def __init__(
        self, detector: DetectorConfig, settings: Settings, max_batch: int = MAX_BATCH, max_wait_s: float = MAX_WAIT_S
    ) -> None:
        # One session: ONNX Runtime uses its intra-op threads per batch; a ParallelDetector is for one process.
        built = load_detector(
            detector.model_copy(update={"workers": 1}),
            settings.models_dir,
            settings.weights_dir,
            load_manifest(settings.manifest),
        )
        if not isinstance(built, OnnxDetector):
            raise TypeError(f"expected an ONNX Runtime detector, got {type(built).__name__}")
        self._detector = built
        self._spec = built.letterbox_spec
        width, height = built.input_size
        self._shape = (3, height, width)
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._queue: asyncio.Queue[Pending] | None = None
        self._batcher: asyncio.Task[None] | None = None
        self._stats = BatchStats(0, 0, 0, 0.0)

    def model_input(self) -> ModelInput:
        d = self._detector
        return ModelInput(d.name, d.class_names, d.input_size, self._spec)

    def stats(self) -> BatchStats:
        return self._stats

    async def detect(self, image: np.ndarray) -> Detections:
        """Detections of one letterboxed input, (3, h, w) uint8, boxes in model-input pixels."""
        if image.shape != self._shape or image.dtype != np.uint8:
            raise ValueError(f"image: expected {self._shape} uint8 (letterboxed), got {image.shape} {image.dtype}")
        loop = asyncio.get_running_loop()
        if self._queue is None:  # created on the actor's event loop, at the first call
            self._queue = asyncio.Queue()
            self._batcher = loop.create_task(self._run_batches(self._queue))
        if self._queue.qsize() >= MAX_QUEUED:
            self._stats = replace(self._stats, refused=self._stats.refused + 1)
            raise DetectorBusy(f"{MAX_QUEUED} detection requests waiting; this frame is not detected")
        future: asyncio.Future[Detections] = loop.create_future()
        self._queue.put_nowait((image, future))
        return await future

    async def _run_batches(self, queue: asyncio.Queue[Pending]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            deadline = loop.time() + self._max_wait_s
            while len(batch) < self._max_batch:
                if not queue.empty():  # arrived while the previous batch ran: no wait needed
                    batch.append(queue.get_nowait())
                    continue
                try:
                    batch.append(await asyncio.wait_for(queue.get(), max(0.0, deadline - loop.time())))
                except TimeoutError:
                    break
            await self._serve(batch)

    async def _serve(self, batch: list[Pending]) -> None:
        started = time.monotonic()
        try:
            # In a thread: the event loop keeps queueing requests while the model runs.
            found = await asyncio.to_thread(self._infer, np.stack([image for image, _ in batch]))
        except Exception as exc:  # every caller of this batch gets the error; the next batch runs as usual
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), detections in zip(batch, found):
            if not future.done():  # a caller that gave up (cancelled) no longer waits
                future.set_result(detections)
        s = self._stats
        self._stats = replace(
            s,
            requests=s.requests + len(batch),
            batches=s.batches + 1,
            largest_batch=max(s.largest_batch, len(batch)),
            infer_s=s.infer_s + time.monotonic() - started,
        )

    def _infer(self, images: np.ndarray) -> list[Detections]:
        inputs = images.astype(np.float32)
        if self._spec.scale != 1.0:
            inputs *= np.float32(self._spec.scale)
        return self._detector.detect_inputs(inputs)
