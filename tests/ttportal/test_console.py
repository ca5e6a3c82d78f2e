"""The start console: the address and password, then only what a person must see (-v 2: all)."""

from __future__ import annotations

import copy
import io
import logging
import logging.config
import warnings

import pytest
from django.conf import settings
from django.core.management import call_command

from ttportal import console
from ttportal.runner import Role, Supervisor, python


@pytest.fixture(autouse=True)
def _restore_logging():
    """``up`` and ``serve`` reconfigure this process's logging: put the project's back."""
    kept = copy.deepcopy(settings.LOGGING)
    yield
    settings.LOGGING.clear()
    settings.LOGGING.update(kept)
    logging.config.dictConfig(settings.LOGGING)


@pytest.fixture
def console_at(capsys):
    """Configure the console at a verbosity."""

    def configure(verbosity: int) -> None:
        console.configure(verbosity)
        capsys.readouterr()

    return configure


def routine_and_state_change() -> None:
    logging.getLogger("celery.app.trace").info("Task check_all_health succeeded")
    logging.getLogger("celery.beat").info("Scheduler: Sending due task check-gateway-health")
    logging.getLogger("gateways.services.status").info("gateway 1 (Kitchen): online -> offline")
    logging.getLogger("gateways.services.pairing").info("gateway 1 (Kitchen) paired")
    logging.getLogger("orders.services.pull").warning("history pull of gateway 1 failed")


def test_the_quiet_console_shows_state_changes_and_warnings_not_routine_probes(console_at, capsys):
    console_at(1)
    routine_and_state_change()

    shown = capsys.readouterr().err
    assert "online -> offline" in shown
    assert "paired" in shown
    assert "history pull of gateway 1 failed" in shown
    assert "Task check_all_health" not in shown
    assert "Sending due task" not in shown


def test_a_second_django_setup_keeps_the_console_quiet(capsys):
    console.configure(1, keep_in=settings.LOGGING)
    logging.config.dictConfig(settings.LOGGING)  # what Celery's Django fix-up does at start
    capsys.readouterr()

    routine_and_state_change()

    assert "Task check_all_health" not in capsys.readouterr().err


def test_verbosity_two_brings_the_routine_lines_back(console_at, capsys):
    console_at(2)
    routine_and_state_change()

    shown = capsys.readouterr().err
    assert "Task check_all_health succeeded" in shown
    assert "Sending due task" in shown


class Terminal(io.StringIO):
    """A console a person reads (the password is shown only on one)."""

    def isatty(self) -> bool:
        return True


def test_up_shows_the_address_and_the_password_together_and_says_when_it_stopped(
    db, monkeypatch, capsys
):
    def run(self, on_ready=None):
        on_ready()
        return 0

    monkeypatch.setattr(Supervisor, "run", run)
    # In the scaled pass this process runs on keys it generated; up would rightly refuse.
    monkeypatch.setattr(settings, "TTPORTAL_SINGLE_BOX", True)

    terminal = Terminal()
    with pytest.raises(SystemExit) as ended:
        call_command("up", "--port", "8099", stdout=terminal)

    out = terminal.getvalue().splitlines()
    address = next(i for i, line in enumerate(out) if "open http://127.0.0.1:8099/" in line)
    assert "sign in as 'admin' with password" in out[address + 1]
    assert "-v 2" in out[address + 2]
    assert out[-1] == "TT Portal stopped."
    assert ended.value.code == 0


def test_the_runner_says_it_is_stopping_when_told_to(monkeypatch):
    said: list[str] = []
    supervisor = Supervisor(
        [Role("sleeper", python("-c", "import time; time.sleep(30)"))], said.append
    )
    monkeypatch.setattr(supervisor, "_install_signal_handlers", lambda: None)

    def ask_to_stop() -> None:
        supervisor._stopping = True  # what Ctrl-C does

    assert supervisor.run(on_ready=ask_to_stop) == 0
    assert said
    assert said[-1].startswith("Stopping")


def test_serve_starts_without_the_missing_static_directory_warning(monkeypatch, tmp_path, db):
    from whitenoise.middleware import WhiteNoiseMiddleware  # type: ignore[import-untyped]

    monkeypatch.setattr(settings, "STATIC_ROOT", tmp_path / "static")
    monkeypatch.setattr("ttportal.management.commands.serve.serve", lambda *a, **k: None)
    # In the scaled pass this process runs on keys it generated; serve would rightly refuse.
    monkeypatch.setattr(settings, "TTPORTAL_SINGLE_BOX", True)
    call_command("serve")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        WhiteNoiseMiddleware(lambda request: None)
