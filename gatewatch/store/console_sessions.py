"""Console login sessions: the browser's cookie holds a random session token, never the API key.

Only the token's SHA-256 is stored (see api_keys for why a fast hash is right for 256-bit random tokens).
A session ends at its expiry, at logout (revoked: the cookie is useless even if it was copied), and
with its key (a revoked key's sessions stop working at once, as they are looked up through the key).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from gatewatch.store.api_keys import ApiKeyInfo, _info, hash_token
from gatewatch.store.tables import ApiKeyRow, ConsoleSessionRow

SESSION_PREFIX = "gws_"


def create_session(sessions: sessionmaker[Session], key_id: int, ttl_s: float) -> str:
    """A new session of the key ``key_id`` for ``ttl_s`` seconds; returns the token (shown only to the browser).

    Expired sessions are deleted on the way, so the table holds live logins only.
    """
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    row = ConsoleSessionRow(
        token_sha256=hash_token(token), key_id=key_id, created_at=now, expires_at=now + dt.timedelta(seconds=ttl_s)
    )
    with sessions.begin() as session:
        session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at <= now))
        session.add(row)
    return token


def lookup_session(sessions: sessionmaker[Session], token: str) -> ApiKeyInfo | None:
    """The key behind a live session token: unexpired, not logged out, key not revoked; else None."""
    if not token.startswith(SESSION_PREFIX) or len(token) > 200:
        return None
    query = (
        select(ApiKeyRow)
        .join(ConsoleSessionRow, ConsoleSessionRow.key_id == ApiKeyRow.id)
        .where(
            ConsoleSessionRow.token_sha256 == hash_token(token),
            ConsoleSessionRow.revoked_at.is_(None),
            ConsoleSessionRow.expires_at > dt.datetime.now(dt.UTC),
            ApiKeyRow.revoked_at.is_(None),
        )
    )
    with sessions() as session:
        row = session.scalars(query).one_or_none()
        return None if row is None else _info(row)


def revoke_session(sessions: sessionmaker[Session], token: str) -> bool:
    """Log a session out; False when there was no such live session."""
    query = (
        update(ConsoleSessionRow)
        .where(ConsoleSessionRow.token_sha256 == hash_token(token), ConsoleSessionRow.revoked_at.is_(None))
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
    with sessions.begin() as session:
        return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]
