"""Gateways: sites, memberships, paired gateways and their tokens; discovery, pairing, health,
and the relay. The device toolkit they talk through is :mod:`ttgateway`, which knows nothing of
Django; this app depends on it, never the reverse.
"""
