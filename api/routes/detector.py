"""The detector in use: model name, classes (for rule editors) and detection rate."""

from __future__ import annotations

from fastapi import APIRouter

from gatewatch.api.deps import ServiceDep, Viewer
from gatewatch.api.schemas.common import error_responses
from gatewatch.api.schemas.live import DetectorOut

router = APIRouter(tags=["config"])


@router.get("/detector", response_model=DetectorOut, responses=error_responses(401, 403), summary="Detector")
def detector(service: ServiceDep, _who: Viewer) -> DetectorOut:
    config = service.live.config.detector
    return DetectorOut(model=config.model, classes=service.detector_classes, detection_fps=config.detection_fps)
