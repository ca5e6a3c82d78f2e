"""What the gateways app announces, so that other apps can act on it without being imported here.

The gateways app sits below orders: it must not import it. Orders connects its receivers in its
``AppConfig.ready``.
"""

from __future__ import annotations

from django.dispatch import Signal

gateway_paired = Signal()
"""Sent once a pairing is committed, with ``gateway``: the Gateway that now holds a token."""

gateway_status_changed = Signal()
"""Sent inside the transaction that moves a gateway's status, with ``gateway`` (its new
``status`` set): receivers write in that same transaction (the orders app's event log)."""
