"""The service's log lines as a log pipeline reads them."""

from __future__ import annotations

import json
import logging
from typing import Any

from graphql_api.logs import JsonLogFormatter


def logged(records: list[logging.LogRecord], logger: str = "graphql_api.request") -> list[dict[str, Any]]:
    """The lines `logger` wrote, as the JSON a log pipeline reads (the service's own formatter)."""
    formatter = JsonLogFormatter()
    return [json.loads(formatter.format(record)) for record in records if record.name == logger]
