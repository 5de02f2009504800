"""Shared response models: errors, health, info, who am I."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class StrictIn(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="What went wrong; a list of field errors (with their path in `loc`) for invalid input."
    )
    required_roles: list[str] | None = Field(None, description="On 401/403: the roles that may call this route.")


class HealthOut(BaseModel):
    status: Literal["ok"] = Field(description="The process is up and serving HTTP.")


class ReadyOut(BaseModel):
    ready: bool = Field(description="True when every check passes.")
    checks: dict[str, bool] = Field(description="model: detector loaded; store: database writable; pipeline: running.")
    reasons: dict[str, str] = Field(
        default_factory=dict,
        description="Why a failed check failed, by check (store: the database's error and records held).",
    )


class InfoOut(BaseModel):
    version: str = Field(description="gatewatch version.")
    timezone: str = Field(description="IANA time zone the console displays times in (all API times are UTC).")
    insecure_local: bool = Field(description="Keyless read access from loopback is on (--insecure-local).")


class LoginIn(StrictIn):
    key: str = Field(min_length=1, max_length=200, description="An API key (gw_...).")


class WhoAmIOut(BaseModel):
    name: str = Field(description="The key's name, or 'local' for keyless loopback access.")
    role: Literal["viewer", "operator", "admin", "alarm", "local"] = Field(description="The caller's role.")


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting ErrorOut for each status code."""
    reasons = {
        400: "Bad request (e.g. an invalid cursor)",
        401: "Missing or invalid API key",
        403: "The key's role may not do this",
        404: "Not found",
        409: "Conflict with the current state",
        422: "Invalid input",
        503: "Not ready, or the store cannot write now",
    }
    return {code: {"model": ErrorOut, "description": reasons.get(code, "Error")} for code in codes}
