from __future__ import annotations

import pytest

from gateways import services
from gateways.models import Gateway, PairingAttempt
from tests.portal_fixtures import pair

pytestmark = pytest.mark.django_db


def test_pairing_inside_the_window_stores_a_token_and_brings_the_gateway_online(gateway, sim):
    attempt = pair(gateway, sim)

    gateway.refresh_from_db()
    assert attempt.outcome == PairingAttempt.Outcome.PAIRED
    assert gateway.status == Gateway.Status.ONLINE
    token = gateway.current_token()
    assert token is not None
    assert token.reveal() in sim.state.tokens


def test_a_button_pressed_after_clicking_pair_still_pairs(gateway, sim):
    attempt = services.start_pairing(gateway, None)
    presses: list[float] = []

    def person_presses_the_button_now(seconds: float) -> None:
        if not presses:
            presses.append(seconds)
            sim.controls.press_button()

    finished = services.run_pairing(attempt.pk, sleep=person_presses_the_button_now)

    assert finished.outcome == PairingAttempt.Outcome.PAIRED
    assert finished.polls == 2


def test_pairing_without_a_button_press_ends_clearly_as_a_missed_window(gateway, sim):
    attempt = services.run_pairing(services.start_pairing(gateway, None).pk)

    gateway.refresh_from_db()
    assert attempt.outcome == PairingAttempt.Outcome.MISSED
    assert "Press the gateway's button" in attempt.message
    assert attempt.polls > 1, "the portal keeps asking for the whole window"
    assert gateway.status == Gateway.Status.UNPAIRED
    assert gateway.current_token() is None


def test_pairing_a_gateway_that_never_answers_says_it_was_unreachable(gateway, sim):
    sim.stop()
    attempt = services.run_pairing(services.start_pairing(gateway, None).pk)

    assert attempt.outcome == PairingAttempt.Outcome.UNREACHABLE
    assert "did not answer" in attempt.message


def test_a_second_click_while_waiting_joins_the_running_attempt(gateway):
    first = services.start_pairing(gateway, None)
    second = services.start_pairing(gateway, None)

    assert first.pk == second.pk


def test_running_a_finished_attempt_again_changes_nothing(gateway, sim):
    attempt = pair(gateway, sim)
    polls = attempt.polls

    again = services.run_pairing(attempt.pk)

    assert again.outcome == PairingAttempt.Outcome.PAIRED
    assert again.polls == polls
    assert gateway.tokens.count() == 1


def test_pairing_again_retires_the_old_token(paired_gateway, sim):
    old = paired_gateway.current_token()

    assert pair(paired_gateway, sim).outcome == PairingAttempt.Outcome.PAIRED

    old.refresh_from_db()
    assert old.revoked is not None
    assert paired_gateway.current_token().pk != old.pk
