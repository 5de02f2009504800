"""Delivery of stored records to the outside: signed webhooks from the outbox, and MQTT."""

from api.delivery.mqtt import MqttPublisher
from api.delivery.retry import RetryPolicy
from api.delivery.webhooks import OutboxWorker, signed_headers, webhook_body

__all__ = ["MqttPublisher", "OutboxWorker", "RetryPolicy", "signed_headers", "webhook_body"]
