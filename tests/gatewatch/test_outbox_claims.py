"""Outcome writes respect the claim: a dispatcher that stalled past its lease cannot overwrite a newer claim's
outcome, on SQLite and on a real PostgreSQL; databases made before the claim token still open.

A "stalled dispatcher" here is a claim whose lease has run out while another store (another process's
engine) claimed the same row again: the claims pass an explicit ``now`` past the lease instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
from collections.abc import Callable

import psycopg
import pytest
from prometheus_client import REGISTRY

from gatewatch.delivery import OutboxWorker
from gatewatch.service_metrics import DELIVERIES, DeliveryCounts
from gatewatch.store import EventStore
from tests.event_records import new_record
from tests.webhook_receiver import Receiver

LEASE = dt.timedelta(seconds=30)


def _after_lease() -> dt.datetime:
    """A time past any claim's lease here (the worker's own lease is 35 s)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)


def test_a_stale_claims_outcome_is_refused_and_the_newer_one_stands(database_url: str) -> None:
    stalled, current = EventStore(database_url), EventStore(database_url)
    stalled.subscriptions.create("http://127.0.0.1:1/hook")
    seq = stalled.append(new_record("e1"))
    [old_claim] = stalled.outbox.claim_due(dt.datetime.now(dt.UTC), 1, LEASE)
    [new_claim] = current.outbox.claim_due(_after_lease(), 1, LEASE)  # the first lease ran out
    assert (new_claim.outbox_id, new_claim.attempt) == (old_claim.outbox_id, 2)

    assert current.outbox.succeeded(new_claim, 204)
    assert not stalled.outbox.give_up(old_claim, "HTTP 503", 503)  # would have turned delivered into failed
    assert not stalled.outbox.retry_at(old_claim, _after_lease(), "HTTP 503", 503)
    assert not current.outbox.succeeded(new_claim, 204)  # one claim, one outcome: not marked twice

    [view] = current.delivery_status("e1")
    assert (view.seq, view.status, view.attempts, view.last_status_code, view.last_error) == (
        seq,
        "delivered",
        2,
        204,
        None,
    )
    for store in (stalled, current):
        store.close()


def test_an_outcome_within_the_lease_is_stored_and_the_row_claimed_again(database_url: str) -> None:
    store = EventStore(database_url)
    store.subscriptions.create("http://127.0.0.1:1/hook")
    store.append(new_record("e2"))
    [first] = store.outbox.claim_due(dt.datetime.now(dt.UTC), 1, LEASE)
    retry_at = dt.datetime.now(dt.UTC)
    assert store.outbox.retry_at(first, retry_at, "HTTP 500", 500)
    [second] = store.outbox.claim_due(retry_at, 1, LEASE)
    assert second.claim_token != first.claim_token and second.attempt == 2
    assert not store.outbox.succeeded(first, 204)  # the first claim ended with its retry
    assert store.outbox.give_up(second, "HTTP 500", 500)
    assert store.delivery_status("e2")[0].status == "failed"
    store.close()


def test_a_worker_whose_claim_was_taken_counts_it_and_leaves_the_newer_claim(
    database_url: str, webhook_receiver: Callable[[Receiver], str], caplog: pytest.LogCaptureFixture
) -> None:
    """The receiver answers the worker's request only after a second dispatcher re-claimed the row."""
    store, other = EventStore(database_url), EventStore(database_url)
    sub = store.subscriptions.create("http://127.0.0.1:1/placeholder")
    taken = []

    def reclaim_then_accept(_msg_id: str, _nth: int) -> int:
        taken.extend(other.outbox.claim_due(_after_lease(), 1, LEASE))  # as if the worker had stalled
        return 204

    store.subscriptions.update(sub.id, url=webhook_receiver(Receiver(sub.secret, reclaim_then_accept)))
    worker = OutboxWorker(store, poll_interval_s=0.02, allow_private_targets=True)
    DELIVERIES.bind("webhook", lambda: DeliveryCounts(worker.attempts_total, 0, worker.lost_claims_total))
    caplog.set_level(logging.WARNING, logger="gatewatch.delivery.webhooks")
    worker.start()
    try:
        store.append(new_record("e3", type="weapon"))
        _wait_for(lambda: worker.attempts_total == 1)
    finally:
        worker.stop()
    try:
        assert len(taken) == 1 and worker.lost_claims_total == 1
        assert REGISTRY.get_sample_value("gatewatch_delivery_lost_claims_total", {"channel": "webhook"}) == 1
        assert "not stored: the claim was lost to another dispatcher" in caplog.text
        [view] = store.delivery_status("e3")
        assert (view.status, view.attempts) == ("pending", 2)  # the second claim's, still open
        assert other.outbox.succeeded(taken[0], 204)
        assert store.delivery_status("e3")[0].status == "delivered"
    finally:
        DELIVERIES.bind("webhook", None)
        for s in (store, other):
            s.close()


def _wait_for(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _as_made_before_claim_tokens(database_url: str) -> None:
    """Turn a current database into what the previous version made: webhook_outbox without claim_token."""
    statement = "ALTER TABLE webhook_outbox DROP COLUMN claim_token"
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            db.execute(statement)
    else:
        with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as db:
            db.execute(statement)


def test_a_database_made_before_claim_tokens_is_upgraded_once_in_place(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = EventStore(database_url)
    store.subscriptions.create("http://127.0.0.1:1/hook")
    store.append(new_record("e4"))
    [claimed_by_old_version] = store.outbox.claim_due(dt.datetime.now(dt.UTC), 1, LEASE)
    store.close()
    _as_made_before_claim_tokens(database_url)
    caplog.set_level(logging.WARNING, logger="gatewatch.store.db")

    opened: list[EventStore] = []
    starts = [threading.Thread(target=lambda: opened.append(EventStore(database_url))) for _ in range(2)]
    for t in starts:  # two replicas starting at once: one adds the column, the other finds it
        t.start()
    for t in starts:
        t.join()
    assert len(opened) == 2
    upgrades = [r.getMessage() for r in caplog.records if "upgraded in place" in r.getMessage()]
    assert len(upgrades) == 1 and "webhook_outbox.claim_token" in upgrades[0]

    store = opened[0]
    [view] = store.delivery_status("e4")
    assert (view.status, view.attempts) == ("pending", 1)  # the old version's row, kept
    assert not store.outbox.succeeded(claimed_by_old_version, 204)  # its token was never stored
    [claim] = store.outbox.claim_due(_after_lease(), 1, LEASE)
    assert store.outbox.succeeded(claim, 204)
    assert store.delivery_status("e4")[0].status == "delivered"
    for s in opened:
        s.close()
    caplog.clear()
    EventStore(database_url).close()  # a current database: nothing to add, nothing said
    assert "upgraded in place" not in caplog.text
