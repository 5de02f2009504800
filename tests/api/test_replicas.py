"""Two API processes (``gatewatch serve``) on one real PostgreSQL: SSE on every replica, resume on another.

A record stored through one replica wakes the other's /events/stream through LISTEN/NOTIFY: the stream
is read with a 10 s timeout, well under the 30 s idle re-check and the 15 s keep-alive, so only the
notification can deliver it in time. Then the first replica is killed with SIGKILL and a client resumes
by Last-Event-ID on the second: it gets exactly the records it missed, in order.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gatewatch.store import EventStore, create_api_key
from tests.api.conftest import sample_config
from tests.api.sse_client import Message, records
from tests.event_records import new_record

STREAM_TIMEOUT = httpx.Timeout(10.0, read=10.0)


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(config: Path, database_url: str, data_dir: Path) -> Replica:
    port = _free_port()
    env = {**os.environ, "GATEWATCH_DATABASE_URL": database_url, "GATEWATCH_DATA_DIR": str(data_dir)}
    log = data_dir.with_suffix(".log")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gatewatch.cli", "serve", "--config", str(config), "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    replica = Replica(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"gatewatch serve exited:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"gatewatch serve did not start:\n{log.read_text()}"
        try:
            if httpx.get(f"{replica.base_url}/healthz", timeout=1.0).status_code == 200:
                return replica
        except httpx.TransportError:
            pass
        time.sleep(0.1)


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Replica, Replica]]:
    config = tmp_path / "gatewatch.yaml"
    config.write_text(json.dumps(sample_config(rules=False)))  # JSON is YAML; a camera that raises no events
    started = [_start(config, postgres_url, tmp_path / f"replica{n}") for n in range(2)]
    yield started[0], started[1]
    for replica in started:
        if replica.process.poll() is None:
            replica.process.send_signal(signal.SIGTERM)
            replica.process.wait(30)


@contextmanager
def _stream(replica: Replica, key: str, last_event_id: int | None = None) -> Iterator[Iterator[Message]]:
    headers = {"authorization": f"Bearer {key}"}
    if last_event_id is not None:
        headers["last-event-id"] = str(last_event_id)
    with (
        httpx.Client(base_url=replica.base_url, timeout=STREAM_TIMEOUT) as client,
        client.stream("GET", "/events/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        yield records(response)


def _take(stream: Iterator[Message], n: int) -> list[Message]:
    return list(itertools.islice(stream, n))


def test_records_reach_every_replica_and_resume_on_another(
    replicas: tuple[Replica, Replica], postgres_url: str
) -> None:
    first, second = replicas
    node = EventStore(postgres_url)  # a camera node writing to the same database
    reader = create_api_key(node.sessions, "relay", "alarm")[1]
    operator = create_api_key(node.sessions, "desk", "operator")[1]

    with _stream(second, reader) as on_second:
        new_seq = node.append(new_record("gate-1"))
        acked = httpx.post(
            f"{first.base_url}/events/gate-1/ack", headers={"authorization": f"Bearer {operator}"}, timeout=10
        )
        assert acked.status_code == 200
        ack_seq = acked.json()["last_seq"]
        seen = _take(on_second, 2)  # stored by another process: only NOTIFY wakes this stream in time
        assert [(int(m.id or 0), m.event) for m in seen] == [(new_seq, "event.new"), (ack_seq, "event.acknowledged")]
        assert seen[1].json()["data"]["action"]["actor"] == "desk"

    with _stream(first, reader, last_event_id=ack_seq) as on_first:
        live_seq = node.append(new_record("gate-2"))
        (got,) = _take(on_first, 1)
        assert int(got.id or 0) == live_seq
        first.process.send_signal(signal.SIGKILL)  # the replica dies with the client connected
        first.process.wait(10)
    missed = [node.append(new_record(f"gate-{n}")) for n in (3, 4)]
    dismissed = httpx.post(
        f"{second.base_url}/events/gate-3/dismiss", headers={"authorization": f"Bearer {operator}"}, timeout=10
    )
    assert dismissed.status_code == 200
    missed.append(dismissed.json()["last_seq"])

    with _stream(second, reader, last_event_id=live_seq) as resumed:
        replayed = _take(resumed, 3)
    assert [int(m.id or 0) for m in replayed] == missed
    assert [m.event for m in replayed] == ["event.new", "event.new", "event.dismissed"]
    node.close()
