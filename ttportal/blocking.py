"""Moved to :func:`ttgateway.bridge.run_blocking`; this name stays only for discovery's import.

Discovery's code is being changed on another branch; once it imports ``ttgateway.bridge``,
delete this module.
"""

from ttgateway.bridge import run_blocking

__all__ = ["run_blocking"]
