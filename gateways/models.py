"""Sites, the people who work there, their gateways, and the tokens that open them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from rest_framework_api_key.crypto import KeyGenerator
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from gateways import crypto
from ttgateway.protocol import DEFAULT_PORT, DEFAULT_TARGET_TIME

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    AnyUser = User | AnonymousUser


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a known time zone, e.g. Europe/Paris") from exc


class SiteQuerySet(models.QuerySet["Site"]):
    def visible_to(self, user: AnyUser) -> SiteQuerySet:
        """Sites a user may see: every site for a superuser, else those they belong to."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(memberships__user=user).distinct()

    def managed_by(self, user: AnyUser) -> SiteQuerySet:
        """Sites where a user may act (pair, add, start and clear orders), not only look."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            memberships__user=user, memberships__role=Membership.Role.MANAGER
        ).distinct()


class Site(models.Model):
    """A restaurant: its own LAN, its gateways, its time zone and its delivery target."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    target_seconds = models.PositiveIntegerField(
        "delivery target (seconds)",
        default=DEFAULT_TARGET_TIME,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 3600)],
    )
    discovery_enabled = models.BooleanField(
        default=True, help_text="Look for new gateways on this site's LAN."
    )
    worker_queue = models.CharField(
        max_length=64,
        blank=True,
        help_text=(
            "Celery queue served by a worker on this site's LAN (discovery, pairing, health "
            "and history pulls need to reach the gateways). Empty: the portal's own workers."
        ),
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def task_options(self) -> dict[str, str]:
        """``apply_async`` options that send a task to a worker on this site's LAN."""
        return {"queue": self.worker_queue} if self.worker_queue else {}


class Membership(models.Model):
    """A person's place at a site: a manager acts, a viewer only looks."""

    class Role(models.TextChoices):
        MANAGER = "manager", "Manager"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_memberships"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="one_role_per_site")]

    def __str__(self) -> str:
        return f"{self.user} at {self.site} ({self.get_role_display()})"


class GatewayQuerySet(models.QuerySet["Gateway"]):
    def visible_to(self, user: AnyUser) -> GatewayQuerySet:
        return self.filter(site__in=Site.objects.visible_to(user))

    def managed_by(self, user: AnyUser) -> GatewayQuerySet:
        return self.filter(site__in=Site.objects.managed_by(user))

    def paired(self) -> GatewayQuerySet:
        return self.filter(status__in=[Gateway.Status.ONLINE, Gateway.Status.OFFLINE])


class Gateway(models.Model):
    """A Table Tracker gateway on a site's LAN.

    A discovered gateway is known by its mDNS service name, which survives DHCP; its host and
    port are only where it was last seen. ``status`` says what a manager needs to know first:
    not paired yet, paired and answering, paired and silent, or paired but its token refused.
    """

    class Status(models.TextChoices):
        UNPAIRED = "unpaired", "Not paired"
        ONLINE = "online", "Online"
        OFFLINE = "offline", "Offline"
        NEEDS_PAIRING = "needs_pairing", "Needs pairing"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="gateways")
    name = models.CharField(max_length=100)
    service_name = models.CharField(
        max_length=255, blank=True, help_text="mDNS service name; empty when added by address."
    )
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(
        default=DEFAULT_PORT, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    model = models.CharField(max_length=64, blank=True)
    firmware = models.CharField(max_length=64, blank=True)
    # Who the device said it was (GET /api/v2) when it was paired: a name is only an
    # announcement anyone on the LAN can make, so the token goes only where the device
    # answering gives this serial (see gateways.services.identity).
    serial = models.CharField(max_length=64, blank=True)
    device_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNPAIRED)
    status_changed = models.DateTimeField(default=timezone.now)
    reachable = models.BooleanField(default=False)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    token_checked = models.DateTimeField(null=True, blank=True)
    relay_heard = models.DateTimeField(
        null=True, blank=True, help_text="When the relay last had a message from it."
    )
    relay_lag_ms = models.IntegerField(
        null=True,
        blank=True,
        help_text="From the gateway's change to the relay's receipt, clock skew included.",
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = GatewayQuerySet.as_manager()

    class Meta:
        ordering = ["site__name", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "service_name"],
                condition=~Q(service_name=""),
                name="one_gateway_per_service_name_per_site",
            ),
            # One device, one record: the same address under two sites would let a manager
            # of one see (and act on) the other's gateway.
            models.UniqueConstraint(
                fields=["host", "port"], condition=~Q(host=""), name="gateway_unique_address"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.site})"

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def is_paired(self) -> bool:
        return self.status in (self.Status.ONLINE, self.Status.OFFLINE)

    def current_token(self) -> AccessToken | None:
        return self.tokens.filter(revoked__isnull=True).order_by("-created").first()

    def token_secret(self) -> str | None:
        """The token in clear, for the client only; never to be logged or rendered."""
        token = self.current_token()
        return token.reveal() if token else None

    def token_check_due(self, now: datetime) -> bool:
        interval = timedelta(seconds=settings.TTPORTAL_TOKEN_CHECK_SECONDS)
        return self.token_checked is None or now - self.token_checked >= interval


class DeviceConflict(models.Model):
    """Another device answered for a known gateway (the same mDNS name, or at its address) but
    could not prove to be it. Recorded and shown to admins, never applied: the gateway keeps
    its address and its token is never sent there."""

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="conflicts")
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField()
    said = models.CharField(
        max_length=300, blank=True, help_text="What the device said about itself, if anything."
    )
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    times = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "host", "port"], name="one_conflict_per_address"
            )
        ]

    def __str__(self) -> str:
        return f"another device at {self.host}:{self.port} for {self.gateway.name}"


class StatusChange(models.Model):
    """One transition of a gateway's status, kept so "offline since 12:04" can be shown."""

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=16, choices=Gateway.Status.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.gateway.name} {self.status} at {self.at:%Y-%m-%d %H:%M:%S}"


class AccessToken(models.Model):
    """A gateway token, sealed at rest. The gateway shows it once; lose it and pair again."""

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=64)
    sealed = models.TextField(editable=False)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"token '{self.name}' of {self.gateway.name}"

    def __repr__(self) -> str:
        return f"<AccessToken {self.pk} '{self.name}' gateway={self.gateway_id}>"

    @classmethod
    def issue(cls, gateway: Gateway, name: str, secret: str, **fields: Any) -> AccessToken:
        return cls.objects.create(gateway=gateway, name=name, sealed=crypto.seal(secret), **fields)

    def reveal(self) -> str:
        return crypto.unseal(self.sealed)


class PairingAttempt(models.Model):
    """One "I pressed the button" from a person, and how it ended."""

    class Outcome(models.TextChoices):
        WAITING = "waiting", "Waiting for the gateway"
        PAIRED = "paired", "Paired"
        MISSED = "missed", "Window missed"
        UNREACHABLE = "unreachable", "Gateway unreachable"
        FAILED = "failed", "Failed"

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="pairings")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    started = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.WAITING)
    message = models.CharField(max_length=500, blank=True)
    polls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started", "-id"]

    def __str__(self) -> str:
        return f"pairing of {self.gateway.name} at {self.started:%Y-%m-%d %H:%M}: {self.outcome}"

    @property
    def is_open(self) -> bool:
        return self.outcome == self.Outcome.WAITING


# The readable marker at the start of every API key, so a leaked key is recognisable (secret
# scanners, logs) and never mistaken for a gateway token.
API_KEY_MARKER = "ttp_"


class ApiKeyGenerator(KeyGenerator):
    """The library's keys (``prefix.secret``, stored as a SHA-512 hash) with our marker on the
    prefix: ``ttp_Ab3dE6gH.<32 random characters>``. The prefix is the key's public name (it is
    what ``apikey revoke`` and the admin show); the secret is shown once and never stored."""

    def get_prefix(self) -> str:
        return API_KEY_MARKER + super().get_prefix()


class ApiKeyManager(APIKeyManager):
    key_generator = ApiKeyGenerator()

    def issue(
        self,
        name: str,
        sites: Iterable[Site],
        access: str = "write",
        created_by: User | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key for these sites, and its secret: shown to the person once, never stored."""
        key, secret = self.create_key(name=name, access=access, created_by=created_by)
        assert isinstance(key, ApiKey)
        key.sites.set(sites)
        return key, secret

    def from_token(self, token: str) -> ApiKey | None:
        """The usable key (not revoked, not expired) a bearer token is, or None."""
        if not token.startswith(API_KEY_MARKER):
            return None
        try:
            key = self.get_from_key(token)
        except self.model.DoesNotExist:
            return None
        assert isinstance(key, ApiKey)
        return None if key.has_expired else key


class ApiKey(AbstractAPIKey):
    """A point-of-sale plugin's identity: which sites it may reach, and whether it may act.

    Shown once when created (admin or ``manage.py apikey create``), stored hashed.
    """

    class Access(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    # The library's prefix is 8 characters; ours carries the ``ttp_`` marker too.
    prefix = models.CharField(max_length=8 + len(API_KEY_MARKER), unique=True, editable=False)
    sites = models.ManyToManyField(Site, related_name="api_keys")
    access = models.CharField(max_length=8, choices=Access.choices, default=Access.WRITE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    last_used = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyManager()  # type: ignore[misc]

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def can_write(self) -> bool:
        return self.access == self.Access.WRITE and not self.revoked

    def touch(self, now: datetime, every: timedelta = timedelta(minutes=1)) -> None:
        """Note the key was used, at most once a minute (not a database write per request)."""
        if self.last_used is None or now - self.last_used >= every:
            ApiKey.objects.filter(pk=self.pk).update(last_used=now)
            self.last_used = now
