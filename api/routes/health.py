"""Liveness, readiness and service info (no key needed: probes and the console's login page use them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gatewatch.api.deps import ServiceDep
from gatewatch.api.schemas.common import HealthOut, InfoOut, ReadyOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="The process serves HTTP")
def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "A check failed"}},
    summary="Model loaded, store writable, pipeline running",
)
async def readyz(service: ServiceDep) -> JSONResponse:
    ready, checks, reasons = await run_in_threadpool(service.ready)
    body = ReadyOut(ready=ready, checks=checks, reasons=reasons)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/info", response_model=InfoOut, summary="Version, display time zone, access mode")
def info(request: Request, service: ServiceDep) -> InfoOut:
    return InfoOut(
        version=request.app.version,
        timezone=service.settings.timezone,
        insecure_local=request.app.state.insecure_local,
    )
