"""API keys: a random token is shown once; only its SHA-256 is stored.

A slow password hash (bcrypt, argon2) protects low-entropy secrets people choose. These tokens carry
256 random bits, so a stolen hash cannot be brute-forced anyway, and a fast hash lets every request
look the key up by an indexed equality match instead of trying a slow hash against each stored key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import cast, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gatewatch.store.tables import ApiKeyRow
from gatewatch.store.types import Role
from gatewatch.vision.errors import InvalidValue

TOKEN_PREFIX = "gw_"  # makes a leaked key recognisable to secret scanners and to people
ROLES = frozenset(get_args(Role))


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    id: int
    name: str
    role: Role
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: ApiKeyRow) -> ApiKeyInfo:
    return ApiKeyInfo(row.id, row.name, cast(Role, row.role), row.created_at, row.revoked_at)


def create_api_key(sessions: sessionmaker[Session], name: str, role: Role) -> tuple[ApiKeyInfo, str]:
    """Returns the key's record and its token; the token cannot be recovered later."""
    if role not in ROLES:
        raise InvalidValue(f"unknown role {role!r}; expected one of {sorted(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(name=name, role=role, token_sha256=hash_token(token), created_at=dt.datetime.now(dt.UTC))
    with sessions.begin() as session:
        session.add(row)
        session.flush()
        return _info(row), token


def lookup_api_key(sessions: sessionmaker[Session], token: str) -> ApiKeyInfo | None:
    """The active key for a presented token, or None (unknown or revoked)."""
    query = select(ApiKeyRow).where(ApiKeyRow.token_sha256 == hash_token(token), ApiKeyRow.revoked_at.is_(None))
    with sessions() as session:
        row = session.scalars(query).one_or_none()
        return None if row is None else _info(row)


def revoke_api_key(sessions: sessionmaker[Session], key_id: int) -> bool:
    """Revoke a key; False when there is no such active key."""
    with sessions.begin() as session:
        row = session.get(ApiKeyRow, key_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = dt.datetime.now(dt.UTC)
        return True


def list_api_keys(sessions: sessionmaker[Session]) -> list[ApiKeyInfo]:
    with sessions() as session:
        return [_info(row) for row in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]
