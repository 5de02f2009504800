"""Delivery of stored records to the outside: signed webhooks from the outbox, and MQTT."""

from gatewatch.delivery.mqtt import MqttPublisher
from gatewatch.delivery.retry import RetryPolicy
from gatewatch.delivery.webhooks import OutboxWorker, signed_headers, webhook_body

__all__ = ["MqttPublisher", "OutboxWorker", "RetryPolicy", "signed_headers", "webhook_body"]
