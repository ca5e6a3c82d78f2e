from __future__ import annotations

from typing import Any

from django import forms

from gateways.models import Site
from ttgateway.protocol import DEFAULT_PORT


class AddGatewayForm(forms.Form):
    """Add a gateway by address, for networks where multicast (mDNS) does not reach."""

    site = forms.ModelChoiceField(queryset=Site.objects.none(), empty_label=None)
    host = forms.CharField(max_length=255, help_text="IP address or host name, e.g. 192.168.1.40")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=DEFAULT_PORT)

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
