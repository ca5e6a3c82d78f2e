"""What a text column holds, read from the model: one place for every field's length."""

from __future__ import annotations

from django.db import models


def fit(model: type[models.Model], field: str, value: str) -> str:
    """``value`` as ``model.field`` can keep it: cut to the column's ``max_length`` (a gateway's
    words may run long; the column's own length is the rule, never a number written again
    beside it), without NUL characters, which PostgreSQL refuses in text."""
    value = value.replace("\x00", "")
    max_length: int | None = getattr(model._meta.get_field(field), "max_length", None)
    return value[:max_length] if max_length else value
