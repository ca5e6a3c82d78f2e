"""How pages name gateways, so that two of the same name are never mistaken for each other."""

from __future__ import annotations

from gateways.models import Gateway


def gateway_labels(gateways: list[Gateway]) -> dict[int, str]:
    """How a site's board names each gateway: its name, with its address when two share it."""
    names = [g.name for g in gateways]
    hosts = [(g.name, g.host) for g in gateways]
    labels = {}
    for gateway in gateways:
        label = gateway.name
        if names.count(gateway.name) > 1:
            where = gateway.host
            if hosts.count((gateway.name, gateway.host)) > 1:
                where = f"{gateway.host}:{gateway.port}"
            label = f"{gateway.name} (at {where})"
        labels[gateway.pk] = label
    return labels
