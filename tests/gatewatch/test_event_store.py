"""EventStore on a real SQLite file: state, filters, cursor pages, operator actions, resume, API keys, audit."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from gatewatch.store import (
    EventNotFound,
    EventStore,
    InvalidCursor,
    InvalidTransition,
    audit,
    create_api_key,
    list_api_keys,
    list_audit,
    lookup_api_key,
    revoke_api_key,
)
from gatewatch.store.api_keys import hash_token
from tests.event_records import T0, end_record, new_record

pytestmark = pytest.mark.unit  # fast: no servers, clips or model sessions (scripts/test -m unit)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "gatewatch.db"  # the data/ folder does not exist yet


@pytest.fixture
def store(db_path: Path) -> Iterator[EventStore]:
    store = EventStore(f"sqlite:///{db_path}")
    yield store
    store.close()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(store: EventStore) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_append_keeps_every_record_and_the_current_state(store: EventStore) -> None:
    first = new_record("ev-1", type="weapon", confidence=0.6)
    update = replace(first, lifecycle="update", confidence=0.9, at=T0 + dt.timedelta(seconds=5))
    seqs = [store.append(first), store.append(update), store.append(end_record(update))]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3

    detail = store.get_event("ev-1")
    event = detail.event
    assert (event.type, event.camera, event.zone, event.lifecycle) == ("weapon", "gate1", "entrance", "end")
    assert event.operator_state == "open"
    assert event.started_at == T0 and event.ended_at == T0 + dt.timedelta(seconds=40)
    assert event.confidence == 0.9 and event.snapshot == "snapshots/ev-1.jpg"
    assert event.thresholds == {"dwell_s": 30.0} and event.schedule_window == "morning"
    assert event.last_seq == seqs[-1] and event.latest["lifecycle"] == "end"
    assert [r.seq for r in detail.records] == seqs
    assert [r.to_json()["type"] for r in detail.records] == ["event.new", "event.update", "event.end"]
    assert detail.records[0].payload["event"] == first.to_json()
    assert detail.actions == []
    with pytest.raises(EventNotFound):
        store.get_event("nope")


def test_list_filters(store: EventStore) -> None:
    store.append(new_record("a", type="weapon", camera="gate1", zone="entrance", started_at=T0))
    store.append(new_record("b", type="loitering", camera="gate1", zone="road", started_at=T0 + dt.timedelta(hours=1)))
    store.append(
        new_record("c", type="crowding", camera="gate2", zone="entrance", started_at=T0 + dt.timedelta(hours=2))
    )
    store.act("b", "dismissed", "alice")

    def ids(**filters: object) -> list[str]:
        items, _ = store.list_events(**filters)  # type: ignore[arg-type]
        return [e.id for e in items]

    assert ids() == ["c", "b", "a"]  # newest first
    assert ids(camera="gate1") == ["b", "a"]
    assert ids(zone="entrance") == ["c", "a"]
    assert ids(type="crowding") == ["c"]
    assert ids(state="dismissed") == ["b"]
    assert ids(state="open") == ["c", "a"]
    assert ids(since=T0 + dt.timedelta(minutes=30)) == ["c", "b"]
    assert ids(until=T0 + dt.timedelta(hours=2)) == ["b", "a"]
    assert ids(camera="gate1", zone="entrance", type="weapon") == ["a"]
    assert ids(camera="gate9") == []


def test_cursor_pagination_walks_every_event_once(store: EventStore) -> None:
    # 25 events over 13 start times: ties on started_at must neither repeat nor skip across pages.
    for i in range(25):
        store.append(
            new_record(
                f"ev-{i:02d}", camera="gate1" if i % 5 else "gate2", started_at=T0 + dt.timedelta(seconds=i // 2)
            )
        )
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        items, cursor = store.list_events(cursor=cursor, limit=10)
        pages += 1
        seen += [e.id for e in items]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25
    expected = sorted((T0 + dt.timedelta(seconds=i // 2), f"ev-{i:02d}") for i in range(25))
    assert seen == [event_id for _, event_id in reversed(expected)]

    # The cursor composes with filters: 20 events on gate1, pages of 7.
    filtered, cursor = [], None
    while True:
        items, cursor = store.list_events(camera="gate1", cursor=cursor, limit=7)
        filtered += [e.id for e in items]
        if cursor is None:
            break
    assert len(filtered) == len(set(filtered)) == 20

    for bad in ("not-a-cursor", "W10", "WyJ4IiwgMV0"):
        with pytest.raises(InvalidCursor):
            store.list_events(cursor=bad)


def test_operator_actions_are_records_and_transitions_are_checked(store: EventStore) -> None:
    store.append(new_record("w1", type="weapon"))
    store.append(new_record("w2", type="weapon"))

    ack = store.act("w1", "acknowledged", "alice", "on my way")
    done = store.act("w1", "resolved", "alice")
    assert ack.kind == "action" and ack.to_json()["type"] == "event.acknowledged"
    assert ack.payload["action"]["actor"] == "alice" and ack.payload["action"]["note"] == "on my way"
    assert ack.payload["event"]["id"] == "w1"  # the event travels with the action for routing
    assert done.seq > ack.seq

    detail = store.get_event("w1")
    assert detail.event.operator_state == "resolved"
    assert [(a.action, a.actor, a.note) for a in detail.actions] == [
        ("acknowledged", "alice", "on my way"),
        ("resolved", "alice", None),
    ]
    assert [r.kind for r in detail.records] == ["lifecycle", "action", "action"]

    store.act("w2", "dismissed", "bob", "an umbrella")
    with pytest.raises(InvalidTransition, match="dismissed"):
        store.act("w2", "resolved", "bob")
    with pytest.raises(InvalidTransition):
        store.act("w1", "dismissed", "bob")
    with pytest.raises(InvalidTransition):
        store.act("w1", "acknowledged", "bob")
    with pytest.raises(EventNotFound):
        store.act("missing", "acknowledged", "bob")
    with pytest.raises(ValueError, match="unknown action"):
        store.act("w2", "escalated", "bob")  # type: ignore[arg-type]
    assert store.get_event("w2").event.operator_state == "dismissed"


def test_records_after_resumes_the_global_sequence(store: EventStore) -> None:
    first = store.append(new_record("a"))
    store.append(new_record("b", type="weapon"))
    store.act("a", "acknowledged", "op")
    store.append(end_record(new_record("a")))

    everything = store.records_after(0)
    assert [r.seq for r in everything] == sorted(r.seq for r in everything) and len(everything) == 4
    assert [(r.event_id, r.name) for r in everything] == [
        ("a", "new"),
        ("b", "new"),
        ("a", "acknowledged"),
        ("a", "end"),
    ]
    assert [r.seq for r in store.records_after(first, limit=2)] == [r.seq for r in everything[1:3]]
    assert store.records_after(everything[-1].seq) == []
    assert everything[1].event_type == "weapon"


def test_outbox_rows_are_written_with_the_record_for_matching_subscriptions(store: EventStore) -> None:
    everything = store.subscriptions.create("http://127.0.0.1:9/all")
    weapons = store.subscriptions.create("http://127.0.0.1:9/weapons", event_types=["weapon"])
    paused = store.subscriptions.create("http://127.0.0.1:9/paused")
    store.subscriptions.update(paused.id, active=False)

    store.append(new_record("w", type="weapon"))
    store.append(new_record("c", type="crowding"))
    store.act("w", "dismissed", "op")

    weapon_rows = store.delivery_status("w")
    assert {(d.subscription_id, d.record) for d in weapon_rows} == {
        (everything.id, "event.new"),
        (weapons.id, "event.new"),
        (everything.id, "event.dismissed"),
        (weapons.id, "event.dismissed"),
    }
    assert all(d.status == "pending" and d.attempts == 0 for d in weapon_rows)
    assert [d.subscription_id for d in store.delivery_status("c")] == [everything.id]
    with pytest.raises(EventNotFound):
        store.delivery_status("missing")


def test_subscription_crud(store: EventStore) -> None:
    sub = store.subscriptions.create("https://127.0.0.1:8443/hook", event_types=["weapon", "crowding"])
    assert sub.secret.startswith("whsec_") and sub.active and sub.event_types == ["crowding", "weapon"]
    assert store.subscriptions.get(sub.id) == sub
    changed = store.subscriptions.update(sub.id, event_types=None, url="http://127.0.0.1:8080/h")
    assert changed.event_types is None and changed.url == "http://127.0.0.1:8080/h"
    assert store.subscriptions.update(sub.id, active=False).event_types is None  # left out: kept
    assert [s.id for s in store.subscriptions.list_all()] == [sub.id]
    for bad in (
        {"url": "ftp://127.0.0.1/x"},
        {"url": "http://127.0.0.1/", "event_types": ["fire"]},
        {"url": "http://127.0.0.1/", "secret": "whsec_c2hvcnQ="},
    ):
        with pytest.raises(ValueError):
            store.subscriptions.create(**bad)
    store.subscriptions.delete(sub.id)
    assert store.subscriptions.list_all() == []


def test_concurrent_appends_get_distinct_ordered_seqs(store: EventStore) -> None:
    seqs: list[int] = []

    def writer(n: int) -> None:
        for i in range(15):
            seqs.append(store.append(new_record(f"t{n}-{i}")))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seqs) == list(range(1, 61))
    assert [r.seq for r in store.records_after(0, limit=100)] == list(range(1, 61))


def test_state_survives_reopening_the_file(db_path: Path, store: EventStore) -> None:
    store.append(new_record("kept"))
    store.close()
    reopened = EventStore(f"sqlite:///{db_path}")
    try:
        assert reopened.get_event("kept").event.id == "kept"
        assert reopened.append(new_record("next")) == 2
    finally:
        reopened.close()


def test_api_keys_are_stored_hashed_and_resolve_to_roles(db_path: Path, store: EventStore) -> None:
    info, token = create_api_key(store.sessions, "alarm panel", "alarm")
    _, viewer_token = create_api_key(store.sessions, "wall screen", "viewer")
    assert token.startswith("gw_") and len(token) > 40 and token != viewer_token

    found = lookup_api_key(store.sessions, token)
    assert found is not None and (found.id, found.role, found.name) == (info.id, "alarm", "alarm panel")
    assert lookup_api_key(store.sessions, viewer_token).role == "viewer"  # type: ignore[union-attr]
    assert lookup_api_key(store.sessions, token + "x") is None
    with pytest.raises(ValueError):
        create_api_key(store.sessions, "x", "root")  # type: ignore[arg-type]

    # Neither the database nor its WAL holds the token; the hash is there (so the right bytes were read).
    stored = b"".join(p.read_bytes() for p in db_path.parent.glob("gatewatch.db*"))
    assert token.encode() not in stored and token[3:].encode() not in stored
    assert hash_token(token).encode() in stored
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT token_sha256 FROM api_keys WHERE id = ?", (info.id,)).fetchone() == (
            hash_token(token),
        )

    assert revoke_api_key(store.sessions, info.id) is True
    assert revoke_api_key(store.sessions, info.id) is False
    assert lookup_api_key(store.sessions, token) is None
    keys = list_api_keys(store.sessions)
    assert [(k.name, k.revoked_at is not None) for k in keys] == [("alarm panel", True), ("wall screen", False)]


def test_audit_log_newest_first_with_paging(store: EventStore) -> None:
    first = audit(store.sessions, "admin", "camera gate1", None, {"url": "rtsp://127.0.0.1/1"})
    second = audit(store.sessions, "admin", "camera gate1.threshold", {"dwell_s": 30}, {"dwell_s": 45})
    third = audit(store.sessions, "bob", "webhook 1", {"active": True}, None)
    assert [e.id for e in list_audit(store.sessions)] == [third.id, second.id, first.id]
    page = list_audit(store.sessions, before_id=third.id, limit=1)
    assert [(e.actor, e.what, e.old, e.new) for e in page] == [
        ("admin", "camera gate1.threshold", {"dwell_s": 30}, {"dwell_s": 45})
    ]
    assert page[0].at.tzinfo is not None
