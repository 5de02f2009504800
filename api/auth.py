"""Who is calling: API keys (Bearer header or the console's cookie) mapped to roles, and role checks.

Roles and what they may do (each dependency in gatewatch.api.deps names its allowed roles):
  viewer   read config, cameras, zones, live view; read events
  operator viewer + tune zones/thresholds/schedules, ack/dismiss/resolve events
  admin    operator + cameras add/update/remove, API keys, webhooks, audit log
  alarm    read events and the event stream only (for an alarm panel or a relay)
``local`` is not a stored role: with ``--insecure-local`` a keyless request from the loopback interface
gets read access (viewer and events read) under that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from gatewatch.store import Role, lookup_api_key, lookup_session
from gatewatch.store.api_keys import TOKEN_PREFIX
from gatewatch.vision.errors import UserError

# The console's login cookie: a server-side session id (see gatewatch.store.console_sessions), not the key.
COOKIE_NAME = "gatewatch_session"
LOCAL = "local"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})

READ_ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
EVENT_READ_ROLES: tuple[Role, ...] = ("viewer", "operator", "admin", "alarm")
OPERATOR_ROLES: tuple[Role, ...] = ("operator", "admin")
ADMIN_ROLES: tuple[Role, ...] = ("admin",)


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: Role | Literal["local"]


class AuthError(UserError):
    """401 (no usable key) or 403 (the key's role may not do this); rendered as ErrorOut by the app."""

    def __init__(self, status_code: int, detail: str, required_roles: tuple[str, ...]) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.required_roles = list(required_roles)


def principal_for(sessions: sessionmaker[Session], token: str | None) -> Principal | None:
    """The active key's principal; None for no key, an unknown key or a revoked one."""
    # Not ours by its shape: skip the database round trip.
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    info = lookup_api_key(sessions, token)
    return None if info is None else Principal(info.name, info.role)


def principal_for_session(sessions: sessionmaker[Session], token: str | None) -> Principal | None:
    """The principal of a live console session; None for no cookie, an unknown, expired or logged-out one."""
    info = lookup_session(sessions, token) if token else None
    return None if info is None else Principal(info.name, info.role)


def authorize(principal: Principal | None, allowed: tuple[Role, ...], *, local_ok: bool) -> Principal:
    """``principal`` when its role is allowed; raises AuthError (401/403) otherwise."""
    if principal is None:
        raise AuthError(401, "missing or invalid API key", allowed)
    if principal.role == LOCAL:
        if local_ok:
            return principal
    elif principal.role in allowed:
        return principal
    needs = ", ".join(allowed)
    raise AuthError(403, f"role {principal.role!r} may not do this; needs one of: {needs}", allowed)
