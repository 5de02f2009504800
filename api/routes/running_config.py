"""The running config as YAML (viewer), the audit log of its changes (admin), and config error responses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from gatewatch.api.deps import Admin, ServiceDep, Viewer
from gatewatch.api.schemas.common import error_responses
from gatewatch.api.schemas.live import AuditOut, AuditPage
from gatewatch.api.validation_errors import short_issues
from gatewatch.config.edit import ConfigRejected
from gatewatch.config.live import ConfigConflict, ConfigNotFound
from gatewatch.store import list_audit

router = APIRouter(tags=["config"])


@router.get(
    "/config",
    response_class=Response,
    responses={
        200: {"content": {"application/yaml": {}}, "description": "A valid config file"},
        **error_responses(401, 403),
    },
    summary="The running config as YAML",
)
def get_config(service: ServiceDep, _who: Viewer) -> Response:
    """With every live edit in it; camera passwords are shown as ``***``."""
    return Response(service.live.to_yaml(), media_type="application/yaml")


@router.get("/audit", response_model=AuditPage, responses=error_responses(401, 403, 422), summary="Config audit log")
def get_audit(
    service: ServiceDep,
    _who: Admin,
    before_id: Annotated[int | None, Query(ge=1, le=2**62, description="Entries older than this id.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
) -> AuditPage:
    entries = list_audit(service.store.sessions, before_id=before_id, limit=limit)
    items = [AuditOut(id=e.id, at=e.at, actor=e.actor, what=e.what, old=e.old, new=e.new) for e in entries]
    return AuditPage(items=items, next_before_id=items[-1].id if len(items) == limit else None)


def _rejected(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConfigRejected)
    return JSONResponse({"detail": short_issues(exc.issues)}, status_code=422)


def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc.args[0] if exc.args else exc)}, status_code=404)


def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


def add_config_error_handlers(app: FastAPI) -> None:
    """422 with field paths, 404, 409 for LiveConfig's errors, as ErrorOut bodies."""
    app.add_exception_handler(ConfigRejected, _rejected)
    app.add_exception_handler(ConfigNotFound, _not_found)
    app.add_exception_handler(ConfigConflict, _conflict)
