"""Webhooks: filled in below."""

from __future__ import annotations


def enqueue_deliveries(event_id: int) -> None:
    """Placeholder until the webhook models land."""
