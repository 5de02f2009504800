"""Strict JSON request bodies, parsed once: ``NaN``/``Infinity`` and lone surrogates are a 422, not a 500.

Python's ``json`` (what Starlette's ``Request.json`` uses) accepts both, and they later fail as 500s when a
response or a hash has to encode them. Routers that take JSON bodies use ``StrictJsonRoute`` (FastAPI's
documented way to customise the request): their bodies are parsed by pydantic-core's parser, which refuses
both, names line and column, and is several times faster than ``json`` (a flood of large refused bodies
costs the event loop less). Its error goes to FastAPI as the ``JSONDecodeError`` FastAPI turns into its
usual 422 ``json_invalid``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic_core import from_json


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = from_json(body, allow_inf_nan=False)
            except ValueError as exc:
                raise json.JSONDecodeError(str(exc)[:200], "", 0) from exc
        return self._json


class StrictJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_json_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_json_handler
