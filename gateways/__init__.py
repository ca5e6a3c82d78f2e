"""Gateways: the TT API vocabulary, discovery, pairing, health, and the simulator.

Kept free of Django imports at package level, so ``gateways.simulator`` and ``gateways.protocol``
run without Django installed or configured.
"""
