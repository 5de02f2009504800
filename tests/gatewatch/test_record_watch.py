"""RecordWatch: a record stored by another process wakes this one (SQLite by polling, PostgreSQL by NOTIFY)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from gatewatch.store import EventStore
from gatewatch.store.watch import RecordWatch
from tests.event_records import new_record

WAIT_S = 10.0  # generous: the wake-up comes within one poll (0.1 s here) or one notification


def _woken_by_other_store(url: str) -> None:
    here, other = EventStore(url), EventStore(url)  # two engines: as two processes
    woken = threading.Event()
    watch = RecordWatch(here, woken.set, poll_interval_s=0.1)
    watch.start()
    try:
        if watch.backend == "postgresql":  # connecting wakes once (records may have come meanwhile)
            assert woken.wait(WAIT_S)
            woken.clear()
        other.append(new_record("elsewhere"))
        assert woken.wait(WAIT_S), "a record stored by another process did not wake this one"
        woken.clear()
        assert not woken.wait(0.5)  # nothing new: no wake-up
    finally:
        watch.stop()
        here.close()
        other.close()


def test_sqlite_polls_for_records_of_other_processes(tmp_path: Path) -> None:
    _woken_by_other_store(f"sqlite:///{tmp_path / 'gatewatch.db'}")


def test_postgresql_listens_for_records_of_other_processes(postgres_url: str) -> None:
    _woken_by_other_store(postgres_url)


def test_postgresql_listener_reconnects_after_its_connection_is_cut(postgres_url: str) -> None:
    here, other = EventStore(postgres_url), EventStore(postgres_url)
    woken = threading.Event()
    watch = RecordWatch(here, woken.set)
    watch.start()
    try:
        assert woken.wait(WAIT_S)
        woken.clear()
        with other.engine.begin() as connection:  # as a database failover or an idle-connection reaper would
            cut = connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
            ).all()
        assert cut == [(True,)]
        assert woken.wait(WAIT_S), "no wake-up after reconnecting"  # the catch-up wake of the new connection
        woken.clear()
        other.append(new_record("after-the-cut"))
        assert woken.wait(WAIT_S), "a record after the reconnect did not wake this process"
    finally:
        watch.stop()
        here.close()
        other.close()
