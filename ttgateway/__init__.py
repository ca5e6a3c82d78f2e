"""The Table Tracker device toolkit: the gateway API v2 vocabulary, a client, and a simulator.

Free of Django and of every portal app, so a POS plugin author can use it on its own
(``tt-simulator``, ``ttgateway.client``); ``tests/ttgateway/test_standalone.py`` holds it to that.

- :mod:`ttgateway.protocol` — return codes, messages, order and event types, validation rules.
- :mod:`ttgateway.client` — the async/sync client of a gateway's REST API and WebSocket.
- :mod:`ttgateway.simulator` — a faithful gateway with hardware and fault controls under ``/_sim/``.
- :mod:`ttgateway.controls` — a typed client of those controls, for tests, demos and benchmarks.
"""
