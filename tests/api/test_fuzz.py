"""Property-based fuzzing of every operation in the served OpenAPI schema (schemathesis): never a 5xx.

Runs against the real app on loopback with an admin key, so requests get past authentication and
exercise validation and the handlers (valid and invalid inputs: schemathesis' positive and negative
modes). Endless streams (SSE, MJPEG) are left out: a fuzzer cannot wait for their end.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.result import Ok

from gatewatch.store import create_api_key, lookup_api_key
from tests.api.conftest import RunningApp, sample_config
from tests.event_records import new_record

MAX_EXAMPLES = 12  # per operation and mode: ~30 operations x 2 modes stay well under 2 minutes
STREAMS = re.compile(r"/stream(\.mjpeg)?$")


def no_undocumented_server_error(
    ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> None:
    """A 5xx fails, except a 503 the operation documents (a fuzz-created camera has no frame yet)."""
    if response.status_code == 503 and case.operation.responses.find_by_status_code(503) is not None:
        return
    not_a_server_error(ctx, response, case)


@pytest.mark.slow
def test_no_input_makes_the_api_fail_with_a_server_error(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    store = app.service.store
    for i in range(3):  # something for the event routes to find (ids e0..e2)
        store.append(new_record(f"e{i}"))
    key = [app.key("admin")]

    def admin_headers() -> dict[str, str]:
        # The fuzzer may revoke keys (DELETE /keys/{id}): keep a valid admin key for the next request.
        if lookup_api_key(store.sessions, key[0]) is None:
            key[0] = create_api_key(store.sessions, "fuzz-admin", "admin")[1]
        return {"authorization": f"Bearer {key[0]}"}

    schema = schemathesis.openapi.from_url(f"{app.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    fuzzed = [op for op in operations if not STREAMS.search(op.path)]
    assert len(fuzzed) >= 20
    started, calls = time.monotonic(), [0]
    for operation in fuzzed:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                database=None,  # no .hypothesis/ folder in the tree; every run explores afresh
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case[Any]) -> None:
                calls[0] += 1
                case.call_and_validate(
                    base_url=app.base_url, headers=admin_headers(), checks=[no_undocumented_server_error], timeout=30
                )

            try:
                call()
            except Unsatisfiable:
                # No invalid input exists for an operation without parameters or body (e.g. GET /healthz).
                assert mode == GenerationMode.NEGATIVE, operation.label
    assert calls[0] >= 5 * len(fuzzed)  # the fuzzer really sent requests, several per operation
    assert time.monotonic() - started < 120
