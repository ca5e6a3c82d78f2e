"""Gateway tokens at rest: moving those sealed under the retired public key to the box's own."""

from __future__ import annotations

from django.db import transaction

from gateways import crypto
from gateways.models import AccessToken


def reseal_retired_tokens() -> int:
    """Re-seal every token only the retired public key opens; the number re-sealed.

    Run at the single box's start after an upgrade, so its pairings survive the new key and
    the database file no longer opens with a constant anyone can read.
    """
    resealed = 0
    with transaction.atomic():
        for token in AccessToken.objects.select_for_update().only("pk", "sealed"):
            fresh = crypto.reseal_retired(token.sealed)
            if fresh is not None:
                AccessToken.objects.filter(pk=token.pk).update(sealed=fresh)
                resealed += 1
    return resealed
