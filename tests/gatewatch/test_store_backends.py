"""The store on SQLite and on a real PostgreSQL: each record stored once, seqs committed in their order."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from gatewatch.store import EventStore, StoredRecord, StoreError
from gatewatch.store.recovery import end_interrupted_events
from tests.event_records import end_record, new_record


@pytest.fixture
def store(database_url: str) -> Iterator[EventStore]:
    store = EventStore(database_url)
    yield store
    store.close()


def test_a_record_written_twice_is_stored_once(store: EventStore) -> None:
    heard: list[StoredRecord] = []
    store.add_listener(heard.append)
    sub = store.subscriptions.create("http://127.0.0.1:1/hook")
    record = new_record("e1")
    first = store.append(record)
    assert store.append(record) == first  # a retry after a lost answer: the same seq, nothing new
    ended = store.append(end_record(record))
    assert store.append(end_record(record)) == ended

    detail = store.get_event("e1")
    assert [r.name for r in detail.records] == ["new", "end"]
    assert [r.seq for r in heard] == [first, ended]  # listeners (SSE, MQTT) hear each record once
    assert [(d.seq, d.subscription_id) for d in store.delivery_status("e1")] == [(first, sub.id), (ended, sub.id)]


def test_a_replayed_older_record_does_not_rewind_the_event(store: EventStore) -> None:
    record = new_record("e2")
    store.append(record)
    store.append(end_record(record))
    store.append(record)  # replayed after the end: already stored
    assert store.get_event("e2").event.lifecycle == "end"
    # An update that was never stored is new, even for an event seen before.
    update = replace(record, lifecycle="update", at=record.at.replace(second=5))
    seq = store.append(update)
    assert store.get_event("e2").records[-1].seq == seq


def test_two_stores_on_one_database_keep_records_once(database_url: str) -> None:
    """Two processes (here two engines) replaying the same records concurrently: one row each."""
    stores = [EventStore(database_url) for _ in range(2)]
    records = [new_record(f"r{i}") for i in range(20)]

    def replay(store: EventStore) -> None:
        for record in records:
            store.append(record)

    failures: list[BaseException] = []

    def replay_or_fail(store: EventStore) -> None:
        try:
            replay(store)
        except BaseException as exc:  # a writer that failed would leave the other to store everything
            failures.append(exc)

    threads = [threading.Thread(target=replay_or_fail, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    stored = stores[0].records_after(0, limit=100)
    assert sorted(r.event_id for r in stored) == sorted(r.id for r in records)
    for s in stores:
        s.close()


def test_an_existing_sqlite_file_gets_the_once_index(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    EventStore(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:  # as a database made before the index existed
        db.execute("DROP INDEX ux_event_records_once")
    store = EventStore(f"sqlite:///{path}")
    record = new_record("e3")
    assert store.append(record) == store.append(record)
    store.close()


def test_an_old_sqlite_file_with_a_record_twice_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = EventStore(f"sqlite:///{path}")
    store.append(new_record("e4"))
    store.close()
    with sqlite3.connect(path) as db:  # as a retried write could leave it before records were stored once
        db.execute("DROP INDEX ux_event_records_once")
        db.execute("INSERT INTO event_records (event_id, kind, name, at, payload) SELECT event_id, kind, name, at, "
                   "payload FROM event_records")  # fmt: skip
    with pytest.raises(StoreError, match=r"old\.db: event_records holds the same record twice.*lowest seq"):
        EventStore(f"sqlite:///{path}")


def test_an_unsupported_database_is_refused_with_the_expected_form() -> None:
    with pytest.raises(StoreError, match=r"mysql://gw:\*\*\*@db/gw.*postgresql\+psycopg://"):
        EventStore("mysql://gw:secret@db/gw")


def test_postgresql_writers_in_two_processes_commit_seqs_in_order(postgres_url: str) -> None:
    """A reader that tails "records after my last seq" while two stores write misses nothing.

    Without one commit order across writers, a record whose seq was taken first but committed last
    would be skipped by a reader that had already moved past it (SSE resume, webhook heads).
    """
    writers = [EventStore(postgres_url) for _ in range(2)]
    reader = EventStore(postgres_url)
    done = threading.Event()
    seen: list[int] = []

    def write(store: EventStore, name: str) -> None:
        for i in range(60):
            store.append(new_record(f"{name}-{i}"))

    def tail() -> None:
        last = 0
        while True:
            finished = done.is_set()
            for record in reader.records_after(last, limit=500):
                seen.append(record.seq)
                last = record.seq
            if finished:
                return

    tailer = threading.Thread(target=tail)
    tailer.start()
    threads = [threading.Thread(target=write, args=(s, f"w{n}")) for n, s in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    tailer.join()
    stored = [r.seq for r in reader.records_after(0, limit=500)]
    assert len(stored) == 120
    assert seen == stored  # every record seen by the tailing reader, once, in order
    for s in [*writers, reader]:
        s.close()


def test_a_starting_process_ends_only_its_own_cameras_open_events(store: EventStore) -> None:
    """On a shared database another process's cameras are live: their events are not 'interrupted'."""
    store.append(new_record("mine", camera="gate1"))
    store.append(new_record("theirs", camera="gate2"))
    assert end_interrupted_events(store, cameras=["gate1"]) == ["mine"]
    assert store.get_event("mine").event.lifecycle == "end"
    assert store.get_event("theirs").event.lifecycle == "new"
    assert end_interrupted_events(store) == ["theirs"]  # no scope: every open event (one process, SQLite)
