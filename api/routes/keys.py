"""API keys (admin): the key itself is returned once at creation; only its hash is stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from gatewatch.api.deps import Admin, ServiceDep
from gatewatch.api.json_route import StrictJsonRoute
from gatewatch.api.schemas.admin import KeyCreatedOut, KeyIn, KeyOut
from gatewatch.api.schemas.common import error_responses
from gatewatch.store import create_api_key, list_api_keys, revoke_api_key

router = APIRouter(route_class=StrictJsonRoute, prefix="/keys", tags=["keys"])


@router.get("", response_model=list[KeyOut], responses=error_responses(401, 403), summary="List keys (no secrets)")
def list_keys(service: ServiceDep, _who: Admin) -> list[KeyOut]:
    return [KeyOut.of(k) for k in list_api_keys(service.store.sessions)]


@router.post(
    "", status_code=201, response_model=KeyCreatedOut, responses=error_responses(401, 403, 422), summary="Create a key"
)
def create_key(body: KeyIn, service: ServiceDep, _who: Admin) -> KeyCreatedOut:
    info, token = create_api_key(service.store.sessions, body.name, body.role)
    return KeyCreatedOut(**KeyOut.of(info).model_dump(), key=token)


@router.delete(
    "/{key_id}",
    status_code=204,
    responses=error_responses(401, 403, 404),
    summary="Revoke a key (kept, listed revoked)",
)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**62, description="Key id.")], service: ServiceDep, _who: Admin
) -> None:
    if not revoke_api_key(service.store.sessions, key_id):
        raise HTTPException(404, f"no active key {key_id}")
