"""Console sessions in the store: hashed at rest, expiry, logout, and the key's revocation."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from gatewatch.store import (
    EventStore,
    create_api_key,
    create_session,
    lookup_session,
    revoke_api_key,
    revoke_session,
)

pytestmark = pytest.mark.unit


def test_session_lifecycle(tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'sessions.db'}")
    try:
        info, _key = create_api_key(store.sessions, "desk", "operator")
        token = create_session(store.sessions, info.id, ttl_s=60)
        found = lookup_session(store.sessions, token)
        assert found is not None and (found.name, found.role) == ("desk", "operator")
        with store.sessions() as session:  # only the hash is stored
            stored = session.execute(text("select token_sha256 from console_sessions")).scalars().all()
        assert stored and token not in stored[0] and len(stored[0]) == 64

        assert revoke_session(store.sessions, token) is True
        assert lookup_session(store.sessions, token) is None
        assert revoke_session(store.sessions, token) is False

        short = create_session(store.sessions, info.id, ttl_s=0.3)
        assert lookup_session(store.sessions, short) is not None
        time.sleep(0.4)
        assert lookup_session(store.sessions, short) is None  # expired

        live = create_session(store.sessions, info.id, ttl_s=60)
        revoke_api_key(store.sessions, info.id)
        assert lookup_session(store.sessions, live) is None  # the key's revocation ends its sessions
        assert lookup_session(store.sessions, "gws_unknown") is None
        assert lookup_session(store.sessions, "not-a-session") is None
    finally:
        store.close()
