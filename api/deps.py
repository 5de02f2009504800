"""FastAPI dependencies: the running Service, and the calling principal checked against a route's roles.

Routes declare what they need with one annotation, e.g. ``def ack(..., who: Operator)``; the OpenAPI
schema then lists the Bearer and cookie schemes on that route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from gatewatch.api.auth import (
    ADMIN_ROLES,
    COOKIE_NAME,
    EVENT_READ_ROLES,
    LOCAL,
    LOOPBACK_HOSTS,
    OPERATOR_ROLES,
    READ_ROLES,
    Principal,
    authorize,
    principal_for,
    principal_for_session,
)
from gatewatch.service import Service
from gatewatch.store import Role

# auto_error=False: a missing key is answered by authorize() with our 401 body, not FastAPI's.
bearer_scheme = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer gw_...`.")
cookie_scheme = APIKeyCookie(
    name=COOKIE_NAME, auto_error=False, description="The session set by `POST /auth/login` (browser console)."
)


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Principal | None:
    """The caller: its key's principal (Bearer key, else the console's session cookie), ``local`` for a keyless
    loopback call under --insecure-local, else None."""
    service = get_service(request)
    if bearer is not None:
        principal = principal_for(service.store.sessions, bearer.credentials)
    else:
        principal = principal_for_session(service.store.sessions, cookie)
    keyless = bearer is None and cookie is None
    if principal is None and keyless and request.app.state.insecure_local and _from_loopback(request):
        return Principal(LOCAL, "local")
    return principal


def _from_loopback(request: Request) -> bool:
    return request.client is not None and request.client.host in LOOPBACK_HOSTS


def require(allowed: tuple[Role, ...], *, local_ok: bool = False) -> Callable[..., Principal]:
    """A dependency that admits the given roles (and ``local`` when ``local_ok``), else 401/403."""

    def dependency(principal: Annotated[Principal | None, Depends(current_principal)]) -> Principal:
        return authorize(principal, allowed, local_ok=local_ok)

    dependency.__name__ = f"require_{'_'.join(allowed)}"
    return dependency


Viewer = Annotated[Principal, Depends(require(READ_ROLES, local_ok=True))]
EventsReader = Annotated[Principal, Depends(require(EVENT_READ_ROLES, local_ok=True))]
Operator = Annotated[Principal, Depends(require(OPERATOR_ROLES))]
Admin = Annotated[Principal, Depends(require(ADMIN_ROLES))]
