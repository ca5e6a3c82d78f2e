"""The single-box runner: starts each role as a child process and stops them all together.

Used by ``manage.py up``. A role that dies takes the others down with it, so a half-running
portal never looks healthy; Ctrl-C (SIGINT) or SIGTERM stops every child cleanly.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

STOP_GRACE_SECONDS = 10.0


@dataclass
class Role:
    """One process of the portal: a name for its log prefix and the command that runs it."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class _Running:
    role: Role
    process: subprocess.Popen[bytes]
    buffer: bytes = b""


class Supervisor:
    """Runs roles, prefixes their output with the role's name, and stops them as one."""

    def __init__(self, roles: Sequence[Role], write: Callable[[str], None] | None = None) -> None:
        self.roles = list(roles)
        self.write = write or (lambda line: print(line, flush=True))
        self.running: list[_Running] = []
        self._stopping = False

    def start(self) -> None:
        for role in self.roles:
            process = subprocess.Popen(  # noqa: S603 - argv built by us, never a shell
                role.argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **role.env},
                start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
            )
            self.running.append(_Running(role, process))

    def run(self, on_ready: Callable[[], None] | None = None) -> int:
        """Start every role and relay its output until one exits or we are told to stop."""
        self._install_signal_handlers()
        self.start()
        if on_ready is not None:
            on_ready()
        try:
            return self._pump()
        finally:
            if self._stopping:
                self.write("Stopping: the portal finishes what it is doing (a few seconds)…")
            self.stop()

    def _install_signal_handlers(self) -> None:
        def request_stop(signum: int, _frame: object) -> None:
            self._stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

    def _pump(self) -> int:
        selector = selectors.DefaultSelector()
        for child in self.running:
            assert child.process.stdout is not None
            os.set_blocking(child.process.stdout.fileno(), False)
            selector.register(child.process.stdout, selectors.EVENT_READ, child)
        while not self._stopping:
            for key, _ in selector.select(timeout=0.5):
                self._relay(key.data)
            for child in self.running:
                code = child.process.poll()
                if code is not None:
                    self._relay(child)
                    self.write(f"[up] {child.role.name} exited with code {code}; stopping all")
                    return code or 1
        return 0

    def _relay(self, child: _Running) -> None:
        assert child.process.stdout is not None
        with contextlib.suppress(BlockingIOError):
            chunk = child.process.stdout.read()
            if chunk:
                child.buffer += chunk
        *lines, child.buffer = child.buffer.split(b"\n")
        for line in lines:
            self.write(f"{child.role.name:>10} | {line.decode(errors='replace')}")

    def stop(self) -> None:
        """SIGTERM every child, wait, then SIGKILL what is left."""
        for child in self.running:
            if child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.running:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.process.wait(remaining)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        self.running.clear()


def python(*args: str) -> list[str]:
    """A command line for this very interpreter (the project's virtual environment)."""
    return [sys.executable, *args]
