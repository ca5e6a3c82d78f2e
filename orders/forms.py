"""The filters of the history and analytics pages, read from the query string."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from gateways.models import Site
from orders.models import ActiveOrder, OrderRecord
from orders.services import history
from orders.services.periods import (
    EARLIEST,
    LATEST,
    MAX_DAYS,
    PRESETS,
    Period,
    custom,
    date_problem,
    started_within,
)
from ttgateway.protocol import MAX_NUMBER_DIGITS, positive_integer

DEFAULT_PERIOD = "7d"
PERIOD_CHOICES = [
    ("today", "Today"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("custom", "From … to …"),
]


class NumberField(forms.CharField):
    """An order number or table as the gateway reads it: "07" is 7, at most nine digits.

    Bounded in the browser (``maxlength``) and here, with one message that says what to type
    instead of echoing what was typed (a 10,000-digit paste must not come back on the page).
    """

    def __init__(self, what: str, **kwargs: Any) -> None:
        self.what = what
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "maxlength": MAX_NUMBER_DIGITS,
                    "size": MAX_NUMBER_DIGITS,
                    "autocomplete": "off",
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return "" if value in self.empty_values else str(value).strip()

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and positive_integer(value) is None:
            raise forms.ValidationError(
                f"{self.what} is a whole number above 0 with at most {MAX_NUMBER_DIGITS} digits.",
                code="invalid",
            )

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        return (positive_integer(text) or "") if text else ""


def date_input() -> forms.DateInput:
    return forms.DateInput(
        attrs={"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
    )


class BoundedDateField(forms.DateField):
    """A date a period may start or end on (see ``periods.date_problem``)."""

    default_error_messages = {"invalid": "Enter a date like 2026-12-31."}

    def validate(self, value: Any) -> None:
        super().validate(value)
        problem = date_problem(value) if value else None
        if problem:
            raise forms.ValidationError(problem, code="out_of_range")


class PeriodForm(forms.Form):
    """Today, the last 7 or 30 days, or two dates; every field may be left out."""

    period = forms.ChoiceField(
        choices=PERIOD_CHOICES,
        required=False,
        error_messages={"invalid_choice": "Choose a period from the list."},
    )
    start = BoundedDateField(label="From", required=False, widget=date_input())
    end = BoundedDateField(label="To", required=False, widget=date_input())

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
        # Each message goes next to the field to change; a field already wrong says so itself.
        if self.has_error("start") or self.has_error("end"):
            return data
        start, end = data.get("start"), data.get("end")
        for name, value in (("start", start), ("end", end)):
            if value is None:
                self.add_error(name, "Give both dates of the period.")
        if start is None or end is None:
            return data
        if start > end:
            self.add_error("end", "The first date comes after the last.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("end", f"A period is at most {MAX_DAYS} days.")
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
        queryset=Site.objects.none(),
        required=False,
        empty_label="All my sites",
        error_messages={"invalid_choice": "Choose one of your sites from the list."},
    )
    order_type = forms.ChoiceField(
        label="Type",
        choices=[("", "Any type"), *ActiveOrder.Type.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a type from the list."},
    )
    table = NumberField("A table")
    number = NumberField("An order number", label="Order number")

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
