"""The API's own records (not a domain of the portal: see ``ttportal.api``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """A POST or DELETE sent with an ``Idempotency-Key``, and the answer kept for its retries.

    The row is claimed (inserted) before the request acts, so of two processes racing with the
    same key exactly one acts: the other finds the row, still without an answer (409), or with
    one (replayed). ``owner`` is whose key space it is: an API key or a person.
    """

    owner = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField(db_index=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="None: running.")
    body = models.JSONField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="one_request_per_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"

    @property
    def running(self) -> bool:
        return self.status is None
