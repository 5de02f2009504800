"""A minimal Server-Sent Events reader over httpx (the parsing rules of the HTML spec, for our fields)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Message:
    id: str | None
    event: str | None
    data: str | None
    comment: str | None

    def json(self) -> dict[str, Any]:
        assert self.data is not None
        return json.loads(self.data)


def messages(response: httpx.Response) -> Iterator[Message]:
    """Messages (and comment-only blocks, e.g. keep-alives) as they arrive on an open stream."""
    fields: dict[str, list[str]] = {}
    for line in response.iter_lines():
        if line == "":
            if fields:
                yield Message(
                    id=_last(fields, "id"),
                    event=_last(fields, "event"),
                    data="\n".join(fields["data"]) if "data" in fields else None,
                    comment="\n".join(fields[""]) if "" in fields else None,
                )
            fields = {}
            continue
        name, _, value = line.partition(":")
        fields.setdefault(name, []).append(value.removeprefix(" "))


def _last(fields: dict[str, list[str]], name: str) -> str | None:
    return fields[name][-1] if name in fields else None


def records(response: httpx.Response) -> Iterator[Message]:
    """Only the messages that carry a record (skips the opening comment and keep-alives)."""
    return (m for m in messages(response) if m.data is not None)
