"""Webhook subscriptions: where records are delivered, signed with a per-subscription secret."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
from collections.abc import Sequence
from types import EllipsisType
from typing import get_args

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gatewatch.store.convert import subscription_view
from gatewatch.store.tables import SubscriptionRow
from gatewatch.store.types import SubscriptionNotFound, SubscriptionView
from gatewatch.vision.errors import InvalidValue
from gatewatch.vision.types import EventType

SECRET_PREFIX = "whsec_"  # Standard Webhooks secret format: whsec_<base64 of the key bytes>
EVENT_TYPES = frozenset(get_args(EventType))


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:  # e.g. control characters: the caller's input, not our failure
        raise InvalidValue(f"invalid webhook url {url!r}: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidValue(f"webhook url must be http(s)://host/...: {url!r}")
    return url


def _check_secret(secret: str) -> str:
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise InvalidValue("webhook secret must be whsec_<base64>") from exc
    if not secret.startswith(SECRET_PREFIX) or len(key) < 24:
        raise InvalidValue("webhook secret must be whsec_<base64> of at least 24 bytes")
    return secret


def _check_types(event_types: Sequence[str] | None) -> list[str] | None:
    if event_types is None:
        return None
    unknown = set(event_types) - EVENT_TYPES
    if unknown or not event_types:
        raise InvalidValue(f"event types must be a non-empty subset of {sorted(EVENT_TYPES)}, or None for all")
    return sorted(set(event_types))


class Subscriptions:
    """CRUD; deleting one also deletes its delivery history (deactivate it to keep the history)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, url: str, event_types: Sequence[str] | None = None, secret: str | None = None) -> SubscriptionView:
        row = SubscriptionRow(
            url=_check_url(url),
            secret=new_secret() if secret is None else _check_secret(secret),
            event_types=_check_types(event_types),
            active=True,
            created_at=dt.datetime.now(dt.UTC),
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return subscription_view(row)

    def get(self, subscription_id: int) -> SubscriptionView:
        with self._sessions() as session:
            return subscription_view(self._row(session, subscription_id))

    def list_all(self) -> list[SubscriptionView]:
        with self._sessions() as session:
            return [
                subscription_view(row) for row in session.scalars(select(SubscriptionRow).order_by(SubscriptionRow.id))
            ]

    def update(
        self,
        subscription_id: int,
        *,
        url: str | None = None,
        event_types: Sequence[str] | EllipsisType | None = ...,
        active: bool | None = None,
    ) -> SubscriptionView:
        """Change the given fields; ``event_types=None`` means every type, leaving it out keeps the filter.

        Pending deliveries of an inactive subscription wait, and go out if it is made active again.
        """
        with self._sessions.begin() as session:
            row = self._row(session, subscription_id)
            if url is not None:
                row.url = _check_url(url)
            if not isinstance(event_types, EllipsisType):
                row.event_types = _check_types(event_types)
            if active is not None:
                row.active = active
            return subscription_view(row)

    def delete(self, subscription_id: int) -> None:
        with self._sessions.begin() as session:
            session.delete(self._row(session, subscription_id))

    @staticmethod
    def _row(session: Session, subscription_id: int) -> SubscriptionRow:
        row = session.get(SubscriptionRow, subscription_id)
        if row is None:
            raise SubscriptionNotFound(f"no webhook subscription {subscription_id}")
        return row
