"""What `python -m harness instances` shows of a stack's fleet: one row per instance, with its group
and balancer, as JSON objects or as a table for people."""

from __future__ import annotations

from typing import Any

COLUMNS = ("id", "state", "health", "pid", "url", "launched_at", "requests")


def instance_rows(listing: dict[str, Any]) -> list[dict[str, Any]]:
    """Every instance of the fleet's listing (harness/fleet/runner.py), with its group, the group's
    launch template version, and the balancer's URL."""
    return [
        {
            **{key: row[key] for key in COLUMNS},
            "version": row["version"],
            "group": group["name"],
            "balancer_url": b["url"],
        }
        for b in listing["balancers"]
        for group in b["groups"]
        for row in group["instances"]
    ]


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as aligned columns under a header."""
    cells = [list(COLUMNS)] + [[str(row[column]) for column in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in cells
    )
