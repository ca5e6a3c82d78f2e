"""Prints the fault suite's results (``results.json``) as the table of docs/reliability.md.

``python -m tests.resilience.table var/reliability/results.json``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

COLUMNS = [
    ("fault", "scenario"),
    ("converged in (s)", "converged_seconds"),
    ("allowed (s)", "allowed_seconds"),
    ("records lost", "records_lost"),
    ("records doubled", "records_doubled"),
    ("duplicate commands", "duplicate_commands"),
    ("bad inputs tried", "bad_inputs"),
    ("page requests", "requests"),
    ("5xx seen", "five_xx"),
    ("rounds", "rounds"),
    ("the manager saw", "manager_saw"),
]


def cell(value: Any) -> str:
    return str(value).replace("|", "\\|")


def table(rows: dict[str, dict[str, Any]]) -> str:
    """A Markdown table, one line per scenario, in the order they ran."""
    ordered = sorted(rows.values(), key=lambda row: str(row.get("at", "")))
    lines = [
        "| " + " | ".join(title for title, _ in COLUMNS) + " |",
        "|" + "|".join(" --- " for _ in COLUMNS) + "|",
    ]
    lines += [
        "| " + " | ".join(cell(row.get(key, "")) for _, key in COLUMNS) + " |" for row in ordered
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "var/reliability/results.json")
    if not path.exists():
        print(f"no results at {path}: run scripts/reliability", file=sys.stderr)
        return 1
    print(table(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
