"""One logging setup for every entry point: `serve` (and its workers), AWS Lambda and the other CLI commands.

Production logs are read by a pipeline (CloudWatch Logs Insights, a collector), so every line is one JSON
object, through python-json-logger: `time` (UTC, ms), `level`, `logger`, `message`, the request's `requestId`
when the line is written while a request is being served, the event's own fields (the request line:
`method`, `path`, `status`, `durationMs`, `operations`, `dynamodbRequests`, `consumedCapacity`,
`errorCodes`) and `exception` with the whole stack when there is one. uvicorn's own lines go through the
same handler; its access log is off, since the service's `http_request` line says more.

`LOG_FORMAT=text` writes the same records for a person at a terminal: the time, level, logger and message,
then the fields as key=value. Unset, the format is text for the local default (no DynamoDB configured:
someone trying the API on their machine) and JSON everywhere else.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any, Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from graphql_api import tracing
from graphql_api.request_scope import scope_if_any

LogFormat = Literal["json", "text"]

_NOT_FIELDS = frozenset({*RESERVED_ATTRS, "taskName", "color_message"})
"""LogRecord's own attributes, and uvicorn's colored copy of its message: everything else a record carries is
a field passed with `extra=` (or added by RequestIdFilter)."""


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: value for name, value in record.__dict__.items() if name not in _NOT_FIELDS}


class RequestIdFilter(logging.Filter):
    """Gives each record written during a request that request's id, whichever logger writes it, and with
    tracing on the current span's `traceId` and `spanId`."""

    def filter(self, record: logging.LogRecord) -> bool:
        scope = scope_if_any()
        if scope is not None and not hasattr(record, "requestId"):
            record.requestId = scope.request_id
        if tracing.tracer() is not None and not hasattr(record, "traceId"):
            ids = tracing.current_ids()  # the span the line is written in: its trace, to find the line from it
            if ids is not None:
                record.traceId, record.spanId = ids
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per record: time, level, logger, message, then the record's fields and its exception."""

    def __init__(self) -> None:
        super().__init__(
            "%(message)s",
            rename_fields={"exc_info": "exception", "stack_info": "stack"},
            reserved_attrs=list(_NOT_FIELDS),
            json_default=str,
            json_ensure_ascii=False,
        )

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["time"] = _utc(record.created)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        super().add_fields(log_data, record, message_dict)


class TextLogFormatter(logging.Formatter):
    """`2026-11-30T08:00:00.123Z INFO graphql_api.request http_request method=POST ...`, then any stack."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{name}={_text(value)}" for name, value in _fields(record).items())
        line = f"{_utc(record.created)} {record.levelname} {record.name} {record.getMessage()}"
        line = f"{line} {fields}" if fields else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def _utc(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(value: Any) -> str:
    return value if isinstance(value, str) and value and " " not in value else json.dumps(value, default=str)


_FORMATTERS: dict[LogFormat, type[logging.Formatter]] = {"json": JsonLogFormatter, "text": TextLogFormatter}


def logging_config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` configuration; uvicorn applies it in each worker process (`log_config`)."""
    formatter = _FORMATTERS[log_format]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's loggers through the root's handler, not handlers of their own.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": level, "handlers": [], "propagate": True},
            "werkzeug": {"level": "WARNING"},  # the embedded moto server's access log
            "mangum": {"level": "WARNING"},  # a line per invocation, as the app's own request line
        },
    }


def configure_logging(log_format: LogFormat, level: str) -> None:
    logging.config.dictConfig(logging_config(log_format, level))


def use_on_handlers(log_format: LogFormat, handlers: list[logging.Handler]) -> None:
    """Format the records of handlers installed by someone else (AWS Lambda's runtime) as ours are."""
    for handler in handlers:
        handler.setFormatter(_FORMATTERS[log_format]())
        handler.addFilter(RequestIdFilter())
