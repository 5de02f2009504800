"""Webhook subscription and API key models (admin)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from gatewatch.api.schemas.common import StrictIn
from gatewatch.store import ApiKeyInfo, SubscriptionView

EventTypeIn = Literal["weapon", "loitering", "crowding"]
RoleIn = Literal["viewer", "operator", "admin", "alarm"]


class WebhookIn(StrictIn):
    url: str = Field(min_length=8, max_length=2000, description="http(s) URL that receives signed POSTs.")
    event_types: list[EventTypeIn] | None = Field(
        None, min_length=1, max_length=3, description="Only these event types; null for all."
    )
    secret: str | None = Field(
        None,
        min_length=10,
        max_length=128,
        description="Standard Webhooks secret `whsec_<base64, >= 24 bytes>`; generated when left out.",
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    event_types: list[str] | None = Field(description="Event types delivered; null for all.")
    active: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, sub: SubscriptionView) -> WebhookOut:
        return cls(id=sub.id, url=sub.url, event_types=sub.event_types, active=sub.active, created_at=sub.created_at)


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Signing secret: shown only in this response; verify with it.")

    @classmethod
    def created(cls, sub: SubscriptionView) -> WebhookCreatedOut:
        return cls(**WebhookOut.of(sub).model_dump(), secret=sub.secret)


class KeyIn(StrictIn):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$", description="Who or what uses it.")
    role: RoleIn = Field(description="viewer, operator, admin or alarm (events read only).")


class KeyOut(BaseModel):
    id: int
    name: str
    role: RoleIn
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, info: ApiKeyInfo) -> KeyOut:
        return cls(id=info.id, name=info.name, role=info.role, created_at=info.created_at, revoked_at=info.revoked_at)


class KeyCreatedOut(KeyOut):
    key: str = Field(description="The API key: shown only in this response; only its hash is stored.")
