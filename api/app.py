"""The FastAPI application: routers per resource, one Service started once in the lifespan, JSON errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gatewatch.api.auth import AuthError
from gatewatch.api.body_limits import BodyLimit
from gatewatch.api.console import CSP, mount_console
from gatewatch.api.routes import (
    auth,
    cameras,
    detector,
    events,
    health,
    keys,
    live,
    metrics,
    running_config,
    schedules,
    webhooks,
    zones,
)
from gatewatch.api.same_origin import SameOriginWrites, SecurityHeaders
from gatewatch.api.validation_errors import request_validation_error
from gatewatch.service import Service
from gatewatch.store import (
    EventNotFound,
    InvalidCursor,
    InvalidTransition,
    StoreError,
    SubscriptionNotFound,
)
from gatewatch.store.record_writer import StoreUnavailable

VERSION = "0.1.0"

# Store errors -> HTTP status; most specific first (isinstance order).
STORE_ERRORS: tuple[tuple[type[StoreError], int], ...] = (
    (EventNotFound, 404),
    (SubscriptionNotFound, 404),
    (InvalidTransition, 409),
    (InvalidCursor, 400),
)


def _store_error(_request: Request, exc: Exception) -> JSONResponse:
    status = next((code for kind, code in STORE_ERRORS if isinstance(exc, kind)), 400)
    return JSONResponse({"detail": str(exc)}, status_code=status)


def _auth_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    headers = {"www-authenticate": "Bearer"} if exc.status_code == 401 else None
    body = {"detail": exc.detail, "required_roles": exc.required_roles}
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


STORE_RETRY_AFTER_S = 5


def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with the database's reason: a full disk or read-only file is the server's state, not a bug (500)."""
    health = request.app.state.service.store_health
    if isinstance(exc, StoreUnavailable):
        reason = exc.reason
    else:
        health.failed(exc)  # readiness reports it too, until a write succeeds again
        reason = health.error or "the store cannot write"
    return JSONResponse(
        {"detail": f"the event store cannot write now ({reason}); nothing was changed, try again later"},
        status_code=503,
        headers={"retry-after": str(STORE_RETRY_AFTER_S)},
    )


def create_app(service: Service, *, insecure_local: bool = False) -> FastAPI:
    """The app around an already built ``service``; the lifespan starts and stops it (once per process)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(service.start)
        try:
            yield
        finally:
            await run_in_threadpool(service.stop)

    app = FastAPI(
        title="gatewatch",
        version=VERSION,
        summary="Weapon, loitering and crowding events from live school-gate cameras.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.insecure_local = insecure_local
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(OperationalError, _store_unavailable)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    for module in (health, metrics, auth, events, webhooks, keys):
        app.include_router(module.router)
    running_config.add_config_error_handlers(app)
    for module in (cameras, zones, live, schedules, running_config, detector):  # live control (H3)
        app.include_router(module.router)
    mount_console(app)  # GET / and /console/... (static security-room console)
    # The last added runs first: proxy headers fix the scheme, every response gets the anti-framing headers,
    # writes from elsewhere and oversized bodies are refused unread (JSON is parsed strictly by the routes).
    app.add_middleware(SameOriginWrites)
    app.add_middleware(BodyLimit, max_bytes=service.settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, console_csp=CSP)
    if service.settings.forwarded_allow_ips:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=service.settings.forwarded_allow_ips)
    return app
