"""Browser login: trade an API key for an HttpOnly cookie, so <img src=...mjpeg> and EventSource carry it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from gatewatch.api.auth import COOKIE_NAME, AuthError, principal_for
from gatewatch.api.deps import EventsReader, ServiceDep
from gatewatch.api.schemas.common import LoginIn, WhoAmIOut, error_responses

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=WhoAmIOut, responses=error_responses(401, 422), summary="Log in with a key")
async def login(body: LoginIn, request: Request, response: Response, service: ServiceDep) -> WhoAmIOut:
    principal = await run_in_threadpool(principal_for, service.store.sessions, body.key)
    if principal is None:
        raise AuthError(401, "missing or invalid API key", ())
    response.set_cookie(
        COOKIE_NAME,
        body.key,
        httponly=True,  # page scripts cannot read it (XSS cannot steal the key)
        samesite="strict",  # other sites cannot make the browser send it (CSRF)
        secure=request.url.scheme == "https",
        path="/",
    )
    return WhoAmIOut(name=principal.name, role=principal.role)


@router.post("/logout", status_code=204, summary="Forget the login cookie")
def logout(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")


@router.get("/whoami", response_model=WhoAmIOut, responses=error_responses(401), summary="The caller's name and role")
def whoami(who: EventsReader) -> WhoAmIOut:
    return WhoAmIOut(name=who.name, role=who.role)
