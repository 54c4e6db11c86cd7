"""Times for people: the files hold UTC; tables and details show local time unless ``--utc``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

UtcOption = Annotated[bool, typer.Option("--utc", help="Show times in UTC (the files always hold UTC).")]


def shown_time(timestamp: str, *, utc: bool, seconds: bool = False) -> str:
    """``timestamp`` (ISO-8601) in local time, or UTC; a text that is not a time is shown as it is."""
    from domain.timefmt import parse_timestamp

    try:
        moment = parse_timestamp(timestamp).astimezone(UTC if utc else None)
    except (TypeError, ValueError):
        return timestamp
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M")


def zone_name(*, utc: bool) -> str:
    """The name of the zone times are shown in: ``UTC``, or the local zone's (``CET``)."""
    return "UTC" if utc else datetime.now().astimezone().strftime("%Z")
