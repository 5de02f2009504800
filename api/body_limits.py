"""Request body limits in front of the app (pure ASGI): nothing parses or authenticates an oversized body.

``BodyLimit`` answers 413 at once when ``Content-Length`` is over the limit, and otherwise counts the bytes
as they stream in and stops reading at the limit (chunked uploads have no length to check up front).
The 413 closes the connection, so uvicorn does not go on reading and discarding the rest of the upload.

``StrictJson`` (inside ``BodyLimit``, so it never holds more than the limit) parses JSON bodies with
pydantic-core's parser, which refuses ``NaN``/``Infinity`` and lone surrogates: Python's ``json`` accepts
both, and they later fail as 500s when a response or a hash has to encode them. pydantic-core rather than
``json.loads`` plus a tree walk: it is already a dependency, is faster, and names line and column.
"""

from __future__ import annotations

import json

from pydantic_core import from_json
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` past the limit. An HTTPException, so FastAPI's body reading re-raises it as is
    (it turns other exceptions into a 400) and Starlette renders it; ``BodyLimit`` catches it otherwise."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes", headers={"connection": "close"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def is_json(content_type: str | None) -> bool:
    """What FastAPI parses as JSON: no content type at all, ``application/json`` or ``application/*+json``."""
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def send_json(send: Send, status: int, body: object, headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        # A malformed Content-Length never gets here: the HTTP server answers 400 first.
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:  # the app answered without reading everything, then read on: nothing left to say
                return
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        detail = f"request body larger than {self.max_bytes} bytes"
        await send_json(send, 413, {"detail": detail}, {"connection": "close"})


class StrictJson:
    """422 for JSON bodies with NaN/Infinity or lone surrogates; other bodies pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in BODY_METHODS
            or not is_json(_header(scope, b"content-type"))
        ):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # client gone: let the app see the disconnect
                await self.app(scope, _replay(b"", receive, message), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = json_problem(body)
        if problem is not None:
            issue = {"loc": ["body"], "msg": f"JSON decode error: {problem}", "type": "json_invalid"}
            await send_json(send, 422, {"detail": [issue]})
            return
        await self.app(scope, _replay(body, receive), send)


def json_problem(body: bytes) -> str | None:
    """Why ``body`` is not strict JSON (NaN, Infinity, lone surrogates, syntax), or None (empty is fine)."""
    if not body.strip():
        return None
    try:
        from_json(body, allow_inf_nan=False)
    except ValueError as exc:
        return str(exc)[:200]
    return None


def _replay(body: bytes, receive: Receive, first: Message | None = None) -> Receive:
    """A receive that hands the app the buffered body once, then the real channel (disconnects)."""
    pending: list[Message] = (
        [first] if first is not None else [{"type": "http.request", "body": body, "more_body": False}]
    )

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
