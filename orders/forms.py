"""The filters of the history and analytics pages, read from the query string."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.http import QueryDict

from gateways.models import Site
from orders.models import ActiveOrder, OrderRecord
from orders.services import history
from orders.services.periods import MAX_DAYS, PRESETS, Period, custom, started_within

DEFAULT_PERIOD = "7d"
PERIOD_CHOICES = [
    ("today", "Today"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("custom", "From … to …"),
]
digits = RegexValidator(r"^[0-9]+$", "Digits only.")


class PeriodForm(forms.Form):
    """Today, the last 7 or 30 days, or two dates; every field may be left out."""

    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: QueryDict | None = None) -> None:
        # Always bound, with the default period shown as chosen when none was asked for.
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if not data.get("period"):
            data["period"] = DEFAULT_PERIOD
        super().__init__(data)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["period"] = data.get("period") or DEFAULT_PERIOD
        if data["period"] != "custom":
            return data
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            raise forms.ValidationError("Give both dates of the period.")
        if start > end:
            raise forms.ValidationError("The first date comes after the last.")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"A period is at most {MAX_DAYS} days.")
        return data

    def chosen_period(self) -> Period:
        """The period asked for (call after ``is_valid``)."""
        data = self.cleaned_data
        if data["period"] == "custom":
            return custom(data["start"], data["end"])
        return PRESETS[data["period"]]


class HistoryFilterForm(PeriodForm):
    """The history list's filters; ``sites`` are those the person may see."""

    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), required=False, empty_label="All my sites"
    )
    order_type = forms.ChoiceField(
        label="Type", choices=[("", "Any type"), *ActiveOrder.Type.choices], required=False
    )
    table = forms.CharField(required=False, max_length=16, validators=[digits])
    number = forms.CharField(
        label="Order number", required=False, max_length=16, validators=[digits]
    )

    def __init__(self, data: QueryDict | None, sites: QuerySet[Site]) -> None:
        super().__init__(data)
        self.sites = sites
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]

    def records(self, now: datetime) -> QuerySet[OrderRecord]:
        """The records matching the filters, of the chosen site or of all the person's sites."""
        data = self.cleaned_data
        sites = [data["site"]] if data.get("site") else list(self.sites)
        records = OrderRecord.objects.filter(site__in=sites).filter(
            started_within(sites, self.chosen_period(), now)
        )
        return history.matching(
            records,
            order_type=data.get("order_type"),
            table=data.get("table"),
            number=data.get("number"),
        )
