from __future__ import annotations

import ipaddress
from typing import Any

from django import forms

from gateways.models import Site
from gateways.services.discovery import HOSTNAME_RE
from ttgateway.protocol import DEFAULT_PORT

MAX_HOST = 253  # the longest DNS name there is
HOST_HELP = "Its IP address or host name, e.g. 192.168.1.40"
NOT_AN_ADDRESS = (
    "Type the gateway's IP address (e.g. 192.168.1.40) or its host name (e.g. tt-gateway.local)."
)


class AddGatewayForm(forms.Form):
    """Add a gateway by address, for networks where multicast (mDNS) does not reach.

    Every field is bounded here and in the browser, and no message repeats what was typed: a
    10,000-character paste comes back as one plain sentence, not as itself.
    """

    site = forms.ModelChoiceField(
        queryset=Site.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the sites you manage."},
    )
    host = forms.CharField(
        label="Address",
        max_length=MAX_HOST,
        help_text=HOST_HELP,
        error_messages={"required": NOT_AN_ADDRESS, "max_length": NOT_AN_ADDRESS},
        widget=forms.TextInput(attrs={"maxlength": MAX_HOST, "autocomplete": "off", "size": 24}),
    )
    port = forms.IntegerField(
        min_value=1,
        max_value=65535,
        initial=DEFAULT_PORT,
        help_text=f"Table Tracker gateways use {DEFAULT_PORT}.",
        error_messages={
            key: f"A port is a number from 1 to 65535 (gateways use {DEFAULT_PORT})."
            for key in ("required", "invalid", "min_value", "max_value")
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": 65535}),
    )

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]

    def clean_host(self) -> str:
        host = str(self.cleaned_data["host"]).strip().removeprefix("http://").rstrip("/")
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            if not HOSTNAME_RE.match(host):
                raise forms.ValidationError(NOT_AN_ADDRESS, code="invalid") from None
        return host
