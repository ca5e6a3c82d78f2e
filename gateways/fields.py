"""What a text column holds, read from the model: one place for every field's length."""

from __future__ import annotations

from django.db import models


def fit(model: type[models.Model], field: str, value: str) -> str:
    """``value`` cut to the ``max_length`` of ``model.field`` (a gateway's words may run long;
    the column's own length is the rule, never a number written again beside it)."""
    max_length: int | None = getattr(model._meta.get_field(field), "max_length", None)
    return value[:max_length] if max_length else value
