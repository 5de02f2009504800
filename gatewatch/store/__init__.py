"""Durable storage: events and their records, operator actions, webhook subscriptions and outbox,
API keys and the audit log (SQLAlchemy 2; SQLite by default, PostgreSQL by URL)."""

from gatewatch.store.api_keys import (
    ApiKeyInfo,
    create_api_key,
    list_api_keys,
    lookup_api_key,
    revoke_api_key,
)
from gatewatch.store.audit import AuditEntry, audit, list_audit
from gatewatch.store.console_sessions import create_session, lookup_session, revoke_session
from gatewatch.store.event_store import EventStore
from gatewatch.store.outbox import Delivery
from gatewatch.store.types import (
    Action,
    ActionView,
    DeliveryView,
    EventDetail,
    EventNotFound,
    EventView,
    InvalidCursor,
    InvalidTransition,
    OperatorState,
    Role,
    StoredRecord,
    StoreError,
    SubscriptionNotFound,
    SubscriptionView,
)

__all__ = [
    "Action",
    "ActionView",
    "ApiKeyInfo",
    "AuditEntry",
    "Delivery",
    "DeliveryView",
    "EventDetail",
    "EventNotFound",
    "EventStore",
    "EventView",
    "InvalidCursor",
    "InvalidTransition",
    "OperatorState",
    "Role",
    "StoreError",
    "StoredRecord",
    "SubscriptionNotFound",
    "SubscriptionView",
    "audit",
    "create_api_key",
    "create_session",
    "list_api_keys",
    "list_audit",
    "lookup_api_key",
    "lookup_session",
    "revoke_api_key",
    "revoke_session",
]
