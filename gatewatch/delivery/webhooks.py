"""Outbox worker: sends due webhook deliveries, signed per Standard Webhooks, retrying with backoff."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import httpx
from sqlalchemy.exc import SQLAlchemyError
from standardwebhooks import Webhook

from gatewatch.delivery.retry import RetryPolicy
from gatewatch.delivery.targets import target_problem
from gatewatch.redaction import redact_url
from gatewatch.store import Delivery, EventStore, StoredRecord

log = logging.getLogger(__name__)

Outcome = Literal["delivered", "retry", "failed"]
# One outcome write, as (delivery, store call): the call returns False when the claim was lost.
OutcomeWrite = tuple[Delivery, Callable[[], bool]]
DEFAULT_POLICY = RetryPolicy()


def webhook_body(record: StoredRecord) -> bytes:
    return json.dumps(record.to_json(), separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(secret: str, msg_id: str, body: bytes, now: dt.datetime) -> dict[str, str]:
    """Standard Webhooks headers: v1 is base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" with the secret."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
        "content-type": "application/json",
    }


class OutboxWorker:
    """Background thread that drains the store's webhook outbox; ``start()``/``stop()``.

    Deliveries are claimed from the database, so pending ones survive a restart and are resumed by
    the next worker on the same database. Each subscriber gets its records in seq order, one request
    at a time (see Outbox.claim_due); ``concurrency`` subscribers are served side by side.
    Counters are plain ints for the metrics exporter to read.
    """

    def __init__(
        self,
        store: EventStore,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: float = 10.0,
        poll_interval_s: float = 1.0,
        concurrency: int = 8,
        user_agent: str = "gatewatch-webhooks",
        allow_private_targets: bool = False,
    ) -> None:
        self.store = store
        self.allow_private_targets = allow_private_targets
        self.policy = policy
        self.poll_interval_s = poll_interval_s
        self.concurrency = concurrency
        # A claim outlives one parallel round of sends (connect + write + read timeouts, plus slack).
        self._lease = dt.timedelta(seconds=3 * timeout_s + 5)
        self._client = httpx.Client(timeout=timeout_s, headers={"user-agent": user_agent}, follow_redirects=False)
        self._rng = random.Random()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.attempts_total = 0
        self.delivered_total = 0
        self.failed_attempts_total = 0  # attempts that did not get a 2xx answer
        self.given_up_total = 0  # deliveries marked failed after policy.max_attempts
        # Outcomes refused because another dispatcher had claimed the row again (this one stalled past its lease).
        self.lost_claims_total = 0
        # Outcomes the store could not take (disk full): written before the next claim, so a delivered
        # head of line does not wait out its lease (and is not sent again) once the store is back.
        self._unrecorded: list[OutcomeWrite] = []
        self._unrecorded_lock = threading.Lock()
        # A new record wakes the worker at once instead of at the next poll.
        store.add_listener(lambda _record: self._wake.set())

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("worker already started")
        self._thread = threading.Thread(target=self._run, name="webhook-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the round in flight, then stop; undelivered rows stay pending in the database."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._client.close()

    def wake(self) -> None:
        """Look for due deliveries now (a record was committed by another process on the same database)."""
        self._wake.set()

    def _run(self) -> None:
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="webhook-send") as pool:
            while not self._stopping.is_set():
                try:
                    self._drain(pool)
                except Exception:  # e.g. the database is briefly unavailable: try again next round
                    log.exception("webhook outbox round failed")
                self._wake.wait(self.poll_interval_s)
                self._wake.clear()

    def _drain(self, pool: ThreadPoolExecutor) -> None:
        """Send every delivery due now: one per subscriber per round, ``concurrency`` subscribers at a time."""
        self._record_unrecorded()
        while not self._stopping.is_set():
            batch = self.store.outbox.claim_due(dt.datetime.now(dt.UTC), self.concurrency, self._lease)
            if not batch:
                break
            for outcome in pool.map(self._deliver, batch):
                self.attempts_total += 1
                self.delivered_total += outcome == "delivered"
                self.failed_attempts_total += outcome != "delivered"
                self.given_up_total += outcome == "failed"

    def _deliver(self, delivery: Delivery) -> Outcome:
        now = dt.datetime.now(dt.UTC)
        body = webhook_body(delivery.record)
        # One id per record: the same on every retry, so receivers can drop duplicates.
        headers = signed_headers(delivery.secret, f"msg_{delivery.record.seq}", body, now)
        status: int | None = None
        # Checked again at each delivery: the name may point elsewhere now than at subscription.
        error = target_problem(delivery.url, allow_private=self.allow_private_targets)
        try:
            if error is None:
                response = self._client.post(delivery.url, content=body, headers=headers)
                status = response.status_code
                if response.is_success:
                    self._record(delivery, lambda: self.store.outbox.succeeded(delivery, status))
                    return "delivered"
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if delivery.attempt >= self.policy.max_attempts:
            url = redact_url(delivery.url)
            log.warning("webhook to %s for seq %d failed for good: %s", url, delivery.record.seq, error)
            self._record(delivery, lambda: self.store.outbox.give_up(delivery, error, status))
            return "failed"
        when = now + dt.timedelta(seconds=self.policy.delay_s(delivery.attempt, self._rng))
        self._record(delivery, lambda: self.store.outbox.retry_at(delivery, when, error, status))
        return "retry"

    def _record(self, delivery: Delivery, write: Callable[[], bool]) -> None:
        try:
            self._check_claim(delivery, write())
        except SQLAlchemyError as exc:
            log.warning("webhook outcome not stored (%s): kept to store before the next round", type(exc).__name__)
            with self._unrecorded_lock:
                self._unrecorded.append((delivery, write))

    def _record_unrecorded(self) -> None:
        """Store the kept outcomes, oldest first; raises (skipping this round) while the store still fails."""
        while True:
            with self._unrecorded_lock:
                if not self._unrecorded:
                    return
                delivery, write = self._unrecorded[0]
            self._check_claim(delivery, write())
            with self._unrecorded_lock:
                self._unrecorded.pop(0)

    def _check_claim(self, delivery: Delivery, stored: bool) -> None:
        """Count and log an outcome the store refused: the row was claimed again after this claim's lease."""
        if not stored:
            with self._unrecorded_lock:  # the send pool's threads record outcomes side by side
                self.lost_claims_total += 1
            log.warning(
                "webhook outcome for seq %d (subscription %d, attempt %d) not stored: the claim was lost to "
                "another dispatcher after its lease; that dispatcher's outcome stands",
                delivery.record.seq,
                delivery.subscription_id,
                delivery.attempt,
            )
