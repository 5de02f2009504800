"""Webhook subscriptions (admin): each receives every stored record of its event types, signed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from gatewatch.api.deps import Admin, ServiceDep
from gatewatch.api.json_route import StrictJsonRoute
from gatewatch.api.schemas.admin import WebhookCreatedOut, WebhookIn, WebhookOut
from gatewatch.api.schemas.common import error_responses
from gatewatch.delivery.targets import target_problem

router = APIRouter(route_class=StrictJsonRoute, prefix="/webhooks", tags=["webhooks"])

SubscriptionId = Annotated[int, Path(ge=1, le=2**62, description="Subscription id.")]


@router.get("", response_model=list[WebhookOut], responses=error_responses(401, 403), summary="List subscriptions")
def list_webhooks(service: ServiceDep, _who: Admin) -> list[WebhookOut]:
    return [WebhookOut.of(s) for s in service.store.subscriptions.list_all()]


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreatedOut,
    responses=error_responses(401, 403, 422),
    summary="Subscribe a URL (the response holds the signing secret, once)",
)
def create_webhook(body: WebhookIn, service: ServiceDep, _who: Admin) -> WebhookCreatedOut:
    """URLs resolving to loopback, link-local or private addresses are refused unless
    GATEWATCH_WEBHOOK_ALLOW_PRIVATE_TARGETS is on."""
    problem = target_problem(body.url, allow_private=service.settings.webhook_allow_private_targets)
    if problem is not None:
        raise HTTPException(422, f"webhook url: {problem}")
    try:
        sub = service.store.subscriptions.create(body.url, body.event_types, body.secret)
    except ValueError as exc:  # URL or secret the store's checks refuse
        raise HTTPException(422, str(exc)) from exc
    return WebhookCreatedOut.created(sub)


@router.delete(
    "/{subscription_id}", status_code=204, responses=error_responses(401, 403, 404), summary="Delete a subscription"
)
def delete_webhook(subscription_id: SubscriptionId, service: ServiceDep, _who: Admin) -> None:
    service.store.subscriptions.delete(subscription_id)
