"""Browser-facing protections in front of the app (pure ASGI): same-origin writes and anti-framing headers.

``SameOriginWrites``: a page on another origin, including another port of the same host (same-site, so
``SameSite=Strict`` does not stop it), could make a logged-in browser POST to the API. Writes therefore:
  - never take HTML form or ``text/plain`` bodies (the only ones a page can send cross-origin without a
    CORS preflight): 415, whoever sends them; the API speaks JSON;
  - are refused when the browser says they come from elsewhere: ``Sec-Fetch-Site`` other than
    ``same-origin``/``none`` (set by the browser, pages cannot forge it; it also holds behind a proxy that
    rewrites Host), or else an ``Origin`` that is not this service's own;
  - authenticated by the session cookie must carry one of the two headers (every current browser sends
    them on fetch POSTs); API clients with a Bearer key send neither and are not affected.

``SecurityHeaders``: ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` on every response (the
console's pages get its whole CSP), so no page can frame the console and click its buttons.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatewatch.api.auth import COOKIE_NAME
from gatewatch.api.body_limits import send_json

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
SAME_ORIGIN_SITES = frozenset({"same-origin", "none"})  # "none": typed or bookmarked by the user
NOT_COOKIE_AUTHENTICATED = frozenset({"/auth/login"})  # trades a key for a cookie; a stale cookie is ignored
DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}


def _normal_origin(origin: str) -> str:
    """``scheme://host[:port]`` lower-cased, without the scheme's default port."""
    origin = origin.strip().lower().rstrip("/")
    default_port = DEFAULT_PORTS.get(origin.partition("://")[0])
    return origin.removesuffix(default_port) if default_port else origin


def _own_origin(scope: Scope, headers: dict[str, str]) -> str:
    scheme = "https" if scope.get("scheme") == "https" else "http"
    return _normal_origin(f"{scheme}://{headers.get('host', '')}")


def _has_session_cookie(headers: dict[str, str]) -> bool:
    return any(part.strip().startswith(COOKIE_NAME + "=") for part in headers.get("cookie", "").split(";"))


def write_refusal(scope: Scope) -> tuple[int, str] | None:
    """(status, reason) when this write must be refused, else None."""
    headers = _headers(scope)
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media in FORM_TYPES:
        return 415, f"{media} bodies are not accepted; send application/json"
    site = headers.get("sec-fetch-site")
    origin = headers.get("origin")
    if site is not None:
        if site.lower() not in SAME_ORIGIN_SITES:
            return 403, f"cross-origin write refused (Sec-Fetch-Site: {site[:50]})"
    elif origin is not None:
        if _normal_origin(origin) != _own_origin(scope, headers):
            return 403, f"cross-origin write refused (Origin: {origin[:100]})"
    elif (
        _has_session_cookie(headers)
        and "authorization" not in headers
        and scope.get("path") not in NOT_COOKIE_AUTHENTICATED
    ):
        return 403, "a write authenticated by the session cookie needs an Origin or Sec-Fetch-Site header"
    return None


class SameOriginWrites:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in WRITE_METHODS:
            refusal = write_refusal(scope)
            if refusal is not None:
                await send_json(send, refusal[0], {"detail": refusal[1]})
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, console_csp: str) -> None:
        self.app = app
        self.console_csp = console_csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        csp = self.console_csp if path == "/" or path.startswith("/console/") else b"frame-ancestors 'none'"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                extra = [
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message["headers"] = [*message.get("headers", ()), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
