"""What the single box's console shows: the address and password, then what a person must see.

Routine work (health probes every few seconds, Celery's "task received / succeeded", beat's
"sending due task", Daphne's start-up chatter, the simulator's access log) would push the
one-time admin password off the screen within seconds. By default the console shows warnings,
errors and the state changes a person acts on (a gateway found, moved, going offline, paired);
``-v 2`` brings everything back, ``-v 3`` adds debug.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers whose INFO lines are state changes, not routine: they stay on a quiet console.
STATE_CHANGES = (
    "gateways.services.status",  # online / offline / needs pairing
    "gateways.services.pairing",  # paired
    "gateways.services.discovery",  # a gateway found, moved, or not found at an address
    "ttportal.singlebox",  # stopping
)


def level_for(verbosity: int, default: str = "INFO") -> str:
    """The level of routine loggers for a ``-v`` verbosity."""
    if verbosity >= 3:
        return "DEBUG"
    return default if verbosity >= 2 else "WARNING"


def logging_config(verbosity: int, default: str = "INFO") -> dict[str, Any]:
    """A ``dictConfig`` for the console at this verbosity."""
    routine = level_for(verbosity, default)
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["console"], "level": routine},
        "loggers": {},
    }
    if verbosity < 2:
        config["loggers"] = {name: {"level": default} for name in STATE_CHANGES}
        # The in-memory broker has no host name, and kombu warns so on every connection.
        config["loggers"]["kombu.connection"] = {"level": "ERROR"}
    return config


def configure(verbosity: int, default: str = "INFO", keep_in: dict[str, Any] | None = None) -> None:
    """Set the console's logging for this process (``up`` and ``serve`` call it).

    ``keep_in`` (Django's ``settings.LOGGING``) is updated too: Celery's Django fix-up calls
    ``django.setup()`` again when the embedded worker starts, which re-applies that dict.
    """
    config = logging_config(verbosity, default)
    if keep_in is not None:
        keep_in.clear()
        keep_in.update(config)
    logging.config.dictConfig(config)
    # Loggers configured before us (Celery, Daphne) keep their own levels: reset them.
    routine = level_for(verbosity, default)
    for name in ("celery", "kombu", "daphne", "aiohttp", "django.channels.server"):
        logging.getLogger(name).setLevel(routine)
