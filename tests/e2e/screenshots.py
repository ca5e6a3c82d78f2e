"""Screenshots of the end-to-end tests, kept for a person to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings


def screenshot(page: Any, name: str) -> None:
    """Kept in var/screenshots; nothing is asserted on them."""
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
