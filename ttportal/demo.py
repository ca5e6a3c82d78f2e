"""The demo's gateway: a simulator on loopback, put under a demo site and paired like a real one.

Pairing goes through the same service a manager uses (button, then poll), so the demo shows the
product's own path, not a shortcut.
"""

from __future__ import annotations

from gateways import services
from gateways.models import ApiKey, Gateway, PairingAttempt, Site
from orders.services import pull
from ttgateway.controls import SyncSimulatorControls
from ttgateway.waiting import NeverHappened, answers, wait_until

DEMO_SITE = "Demo Restaurant"
STARTUP_SECONDS = 20.0


def ensure_paired_demo_gateway(host: str, port: int) -> Gateway:
    """The demo site's gateway at host:port, paired (once: later starts reuse the token)."""
    url = f"http://{host}:{port}"
    try:
        wait_until(lambda: answers(f"{url}/api/v2"), within=STARTUP_SECONDS)
    except NeverHappened:
        raise RuntimeError(f"the demo gateway at {url} did not start") from None
    site, _ = Site.objects.get_or_create(name=DEMO_SITE, defaults={"target_seconds": 300})
    # Wherever it was filed (discovery may have found it first): one address, one gateway.
    gateway = Gateway.objects.filter(host=host, port=port).first()
    if gateway is None:
        gateway = services.add_by_address(site, host, port)
    if gateway.is_paired:
        return gateway
    with SyncSimulatorControls(url) as controls:
        controls.press_button()
    attempt = services.start_pairing(gateway, None)
    if services.run_pairing(attempt.pk).outcome != PairingAttempt.Outcome.PAIRED:
        raise RuntimeError(f"could not pair the demo gateway: {attempt.message}")
    # The backfill that pairing queues would go to this process's in-memory broker, which no
    # worker serves (the server is another process): copy the demo's two weeks right here.
    pull.pull_gateway(gateway.pk)
    gateway.refresh_from_db()
    return gateway


SANDBOX_KEY_NAME = "Demo sandbox"


def issue_sandbox_key(site: Site) -> str:
    """A fresh write key for the demo site (keys are kept hashed, so each start shows a new one;
    the previous demo key is revoked)."""
    ApiKey.objects.filter(name=SANDBOX_KEY_NAME, revoked=False).update(revoked=True)
    _, secret = ApiKey.objects.issue(SANDBOX_KEY_NAME, [site], ApiKey.Access.WRITE)
    return secret
