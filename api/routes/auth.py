"""Browser login: trade an API key for a session cookie, so <img src=...mjpeg> and EventSource carry it.

The cookie holds a random session id whose hash is stored with its key and expiry; logout revokes it.
The key itself never reaches the cookie jar (a copied cookie dies at logout or expiry, not with the key).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response
from fastapi.concurrency import run_in_threadpool

from gatewatch.api.auth import COOKIE_NAME, AuthError
from gatewatch.api.deps import EventsReader, ServiceDep
from gatewatch.api.json_route import StrictJsonRoute
from gatewatch.api.schemas.common import LoginIn, WhoAmIOut, error_responses
from gatewatch.store import create_session, lookup_api_key, revoke_session
from gatewatch.store.api_keys import TOKEN_PREFIX

router = APIRouter(route_class=StrictJsonRoute, prefix="/auth", tags=["auth"])


@router.post("/login", response_model=WhoAmIOut, responses=error_responses(401, 422), summary="Log in with a key")
async def login(body: LoginIn, request: Request, response: Response, service: ServiceDep) -> WhoAmIOut:
    sessions = service.store.sessions
    info = None
    if body.key.startswith(TOKEN_PREFIX):
        info = await run_in_threadpool(lookup_api_key, sessions, body.key)
    if info is None:
        raise AuthError(401, "missing or invalid API key", ())
    ttl_s = service.settings.session_ttl_s
    token = await run_in_threadpool(create_session, sessions, info.id, ttl_s)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(ttl_s),
        httponly=True,  # page scripts cannot read it (XSS cannot steal the session)
        samesite="strict",  # other sites cannot make the browser send it (CSRF; same-site pages are checked too)
        # https as the client sees it: behind a TLS proxy only with GATEWATCH_FORWARDED_ALLOW_IPS set.
        secure=request.url.scheme == "https",
        path="/",
    )
    return WhoAmIOut(name=info.name, role=info.role)


@router.post("/logout", status_code=204, summary="End the console session (revoked server-side)")
async def logout(
    response: Response, service: ServiceDep, session: Annotated[str | None, Cookie(alias=COOKIE_NAME)] = None
) -> None:
    if session:
        await run_in_threadpool(revoke_session, service.store.sessions, session)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")


@router.get("/whoami", response_model=WhoAmIOut, responses=error_responses(401), summary="The caller's name and role")
def whoami(who: EventsReader) -> WhoAmIOut:
    return WhoAmIOut(name=who.name, role=who.role)
