"""Request body limits in front of the app (pure ASGI): nothing parses or authenticates an oversized body.

``BodyLimit`` answers 413 at once when ``Content-Length`` is over the limit, and otherwise counts the bytes
as they stream in and stops reading at the limit (chunked uploads have no length to check up front).
The 413 closes the connection, so uvicorn does not go on reading and discarding the rest of the upload.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatewatch.vision.errors import UserError


class BodyTooLarge(HTTPException, UserError):
    """Raised from ``receive`` past the limit. An HTTPException, so FastAPI's body reading re-raises it as is
    (it turns other exceptions into a 400) and Starlette renders it; ``BodyLimit`` catches it otherwise.
    A UserError: the client sent too much, and the message says how much is accepted."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes", headers={"connection": "close"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


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
